package io.fogwise.edge.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import io.fogwise.containers.InstanceEnv;
import io.fogwise.containers.Labels;
import io.fogwise.edge.Handover;
import io.fogwise.edge.HostedService;
import io.fogwise.edge.InstanceLaunch;
import io.fogwise.edge.RenewableService;
import io.fogwise.edge.ServiceContext;
import io.fogwise.protocol.ContainerSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance as a container. {@link #run()} creates and starts the container and then probes
 * it (its control endpoint's {@code /health}, every {@link #PROBE_INTERVAL}) until the agent
 * stops it; a container that exits, or is killed from outside, is a crash: {@code run()} throws
 * with the exit code and the container's last log lines, and the agent restarts it with back-off,
 * counting the restart. Its outputs come from the probe, so a container whose service stalls (or
 * whose probe stops answering) stops progressing, which the gateway takes as a stall.
 */
final class ContainerService implements HostedService, Handover, RenewableService {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  /** How often the container is probed. */
  static final Duration PROBE_INTERVAL = Duration.ofMillis(100);
  /** How long a hand-over or activation waits for a booting container's endpoint. */
  static final Duration CONTROL_WAIT = Duration.ofMillis(2500);
  /** How long a stop waits for the container to exit after SIGTERM before it is removed by force. */
  static final Duration STOP_WAIT = Duration.ofMillis(1500);

  private final DockerRuntime runtime;
  private final DockerClient docker;
  private final ServiceContext ctx;
  private final InstanceLaunch launch;
  private final String image;
  private volatile String token;
  /** Whether the image is a Fogwise instance with a control endpoint (any other image is only watched running). */
  private final boolean probeable;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final AtomicInteger attempt = new AtomicInteger();
  private volatile String credentials;
  private volatile String containerId;
  private volatile String containerName;
  private volatile int port;
  private volatile boolean ready;
  private volatile Long outputs;
  private volatile boolean everRun;
  /** Set by the hand-over before the first run: the container starts idle. */
  private volatile boolean startStandby;
  /** Whether the current container was told to stop producing (handed over, not activated since). */
  private volatile boolean idle;

  ContainerService(DockerRuntime runtime, ServiceContext ctx, InstanceLaunch launch, String image) {
    this.runtime = runtime;
    this.docker = runtime.docker();
    this.ctx = ctx;
    this.launch = launch;
    this.image = image;
    this.credentials = launch.credentials();
    this.probeable = !ContainerSpec.CONTAINER_KIND.equals(ctx.kind());
    this.token = newToken();
  }

  @Override
  public void run() throws Exception {
    everRun = true;
    String id = createAndStart();
    try {
      int failures = 0;
      while (!ctx.isStopping()) {
        if (probe()) {
          failures = 0;
        } else {
          failures++;
          InspectContainerResponse.ContainerState state = inspectState(id);
          if (state == null || !Boolean.TRUE.equals(state.getRunning())) {
            ready = false;
            Long code = state == null ? null : state.getExitCodeLong();
            throw new IllegalStateException("container " + containerName + " ("
                + image + ") " + (state == null ? "disappeared" : "exited with code " + code
                + (Boolean.TRUE.equals(state.getOOMKilled()) ? " (killed: out of memory)" : ""))
                + lastLog(id));
          }
          if (ready && failures >= 10) {
            LOG.warn("{}: container {} runs but its probe has not answered {} times", ctx, containerName, failures);
            failures = 0;
          }
        }
        ctx.awaitStop(PROBE_INTERVAL);
      }
    } finally {
      ready = false;
      stopContainer(id, containerName);
    }
  }

  /** The instance's variables (InstanceEnv), as a container's environment or a spare's assignment. */
  private Map<String, String> instanceEnv(boolean standby) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(InstanceEnv.NATS_URL, launch.natsUrl());
    env.put(InstanceEnv.GATEWAY, ctx.gatewayId());
    env.put(InstanceEnv.GATEWAY_DEPRECATED, ctx.gatewayId()); // images built before the rename
    env.put(InstanceEnv.DEVICE, ctx.deviceId());
    env.put(InstanceEnv.SERVICE, ctx.serviceName());
    env.put(InstanceEnv.KIND, ContainerSpec.CONTAINER_KIND.equals(ctx.kind()) ? "" : ctx.kind());
    env.put(InstanceEnv.EPOCH, Long.toString(ctx.epoch()));
    env.put(InstanceEnv.CONFIG, JSON.writeValueAsString(new LinkedHashMap<>(ctx.config())));
    env.put(InstanceEnv.STANDBY, Boolean.toString(standby));
    if (launch.insecure()) {
      env.put(InstanceEnv.INSECURE, "true");
    } else {
      env.put(InstanceEnv.CREDS, credentials);
      env.put(InstanceEnv.CA, caPath());
    }
    return env;
  }

  private String caPath() {
    return launch.caFile().orElseThrow(() -> new IllegalStateException("no CA certificate to give the container"))
        .toAbsolutePath().toString();
  }

  private String createAndStart() throws IOException {
    int n = attempt.incrementAndGet();
    String name = "fw-" + runtime.deviceId() + "-" + ctx.serviceName() + "-e" + ctx.epoch() + "-" + n;
    boolean standby = startStandby || idle;
    if (probeable && launch.container().env().isEmpty() && launch.container().resources() == null) {
      String id = fromSpare(name, standby);
      if (id != null) {
        return id;
      }
    }
    int p = freePort();
    String newToken = newToken();
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> e : launch.container().env().entrySet()) {
      env.add(e.getKey() + "=" + e.getValue());
    }
    instanceEnv(standby).forEach((k, v) -> env.add(k + "=" + v));
    if (probeable) {
      env.add(InstanceEnv.CONTROL_PORT + "=" + p);
      env.add(InstanceEnv.CONTROL_TOKEN + "=" + newToken);
    }
    HostConfig host = HostConfig.newHostConfig().withNetworkMode("host");
    if (!launch.insecure()) {
      String ca = caPath();
      host.withBinds(new Bind(ca, new Volume(ca), AccessMode.ro));
    }
    ContainerSpec.Resources limits = launch.container().resources();
    if (limits != null && limits.memoryMb() != null) {
      host.withMemory(limits.memoryMb() * 1024L * 1024L);
    }
    if (limits != null && limits.cpus() != null) {
      host.withNanoCPUs(Math.round(limits.cpus() * 1e9));
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.DEVICE, runtime.deviceId());
    labels.put(Labels.GATEWAY, ctx.gatewayId());
    labels.put(Labels.SERVICE, ctx.serviceName());
    labels.put(Labels.EPOCH, Long.toString(ctx.epoch()));
    labels.put(Labels.KIND, ctx.kind());
    runtime.own(name);
    containerName = name;
    port = p;
    token = newToken;
    ready = false;
    idle = standby;
    CreateContainerResponse created;
    try {
      created = docker.createContainerCmd(image).withName(name).withLabels(labels).withEnv(env)
          .withHostConfig(host).exec();
    } catch (RuntimeException e) {
      runtime.disown(name);
      throw new IllegalStateException("cannot create container " + name + " from " + image + ": " + engineProblem(e), e);
    }
    containerId = created.getId();
    try {
      docker.startContainerCmd(created.getId()).exec();
    } catch (RuntimeException e) {
      stopContainer(created.getId(), name);
      throw new IllegalStateException("cannot start container " + name + ": " + e.getMessage(), e);
    }
    LOG.info("{}: container {} ({}) started{}", ctx, name, image, standby ? " idle" : "");
    return created.getId();
  }

  /**
   * Becomes a warm spare of the image, if the runtime has one: renamed to the instance's name and
   * assigned the instance's variables. Null when there is none or the assignment failed (the spare
   * is removed; a fresh container is created instead).
   */
  private String fromSpare(String name, boolean standby) throws IOException {
    DockerRuntime.Spare spare = runtime.takeSpare(image);
    if (spare == null) {
      return null;
    }
    runtime.own(name);
    try {
      docker.renameContainerCmd(spare.id()).withName(name).exec();
    } catch (RuntimeException e) {
      runtime.disown(name);
      runtime.discard(spare);
      return null;
    }
    runtime.disown(spare.name());
    containerName = name;
    containerId = spare.id();
    port = spare.port();
    token = spare.token();
    ready = false;
    idle = standby;
    try {
      HttpResponse<String> r = http.send(request("/assign").timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(instanceEnv(standby)))).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException("the spare answered " + r.statusCode() + ": " + r.body());
      }
    } catch (IOException e) {
      LOG.warn("{}: warm spare {} could not be assigned ({}); starting a new container", ctx, name, e.getMessage());
      stopContainer(spare.id(), name);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopContainer(spare.id(), name);
      return null;
    }
    LOG.info("{}: warm spare became container {} ({}){}", ctx, name, image, standby ? " idle" : "");
    return spare.id();
  }

  static String newToken() {
    byte[] t = new byte[24];
    RANDOM.nextBytes(t);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(t);
  }

  private boolean probe() {
    if (!probeable) {
      InspectContainerResponse.ContainerState st = inspectState(containerId);
      ready = st != null && Boolean.TRUE.equals(st.getRunning());
      return ready;
    }
    try {
      HttpResponse<String> r = http.send(request("/health").GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return false;
      }
      JsonNode body = JSON.readTree(r.body());
      JsonNode o = body.get("outputs");
      outputs = o == null || o.isNull() ? null : o.asLong();
      ready = true;
      return true;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(2))
        .header("Authorization", "Bearer " + token);
  }

  /** POSTs to the control endpoint, waiting up to {@link #CONTROL_WAIT} for a booting container. */
  private JsonNode post(String path, String body) {
    long deadline = System.nanoTime() + CONTROL_WAIT.toNanos();
    String last = "no container";
    while (true) {
      if (containerId != null) {
        try {
          HttpResponse<String> r = http.send(request(path)
              .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
              .build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() / 100 == 2) {
            return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
          }
          throw new IllegalStateException("container " + containerName + " answered " + r.statusCode() + ": " + r.body());
        } catch (IOException e) {
          last = e.toString();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted");
        }
      }
      if (System.nanoTime() > deadline || ctx.isStopping()) {
        throw new IllegalStateException("the container of " + ctx.serviceName() + " epoch " + ctx.epoch()
            + " did not answer " + path + " within " + CONTROL_WAIT.toMillis() + " ms (" + last + ")");
      }
      try {
        TimeUnit.MILLISECONDS.sleep(20); // a booting JVM: bounded by CONTROL_WAIT
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted");
      }
    }
  }

  @Override
  public OptionalLong handover() {
    if (!everRun) {
      startStandby = true; // started in standby: the container starts idle
      idle = true;
      return OptionalLong.empty();
    }
    if (!probeable) {
      idle = true;
      return OptionalLong.empty(); // an arbitrary image does not number its output
    }
    JsonNode r = post("/handover", null);
    idle = true;
    JsonNode next = r.get("next");
    return next == null || next.isNull() ? OptionalLong.empty() : OptionalLong.of(next.asLong());
  }

  @Override
  public boolean activate(long number) {
    if (!probeable) {
      boolean changed = idle;
      idle = false;
      startStandby = false;
      return changed;
    }
    JsonNode r = post("/activate?number=" + number, null);
    idle = false;
    startStandby = false;
    return r.path("changed").asBoolean(true);
  }

  @Override
  public void renew(String creds) {
    this.credentials = creds; // a restarted container starts with the new ones
    if (!probeable) {
      return; // an arbitrary image gets them at its next start
    }
    post("/renew", creds);
  }

  @Override
  public OptionalLong outputs() {
    Long o = outputs;
    return o == null ? OptionalLong.empty() : OptionalLong.of(o);
  }

  @Override
  public boolean ready() {
    return ready;
  }

  private InspectContainerResponse.ContainerState inspectState(String id) {
    try {
      return docker.inspectContainerCmd(id).exec().getState();
    } catch (NotFoundException e) {
      return null;
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot watch container " + containerName + ": " + engineProblem(e), e);
    }
  }

  /** What went wrong with the engine, in one line. */
  private String engineProblem(RuntimeException e) {
    return io.fogwise.containers.DockerClients.problem(docker).orElse(String.valueOf(e.getMessage()));
  }

  private String lastLog(String id) {
    List<String> lines = new ArrayList<>();
    try {
      docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(5)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
              lines.add(new String(f.getPayload(), StandardCharsets.UTF_8).strip());
            }
          }).awaitCompletion(2, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
    lines.removeIf(String::isBlank);
    return lines.isEmpty() ? "" : "; its last output: " + String.join(" | ", lines);
  }

  /**
   * SIGTERM, up to {@link #STOP_WAIT} for the exit (the instance flushes what it sent), then
   * removal; on a thread of the runtime, so an agent stop that interrupts this thread does not
   * leave the container behind.
   */
  private void stopContainer(String id, String name) {
    CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
      try {
        docker.stopContainerCmd(id).withTimeout((int) Math.max(1, STOP_WAIT.toSeconds())).exec();
      } catch (RuntimeException e) {
        LOG.debug("{}: stop of {}: {}", ctx, name, e.toString());
      }
      try {
        docker.removeContainerCmd(id).withForce(true).exec();
      } catch (NotFoundException gone) {
        // removed already
      } catch (RuntimeException e) {
        LOG.warn("{}: cannot remove container {}: {}", ctx, name, e.toString());
      } finally {
        runtime.disown(name);
      }
    }, runtime.cleanup());
    try {
      done.get(STOP_WAIT.toMillis() + 1500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.debug("{}: removal of {} continues in the background: {}", ctx, name, e.toString());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public String toString() {
    return "container " + containerName + " of " + ctx.serviceName() + " epoch " + ctx.epoch();
  }
}
