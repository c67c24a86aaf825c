package io.fogwise.gateway.swarm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.ContainerSpecFile;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.EndpointSpec;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.ResourceRequirements;
import com.github.dockerjava.api.model.ResourceSpecs;
import com.github.dockerjava.api.model.SecretSpec;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskSpec;
import com.github.dockerjava.api.model.UpdateConfig;
import com.github.dockerjava.api.model.UpdateFailureAction;
import com.github.dockerjava.api.model.UpdateOrder;
import io.fogwise.containers.Images;
import io.fogwise.containers.InstanceEnv;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.IntentFailedException;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.orchestrator.InstanceCredentials;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.time.Clock;
import io.fogwise.protocol.time.Scheduler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code swarm} orchestrator: the gateway is a Docker Swarm manager, each Fogwise device is a
 * Swarm node labelled {@code fogwise.device=<id>} (and {@code layer=CLOUD|FOG|EDGE}), and each
 * Fogwise instance (one replica of a service, on one device, with its own epoch) is a Swarm
 * service of one replica constrained to that device's node. Fogwise, not Swarm, decides how many
 * replicas a service has and where each goes, because each replica needs its own epoch for
 * fencing; Swarm places, restarts and reports them.
 *
 * <p>Every docker call runs on the adapter's own thread, never the caller's; a start completes
 * when Swarm reports the task RUNNING, or fails with Swarm's own reason (a rejected or failed
 * task, or one still not placed after {@link Settings#placementTimeout}). A watcher polls the
 * Swarm's services, tasks and nodes and keeps the latest {@link SwarmView}, from which
 * {@link #reports()} and the gateway's device heartbeats are derived. No hand-over: a move is
 * {@link #relocate} (a rolling update, start-first) or the reconciler's start-then-stop.
 */
public final class SwarmOrchestrator implements Orchestrator {
  private static final Logger LOG = LoggerFactory.getLogger(SwarmOrchestrator.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The label that keeps a Swarm service's slot (the number in its name) across relocations. */
  static final String SLOT_LABEL = "fogwise.slot";

  private final DockerClient docker;
  private final Settings settings;
  private final InstanceCredentials credentials;
  private final ScheduledExecutorService engineThread;
  private final Scheduler.Cancellable polling;
  private final AtomicBoolean pollQueued = new AtomicBoolean();
  private final List<Consumer<SwarmView>> listeners = new CopyOnWriteArrayList<>();
  /** Starts and relocations waiting for Swarm (engine thread only). */
  private final List<Waiter> waiters = new ArrayList<>();
  private volatile Survey latest;
  private volatile boolean closed;
  /** Whether the last poll failed (engine thread only): one warning per outage, not one per poll. */
  private boolean failing;

  private SwarmOrchestrator(DockerClient docker, Settings settings, InstanceCredentials credentials) {
    this.docker = docker;
    this.settings = settings;
    this.credentials = credentials;
    this.engineThread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fogwise-swarm-" + settings.gatewayId);
      t.setDaemon(true);
      return t;
    });
    Scheduler scheduler = settings.scheduler != null ? settings.scheduler : Scheduler.executor(engineThread);
    this.polling = scheduler.every(settings.pollInterval, this::requestPoll);
    requestPoll();
  }

  /**
   * Starts the adapter: polling begins at once.
   *
   * @param docker a client of the Swarm manager ({@code io.fogwise.containers.DockerClients})
   * @param credentials mints each started instance's NATS credentials ({@link InstanceCredentials#none()}
   *     when the hub runs without authentication, with {@link Settings.Builder#insecure})
   */
  public static SwarmOrchestrator start(DockerClient docker, Settings settings, InstanceCredentials credentials) {
    return new SwarmOrchestrator(Objects.requireNonNull(docker, "docker"), Objects.requireNonNull(settings, "settings"),
        Objects.requireNonNull(credentials, "credentials"));
  }

  @Override
  public String name() {
    return "swarm";
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.RELOCATE);
  }

  /** The latest poll's view of the Swarm ({@link SwarmView#EMPTY} before the first). */
  public SwarmView view() {
    Survey s = latest;
    return s == null ? SwarmView.EMPTY : s.view;
  }

  /** The instances on each device, as the latest poll saw them. */
  public Map<String, List<InstanceReport>> reports() {
    return view().instances();
  }

  /**
   * Calls {@code listener} with every poll's view, on the adapter's thread: it must return
   * quickly (hand the view to its own thread).
   */
  public Scheduler.Cancellable watch(Consumer<SwarmView> listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public CompletionStage<Void> start(InstanceIntent intent, StartMode mode) {
    Objects.requireNonNull(intent, "intent");
    if (mode == StartMode.STANDBY) {
      return CompletableFuture.failedFuture(IntentFailedException.refused(
          "the swarm orchestrator cannot start " + intent.key() + " idle (STANDBY needs the HANDOVER capability)"));
    }
    return onEngine("start " + intent.key(), out -> {
      List<Service> mine = servicesOf(intent.service());
      for (Service s : mine) {
        Map<String, String> l = Survey.labels(s);
        long epoch = Survey.parse(l.get(Labels.EPOCH)).orElse(-1L);
        if (!intent.deviceId().equals(l.get(Labels.DEVICE))) {
          continue;
        }
        if (epoch == intent.epoch()) {
          LOG.debug("gateway {}: {} already has Swarm service {}", settings.gatewayId, intent.key(), s.getSpec().getName());
          await(new Waiter(s.getId(), intent, false, out));
          return;
        }
        if (epoch > intent.epoch()) {
          out.completeExceptionally(IntentFailedException.refused("epoch " + intent.epoch() + " of " + intent.service()
              + " is older than epoch " + epoch + " that runs on " + intent.deviceId()));
          return;
        }
      }
      String id = create(intent, mine);
      await(new Waiter(id, intent, true, out));
    });
  }

  @Override
  public CompletionStage<Void> stop(String service, long epoch, String deviceId) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(deviceId, "deviceId");
    return onEngine("stop " + service + "@" + deviceId + "#" + epoch, out -> {
      List<Long> others = new ArrayList<>();
      for (Service s : servicesOf(service)) {
        Map<String, String> l = Survey.labels(s);
        if (!deviceId.equals(l.get(Labels.DEVICE))) {
          continue;
        }
        long e = Survey.parse(l.get(Labels.EPOCH)).orElse(-1L);
        if (e == epoch) {
          remove(s);
          LOG.info("gateway {}: stopped {} epoch {} on {} (removed Swarm service {})", settings.gatewayId, service, epoch,
              deviceId, s.getSpec().getName());
          out.complete(null);
          return;
        }
        others.add(e);
      }
      if (others.isEmpty()) {
        out.complete(null); // nothing of it runs there: already stopped
      } else {
        out.completeExceptionally(IntentFailedException.refused("epoch " + epoch + " of " + service + " does not run on "
            + deviceId + "; epoch " + others.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("")
            + " does"));
      }
    });
  }

  /**
   * Moves an instance by updating its Swarm service in place: the placement constraint goes to
   * {@code to}'s device, the epoch (labels, environment, credentials) to {@code to}'s, and Swarm
   * rolls it start-first (the new task runs before the old one stops). Completes when the new
   * task runs on the target device; on failure the service's previous spec is put back, so the
   * old instance keeps running.
   */
  @Override
  public CompletionStage<Void> relocate(String service, long oldEpoch, String fromDevice, InstanceIntent to) {
    Objects.requireNonNull(to, "to");
    if (!to.service().equals(service)) {
      throw new IllegalArgumentException("relocate moves " + service + ", not " + to.service());
    }
    return onEngine("relocate " + service + "@" + fromDevice + "#" + oldEpoch + " to " + to.key(), out -> {
      if (to.epoch() <= oldEpoch) {
        out.completeExceptionally(IntentFailedException.refused("the new epoch " + to.epoch() + " of " + service
            + " must be newer than " + oldEpoch));
        return;
      }
      Service current = servicesOf(service).stream().filter(s -> fromDevice.equals(Survey.labels(s).get(Labels.DEVICE))
              && Survey.parse(Survey.labels(s).get(Labels.EPOCH)).orElse(-1L) == oldEpoch)
          .findFirst().orElse(null);
      if (current == null) {
        out.completeExceptionally(IntentFailedException.refused("epoch " + oldEpoch + " of " + service
            + " does not run on " + fromDevice));
        return;
      }
      Service inspected = docker.inspectServiceCmd(current.getId()).exec();
      ServiceSpec previous = inspected.getSpec();
      int slot = Integer.parseInt(Survey.labels(inspected).getOrDefault(SLOT_LABEL, "1"));
      Optional<Secret> secret = secret(to, previous.getName());
      ServiceSpec next = spec(to, previous.getName(), slot, secret);
      try {
        docker.updateServiceCmd(inspected.getId(), next).withVersion(inspected.getVersion().getIndex()).exec();
      } catch (RuntimeException e) {
        secret.ifPresent(this::removeSecret);
        throw e;
      }
      LOG.info("gateway {}: relocating {} epoch {} from {} to {} as epoch {} (Swarm service {}, {})", settings.gatewayId,
          service, oldEpoch, fromDevice, to.deviceId(), to.epoch(), previous.getName(), settings.updateOrder);
      Waiter w = new Waiter(inspected.getId(), to, false, out);
      w.failFast = true;
      w.onSuccess = () -> removeSecrets(service, oldEpoch, fromDevice);
      w.onFailure = () -> {
        try {
          Service now = docker.inspectServiceCmd(inspected.getId()).exec();
          docker.updateServiceCmd(now.getId(), previous).withVersion(now.getVersion().getIndex()).exec();
        } catch (RuntimeException e) {
          LOG.warn("gateway {}: could not put back the spec of Swarm service {} after a failed relocation: {}",
              settings.gatewayId, previous.getName(), e.toString());
        }
        secret.ifPresent(this::removeSecret);
      };
      await(w);
    });
  }

  /**
   * Removes every Swarm service and secret labelled with this gateway (nothing else), and
   * completes with how many services went.
   */
  public CompletionStage<Integer> cleanup() {
    CompletableFuture<Integer> out = new CompletableFuture<>();
    try {
      engineThread.execute(() -> {
        try {
          List<Service> mine = docker.listServicesCmd().withLabelFilter(Map.of(Labels.GATEWAY, settings.gatewayId)).exec();
          for (Service s : mine) {
            if (settings.gatewayId.equals(Survey.labels(s).get(Labels.GATEWAY))) {
              docker.removeServiceCmd(s.getId()).exec();
            }
          }
          docker.listSecretsCmd().withLabelFilter(Map.of(Labels.GATEWAY, settings.gatewayId)).exec()
              .forEach(this::removeSecret);
          out.complete(mine.size());
        } catch (RuntimeException e) {
          out.completeExceptionally(failure("clean up the Swarm services of gateway " + settings.gatewayId, e));
        }
      });
    } catch (RejectedExecutionException e) {
      out.completeExceptionally(IntentFailedException.unreachable("the swarm orchestrator is closed", e));
    }
    return out;
  }

  /** Stops polling and fails what still waits; the Swarm services keep running (a restarted gateway finds them). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    polling.cancel();
    try {
      engineThread.submit(() -> {
        for (Waiter w : waiters) {
          w.out.completeExceptionally(IntentFailedException.unreachable("the swarm orchestrator closed", null));
        }
        waiters.clear();
      }).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("closing the swarm orchestrator: {}", e.toString());
    }
    engineThread.shutdownNow();
  }

  // ---- on the engine thread ----

  private List<Service> servicesOf(String service) {
    return docker.listServicesCmd()
        .withLabelFilter(Map.of(Labels.GATEWAY, settings.gatewayId, Labels.SERVICE, service)).exec().stream()
        .filter(s -> settings.gatewayId.equals(Survey.labels(s).get(Labels.GATEWAY))
            && service.equals(Survey.labels(s).get(Labels.SERVICE)))
        .toList();
  }

  /** Creates the Swarm service of {@code intent} in the lowest free slot; returns its id. */
  private String create(InstanceIntent intent, List<Service> existing) {
    Set<Integer> taken = new HashSet<>();
    for (Service s : existing) {
      try {
        taken.add(Integer.parseInt(Survey.labels(s).getOrDefault(SLOT_LABEL, "0")));
      } catch (NumberFormatException e) {
        // not a slot we gave: ignore
      }
    }
    int slot = 1;
    for (int attempt = 0; ; attempt++) {
      while (taken.contains(slot)) {
        slot++;
      }
      String name = SwarmNames.service(settings.gatewayId, intent.service(), slot);
      Optional<Secret> secret = secret(intent, name);
      try {
        String id = docker.createServiceCmd(spec(intent, name, slot, secret)).exec().getId();
        LOG.info("gateway {}: starting {} epoch {} on {} as Swarm service {}", settings.gatewayId, intent.service(),
            intent.epoch(), intent.deviceId(), name);
        return id;
      } catch (ConflictException e) {
        secret.ifPresent(this::removeSecret);
        if (attempt >= 3) {
          throw e;
        }
        taken.add(slot); // a name in use by something we did not list (another gateway's sanitised name)
      } catch (RuntimeException e) {
        secret.ifPresent(this::removeSecret);
        throw e;
      }
    }
  }

  /** A created secret: what the service spec refers to. */
  private record Secret(String id, String name) {}

  /** The instance's credentials as a labelled Swarm secret, or none on a hub without authentication. */
  private Optional<Secret> secret(InstanceIntent intent, String serviceName) {
    if (settings.insecure) {
      return Optional.empty();
    }
    String creds;
    try {
      creds = credentials.fresh(intent.service(), intent.config().get("app"), intent.epoch());
    } catch (RuntimeException e) {
      throw IntentFailedException.refused("cannot issue credentials for " + intent.service() + ": " + e.getMessage());
    }
    String name = SwarmNames.secret(serviceName, intent.epoch(), Long.toHexString(ThreadLocalRandom.current().nextLong()).substring(0, 6));
    Map<String, String> labels = instanceLabels(intent);
    String id = docker.createSecretCmd(new SecretSpec().withName(name).withLabels(labels)
        .withData(creds)).exec().getId(); // docker-java encodes the data (base64) itself
    return Optional.of(new Secret(id, name));
  }

  private Map<String, String> instanceLabels(InstanceIntent intent) {
    Map<String, String> l = new TreeMap<>();
    l.put(Labels.GATEWAY, settings.gatewayId);
    l.put(Labels.SERVICE, intent.service());
    l.put(Labels.EPOCH, Long.toString(intent.epoch()));
    l.put(Labels.DEVICE, intent.deviceId());
    l.put(Labels.KIND, intent.kind());
    return l;
  }

  /** The Swarm service of one Fogwise instance. */
  ServiceSpec spec(InstanceIntent intent, String name, int slot, Optional<Secret> secret) {
    Map<String, String> labels = instanceLabels(intent);
    Map<String, String> serviceLabels = new TreeMap<>(labels);
    serviceLabels.put(SLOT_LABEL, Integer.toString(slot));
    Map<String, String> env = new LinkedHashMap<>(intent.container().env());
    env.put(InstanceEnv.NATS_URL, settings.natsUrl);
    env.put(InstanceEnv.GATEWAY, settings.gatewayId);
    env.put(InstanceEnv.GATEWAY_DEPRECATED, settings.gatewayId); // images built before the rename
    env.put(InstanceEnv.DEVICE, intent.deviceId());
    env.put(InstanceEnv.SERVICE, intent.service());
    env.put(InstanceEnv.KIND, intent.kind());
    env.put(InstanceEnv.EPOCH, Long.toString(intent.epoch()));
    env.put(InstanceEnv.CONFIG, json(intent.config()));
    env.put(InstanceEnv.STANDBY, "false");
    List<Mount> mounts = new ArrayList<>();
    if (settings.insecure) {
      env.put(InstanceEnv.INSECURE, "true");
    }
    if (settings.caFile != null) {
      mounts.add(new Mount().withType(MountType.BIND).withSource(settings.caFile.toString()).withTarget(Settings.CA_TARGET)
          .withReadOnly(true));
      env.put(InstanceEnv.CA, Settings.CA_TARGET);
    }
    List<ContainerSpecSecret> secrets = new ArrayList<>();
    secret.ifPresent(s -> {
      secrets.add(new ContainerSpecSecret().withSecretId(s.id()).withSecretName(s.name())
          .withFile(new ContainerSpecFile().withName(Settings.CREDS_FILE).withUid("0").withGid("0").withMode(0444L)));
      env.put(InstanceEnv.CREDS_FILE, "/run/secrets/" + Settings.CREDS_FILE);
    });
    ContainerSpec container = new ContainerSpec()
        .withImage(image(intent))
        .withLabels(labels)
        .withEnv(env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
        .withMounts(mounts)
        .withSecrets(secrets);
    ResourceSpecs limits = new ResourceSpecs();
    var r = intent.container().resources();
    if (r != null && r.cpus() != null) {
      limits.withNanoCPUs(Math.round(r.cpus() * 1e9));
    }
    if (r != null && r.memoryMb() != null) {
      limits.withMemoryBytes(r.memoryMb() * 1024L * 1024L);
    }
    TaskSpec task = new TaskSpec()
        .withContainerSpec(container)
        .withResources(new ResourceRequirements().withLimits(limits))
        .withRestartPolicy(new ServiceRestartPolicy().withCondition(ServiceRestartCondition.ON_FAILURE)
            .withDelay(settings.restartDelay.toNanos()))
        .withPlacement(new ServicePlacement().withConstraints(List.of(
            "node.labels." + Labels.DEVICE + "==" + intent.deviceId())))
        .withNetworks(List.of(new NetworkAttachmentConfig().withTarget("host")));
    return new ServiceSpec()
        .withName(name)
        .withLabels(serviceLabels)
        .withTaskTemplate(task)
        .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(1)))
        .withUpdateConfig(new UpdateConfig().withParallelism(1L).withOrder(settings.updateOrder)
            .withFailureAction(UpdateFailureAction.PAUSE))
        .withEndpointSpec(new EndpointSpec().withMode(EndpointResolutionMode.DNSRR));
  }

  private String image(InstanceIntent intent) {
    if (intent.container().image() != null) {
      return intent.container().image();
    }
    return settings.images.getOrDefault(intent.kind(), Images.builtIn(intent.kind()));
  }

  private static String json(Map<String, String> config) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(config));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void remove(Service s) {
    Map<String, String> l = Survey.labels(s);
    try {
      docker.removeServiceCmd(s.getId()).exec();
    } catch (NotFoundException e) {
      // already gone
    }
    removeSecrets(l.get(Labels.SERVICE), Survey.parse(l.get(Labels.EPOCH)).orElse(-1L), l.get(Labels.DEVICE));
    requestPoll();
  }

  private void removeSecrets(String service, long epoch, String device) {
    docker.listSecretsCmd().withLabelFilter(Map.of(Labels.GATEWAY, settings.gatewayId, Labels.SERVICE, service,
            Labels.EPOCH, Long.toString(epoch), Labels.DEVICE, device)).exec()
        .forEach(this::removeSecret);
  }

  private void removeSecret(com.github.dockerjava.api.model.Secret s) {
    if (settings.gatewayId.equals(s.getSpec() == null || s.getSpec().getLabels() == null ? null
        : s.getSpec().getLabels().get(Labels.GATEWAY))) {
      removeSecret(new Secret(s.getId(), s.getSpec().getName()));
    }
  }

  private void removeSecret(Secret s) {
    try {
      docker.removeSecretCmd(s.id()).exec();
    } catch (NotFoundException e) {
      // already gone
    } catch (RuntimeException e) {
      LOG.debug("gateway {}: secret {} not removed (removed by the next cleanup): {}", settings.gatewayId, s.name(),
          e.toString());
    }
  }

  private void requestPoll() {
    if (closed || !pollQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      engineThread.execute(() -> {
        pollQueued.set(false);
        poll();
      });
    } catch (RejectedExecutionException e) {
      pollQueued.set(false);
    }
  }

  private void poll() {
    Survey s;
    try {
      List<Service> services = docker.listServicesCmd().withLabelFilter(Map.of(Labels.GATEWAY, settings.gatewayId))
          .exec().stream().filter(x -> settings.gatewayId.equals(Survey.labels(x).get(Labels.GATEWAY))).toList();
      List<Task> tasks = services.isEmpty() ? List.of()
          : docker.listTasksCmd().withServiceFilter(services.stream().map(Service::getId).toArray(String[]::new)).exec();
      s = Survey.of(services, tasks, docker.listSwarmNodesCmd().exec(), settings.clock.wallMillis());
    } catch (RuntimeException e) {
      if (!failing) {
        LOG.warn("gateway {}: cannot read the Swarm (is this engine a Swarm manager, and up?): {}", settings.gatewayId,
            e.toString());
      }
      failing = true;
      for (Waiter w : waiters) {
        w.out.completeExceptionally(IntentFailedException.unreachable("the Swarm manager did not answer while "
            + w.intent.key() + " was starting: " + e.getMessage(), e));
      }
      waiters.clear();
      return;
    }
    if (failing) {
      LOG.info("gateway {}: the Swarm answers again", settings.gatewayId);
      failing = false;
    }
    latest = s;
    for (Consumer<SwarmView> l : listeners) {
      try {
        l.accept(s.view);
      } catch (RuntimeException e) {
        LOG.warn("gateway {}: a Swarm view listener failed: {}", settings.gatewayId, e.toString());
      }
    }
    settle(s);
  }

  /** Completes the waiters whose instance runs, failed, or waited too long. */
  private void settle(Survey s) {
    long now = settings.clock.millis();
    List<Runnable> outcomes = new ArrayList<>();
    boolean removed = false;
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      Survey.Progress p = s.progress(w.serviceId, w.intent.epoch(), w.intent.deviceId());
      String why = null;
      switch (p.stage()) {
        case RUNNING -> {
          it.remove();
          run(w.onSuccess);
          w.out.complete(null);
          continue;
        }
        case GONE -> why = w.intent.key() + " was stopped before it ran";
        case FAILED -> why = w.failFast || missingImage(p.message())
            ? "Swarm could not run " + w.intent.key() + " (" + p.message() + ")" : null;
        case WAITING -> { }
      }
      if (why == null && now - w.since >= settings.placementTimeout.toMillis()) {
        why = "Swarm did not run " + w.intent.key() + " within " + settings.placementTimeout.toSeconds() + " s ("
            + p.message() + ")";
      }
      if (why != null) {
        it.remove();
        LOG.info("gateway {}: {}", settings.gatewayId, why);
        if (w.fresh && p.stage() != Survey.Stage.GONE) {
          // nothing of a start that did not run stays behind: the reconciler starts afresh, maybe elsewhere
          try {
            docker.removeServiceCmd(w.serviceId).exec();
            removeSecrets(w.intent.service(), w.intent.epoch(), w.intent.deviceId());
            removed = true;
          } catch (RuntimeException e) {
            LOG.debug("gateway {}: removing the failed {}: {}", settings.gatewayId, w.intent.key(), e.toString());
          }
        }
        String reason = why;
        outcomes.add(() -> {
          run(w.onFailure);
          w.out.completeExceptionally(IntentFailedException.refused(reason));
        });
      }
    }
    if (removed) {
      poll(); // the view no longer shows what was removed by the time the failure is known
    }
    outcomes.forEach(Runnable::run);
  }

  /** An image no node has: Swarm rejects every task of it and would try forever. */
  private static boolean missingImage(String message) {
    return message != null && message.toLowerCase(java.util.Locale.ROOT).contains("no such image");
  }

  private static void run(Runnable r) {
    if (r != null) {
      r.run();
    }
  }

  private void await(Waiter w) {
    waiters.add(w);
    requestPoll();
  }

  /** Runs {@code body} on the engine thread; a docker failure becomes an {@link IntentFailedException}. */
  private CompletionStage<Void> onEngine(String what, Consumer<CompletableFuture<Void>> body) {
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (closed) {
      out.completeExceptionally(IntentFailedException.unreachable("the swarm orchestrator is closed", null));
      return out;
    }
    try {
      engineThread.execute(() -> {
        try {
          body.accept(out);
        } catch (RuntimeException e) {
          out.completeExceptionally(failure(what, e));
        }
      });
    } catch (RejectedExecutionException e) {
      out.completeExceptionally(IntentFailedException.unreachable("the swarm orchestrator is closed", e));
    }
    return out;
  }

  /** An answer from the engine (an HTTP status) is a refusal; no answer is unreachable. */
  private IntentFailedException failure(String what, RuntimeException e) {
    if (e instanceof IntentFailedException i) {
      return i;
    }
    if (e instanceof DockerException d) {
      return IntentFailedException.refused("the Swarm manager refused to " + what + ": " + d.getMessage().strip());
    }
    return IntentFailedException.unreachable("the Swarm manager did not answer to " + what + ": " + e, e);
  }

  /** A start or relocation waiting for Swarm to run its task. */
  private final class Waiter {
    final String serviceId;
    final InstanceIntent intent;
    /** Created by this start: removed again when it cannot run. */
    final boolean fresh;
    /** A failed task fails it at once (a new spec); otherwise Swarm's restarts get until the bound. */
    boolean failFast;
    final CompletableFuture<Void> out;
    final long since = settings.clock.millis();
    Runnable onSuccess;
    Runnable onFailure;

    Waiter(String serviceId, InstanceIntent intent, boolean fresh, CompletableFuture<Void> out) {
      this.serviceId = serviceId;
      this.intent = intent;
      this.fresh = fresh;
      this.failFast = fresh;
      this.out = out;
    }
  }

  /** Immutable settings of the swarm orchestrator; build with {@link #builder(String, String)}. */
  public static final class Settings {
    /**
     * How often the Swarm is polled: a quarter second makes a killed or placed task show within
     * about as long as an agent's heartbeat would (200 ms), for three list calls per poll.
     */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(250);
    /**
     * How long a start may wait for its task to run before it fails with Swarm's reason: long
     * enough for a local image to start on a loaded node (0.7–0.8 s measured), short enough that
     * the reconciler soon tries again, perhaps elsewhere.
     */
    public static final Duration DEFAULT_PLACEMENT_TIMEOUT = Duration.ofSeconds(30);
    /** How long Swarm waits before it restarts a failed instance. */
    public static final Duration DEFAULT_RESTART_DELAY = Duration.ofSeconds(1);
    /** Where the hub's CA certificate is mounted in an instance container. */
    public static final String CA_TARGET = "/run/fogwise/ca.pem";
    /** The file name of the instance's credentials under {@code /run/secrets}. */
    public static final String CREDS_FILE = "fogwise-instance.creds";

    final String gatewayId;
    final String natsUrl;
    final Path caFile;
    final boolean insecure;
    final Duration pollInterval;
    final Duration placementTimeout;
    final Duration restartDelay;
    final UpdateOrder updateOrder;
    final Clock clock;
    final Scheduler scheduler;
    final Map<String, String> images;

    private Settings(Builder b) {
      gatewayId = b.gatewayId;
      natsUrl = b.natsUrl;
      caFile = b.caFile;
      insecure = b.insecure;
      pollInterval = b.pollInterval;
      placementTimeout = b.placementTimeout;
      restartDelay = b.restartDelay;
      updateOrder = b.updateOrder;
      clock = b.clock;
      scheduler = b.scheduler;
      images = Map.copyOf(b.images);
    }

    /**
     * @param gatewayId the gateway whose Swarm services these are (their {@code fogwise.gateway} label)
     * @param natsUrl the hub as an instance container sees it (host networking: as the node sees it)
     */
    public static Builder builder(String gatewayId, String natsUrl) {
      return new Builder(gatewayId, natsUrl);
    }

    /** Builds {@link Settings}. */
    public static final class Builder {
      private final String gatewayId;
      private final String natsUrl;
      private Path caFile;
      private boolean insecure;
      private Duration pollInterval = DEFAULT_POLL_INTERVAL;
      private Duration placementTimeout = DEFAULT_PLACEMENT_TIMEOUT;
      private Duration restartDelay = DEFAULT_RESTART_DELAY;
      private UpdateOrder updateOrder = UpdateOrder.START_FIRST;
      private Clock clock = Clock.system();
      private Scheduler scheduler;
      private Map<String, String> images = Images.defaults();

      private Builder(String gatewayId, String natsUrl) {
        this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
        this.natsUrl = Objects.requireNonNull(natsUrl, "natsUrl");
      }

      /**
       * The hub's CA certificate on the nodes (bind-mounted read-only at {@link #CA_TARGET}; the
       * file must exist at this path on every node that may run an instance).
       */
      public Builder caFile(Path v) { this.caFile = v; return this; }
      /** The hub runs without authentication: no credentials, {@code FW_INSECURE=true}. */
      public Builder insecure(boolean v) { this.insecure = v; return this; }
      public Builder pollInterval(Duration v) { this.pollInterval = positive(v, "pollInterval"); return this; }
      public Builder placementTimeout(Duration v) { this.placementTimeout = positive(v, "placementTimeout"); return this; }
      public Builder restartDelay(Duration v) { this.restartDelay = Objects.requireNonNull(v, "restartDelay"); return this; }
      /** How a relocation rolls (default START_FIRST: the new task runs before the old one stops). */
      public Builder updateOrder(UpdateOrder v) { this.updateOrder = Objects.requireNonNull(v, "updateOrder"); return this; }
      /** The clock start deadlines are measured with. */
      public Builder clock(Clock v) { this.clock = Objects.requireNonNull(v, "clock"); return this; }
      /** What triggers polls (default: the adapter's own thread); docker calls stay on the adapter's thread. */
      public Builder scheduler(Scheduler v) { this.scheduler = Objects.requireNonNull(v, "scheduler"); return this; }
      /** The image of each kind (default {@code fogwise/<kind>:latest} for the built-in kinds). */
      public Builder images(Map<String, String> v) { this.images = Map.copyOf(v); return this; }

      public Settings build() {
        if (!insecure && caFile == null) {
          LOG.debug("swarm settings for {}: no CA file; instances must trust the hub by their image's own means",
              gatewayId);
        }
        return new Settings(this);
      }

      private static Duration positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException(name + " must be > 0, got " + d);
        }
        return d;
      }
    }
  }
}
