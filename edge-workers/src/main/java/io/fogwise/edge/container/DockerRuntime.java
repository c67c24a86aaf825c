package io.fogwise.edge.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.fogwise.containers.DockerClients;
import io.fogwise.containers.Images;
import io.fogwise.containers.Labels;
import io.fogwise.edge.ContainerFactory;
import io.fogwise.edge.HostedService;
import io.fogwise.edge.InstanceLaunch;
import io.fogwise.edge.ServiceContext;
import io.fogwise.edge.ServiceFactory;
import io.fogwise.protocol.ContainerSpec;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent's services as containers on a Docker engine. Every container it creates carries the
 * labels {@code fogwise.device} (this agent's device), {@code fogwise.service},
 * {@code fogwise.epoch}, {@code fogwise.kind}, {@code fogwise.gateway}; it only ever lists,
 * stops or removes containers with its own device label. A sweep (at start and then every
 * {@link #SWEEP_INTERVAL_MS} ms) removes every container of this device that no live instance
 * owns: what a previous life of the agent left behind, and stale epochs (fencing).
 */
public final class DockerRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DockerRuntime.class);
  /** How often the sweep runs. */
  public static final long SWEEP_INTERVAL_MS = 2000;

  private final DockerClient docker;
  private final String deviceId;
  private final String gatewayId;
  private final Map<String, String> images;
  /** Names of the containers live instances own (registered before they are created). */
  private final Set<String> owned = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService sweeper;
  private final ExecutorService cleanup;

  /**
   * Warm spares: booted instance containers kept per image, which a START takes over instead of
   * booting a JVM (a failover's critical path). Off ({@link #none()}) by default.
   *
   * @param perImage how many spares to keep per image (0: none)
   * @param caFile the CA certificate the agent trusts, mounted into each spare (empty: an insecure hub)
   * @param natsUrl the hub, with which each spare warms TLS up (a handshake, no login), or null
   */
  public record Spares(int perImage, java.util.Optional<java.nio.file.Path> caFile, String natsUrl) {
    /** Spares that do not warm up TLS with the hub. */
    public Spares(int perImage, java.util.Optional<java.nio.file.Path> caFile) {
      this(perImage, caFile, null);
    }

    public Spares {
      if (perImage < 0 || perImage > 8) {
        throw new IllegalArgumentException("warm spares per image must be within [0, 8], got " + perImage);
      }
      caFile = caFile == null ? java.util.Optional.empty() : caFile;
    }

    /** No spares. */
    public static Spares none() {
      return new Spares(0, java.util.Optional.empty());
    }
  }

  /** A spare container: running, its control endpoint answering, waiting to be assigned. */
  record Spare(String id, String name, String image, int port, String token) {}

  private final Spares spares;
  private final Map<String, java.util.Deque<Spare>> pool = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> creating = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong spareNames = new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean closed;

  private DockerRuntime(DockerClient docker, String deviceId, String gatewayId, Map<String, String> images,
      Spares spares) {
    this.spares = spares;
    this.docker = docker;
    this.deviceId = deviceId;
    this.gatewayId = gatewayId;
    this.images = Map.copyOf(images);
    this.sweeper = Executors.newSingleThreadScheduledExecutor(daemon("fw-docker-sweep-" + deviceId));
    this.cleanup = Executors.newCachedThreadPool(daemon("fw-docker-cleanup-" + deviceId));
  }

  /**
   * A runtime for device {@code deviceId} on the engine {@code docker}, running each kind of
   * {@code images} (kind → image reference) as that image.
   *
   * @throws IllegalStateException with what to do when the engine does not answer
   */
  public static DockerRuntime start(DockerClient docker, String deviceId, String gatewayId, Map<String, String> images) {
    return start(docker, deviceId, gatewayId, images, Spares.none());
  }

  /** As above, keeping {@code spares} warm spares per image of {@code images}. */
  public static DockerRuntime start(DockerClient docker, String deviceId, String gatewayId, Map<String, String> images,
      Spares spares) {
    Objects.requireNonNull(docker, "docker");
    DockerClients.problem(docker).ifPresent(p -> {
      throw new IllegalStateException("device " + deviceId + ": " + p);
    });
    for (Map.Entry<String, String> e : images.entrySet()) {
      if (!ContainerSpec.wellFormed(e.getValue())) {
        throw new IllegalArgumentException("kind '" + e.getKey() + "': '" + e.getValue() + "' is not an image reference");
      }
    }
    DockerRuntime r = new DockerRuntime(docker, deviceId, gatewayId, images, spares);
    r.sweep();
    r.sweeper.scheduleWithFixedDelay(r::sweepQuietly, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS, TimeUnit.MILLISECONDS);
    if (spares.perImage() > 0) {
      images.forEach((kind, image) -> r.replenish(kind, image));
    }
    return r;
  }

  /** A warm spare of {@code image}, taken out of the pool (another is made in the background), or null. */
  Spare takeSpare(String image) {
    java.util.Deque<Spare> q = pool.get(image);
    Spare s = q == null ? null : q.pollFirst();
    if (s != null) {
      images.entrySet().stream().filter(e -> e.getValue().equals(image)).findFirst()
          .ifPresent(e -> replenish(e.getKey(), image));
    }
    return s;
  }

  /** Removes a spare that could not be used. */
  void discard(Spare s) {
    disown(s.name());
    cleanup.execute(() -> {
      try {
        docker.removeContainerCmd(s.id()).withForce(true).exec();
      } catch (RuntimeException e) {
        LOG.debug("device {}: removing spare {}: {}", deviceId, s.name(), e.toString());
      }
    });
  }

  /** How many warm spares of {@code image} are ready. */
  public int sparesReady(String image) {
    java.util.Deque<Spare> q = pool.get(image);
    return q == null ? 0 : q.size();
  }

  /** Makes spares of {@code image} in the background until the pool holds {@link Spares#perImage()}. */
  private void replenish(String kind, String image) {
    if (closed || spares.perImage() == 0) {
      return;
    }
    java.util.concurrent.atomic.AtomicInteger inFlight = creating.computeIfAbsent(image,
        k -> new java.util.concurrent.atomic.AtomicInteger());
    while (sparesReady(image) + inFlight.get() < spares.perImage()) {
      inFlight.incrementAndGet();
      try {
        cleanup.execute(() -> {
          try {
            Spare s = makeSpare(kind, image);
            if (s != null) {
              pool.computeIfAbsent(image, k -> new java.util.concurrent.ConcurrentLinkedDeque<>()).addLast(s);
            }
          } finally {
            inFlight.decrementAndGet();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        inFlight.decrementAndGet();
        return;
      }
    }
  }

  private List<String> spareEnv(String kind, int port, String token) {
    List<String> env = new java.util.ArrayList<>(List.of(io.fogwise.containers.InstanceEnv.SPARE + "=true",
        io.fogwise.containers.InstanceEnv.KIND + "=" + kind,
        io.fogwise.containers.InstanceEnv.CONTROL_PORT + "=" + port,
        io.fogwise.containers.InstanceEnv.CONTROL_TOKEN + "=" + token));
    if (spares.natsUrl() != null && spares.caFile().isPresent()) {
      env.add(io.fogwise.containers.InstanceEnv.NATS_URL + "=" + spares.natsUrl());
      env.add(io.fogwise.containers.InstanceEnv.CA + "=" + spares.caFile().get().toAbsolutePath());
    }
    return env;
  }

  private Spare makeSpare(String kind, String image) {
    String name = "fw-" + deviceId + "-spare-" + kind + "-" + spareNames.incrementAndGet() + "-"
        + Long.toHexString(System.nanoTime() & 0xffffff);
    String token = ContainerService.newToken();
    int port;
    try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = ss.getLocalPort();
    } catch (java.io.IOException e) {
      return null;
    }
    com.github.dockerjava.api.model.HostConfig host =
        com.github.dockerjava.api.model.HostConfig.newHostConfig().withNetworkMode("host");
    spares.caFile().ifPresent(ca -> {
      String path = ca.toAbsolutePath().toString();
      host.withBinds(new com.github.dockerjava.api.model.Bind(path, new com.github.dockerjava.api.model.Volume(path),
          com.github.dockerjava.api.model.AccessMode.ro));
    });
    own(name);
    String id = null;
    try {
      id = docker.createContainerCmd(image).withName(name)
          .withLabels(Map.of(Labels.DEVICE, deviceId, Labels.GATEWAY, gatewayId, Labels.KIND, kind, Labels.SPARE, "true"))
          .withEnv(spareEnv(kind, port, token))
          .withHostConfig(host).exec().getId();
      docker.startContainerCmd(id).exec();
      java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
          .connectTimeout(java.time.Duration.ofMillis(500)).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline && !closed) {
        try {
          var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/health"))
              .timeout(java.time.Duration.ofSeconds(2)).header("Authorization", "Bearer " + token).GET().build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            LOG.info("device {}: warm spare {} of {} ready", deviceId, name, image);
            return new Spare(id, name, image, port, token);
          }
        } catch (java.io.IOException booting) {
          // not listening yet
        }
        TimeUnit.MILLISECONDS.sleep(100); // a booting JVM; bounded by the deadline
      }
      throw new IllegalStateException("its control endpoint did not answer within 60 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("device {}: cannot make a warm spare of {}: {}", deviceId, image, e.getMessage());
    }
    if (id != null) {
      try {
        docker.removeContainerCmd(id).withForce(true).exec();
      } catch (RuntimeException ignored) {
        // the sweep removes it
      }
    }
    disown(name);
    return null;
  }

  /**
   * The kinds this runtime runs, for the agent: one container factory per kind of its image map,
   * plus {@value ContainerSpec#CONTAINER_KIND} for specs that name only an image.
   */
  public Map<String, ServiceFactory> kinds() {
    Map<String, ServiceFactory> kinds = new TreeMap<>();
    for (String kind : images.keySet()) {
      kinds.put(kind, factory(kind));
    }
    kinds.put(ContainerSpec.CONTAINER_KIND, factory(ContainerSpec.CONTAINER_KIND));
    return kinds;
  }

  private ContainerFactory factory(String kind) {
    return new ContainerFactory() {
      @Override
      public HostedService create(ServiceContext context, InstanceLaunch launch) {
        String image = launch.container().image() != null ? launch.container().image() : images.get(kind);
        if (image == null) {
          throw new IllegalArgumentException("a '" + ContainerSpec.CONTAINER_KIND + "' service needs an image in its spec");
        }
        checkImage(image);
        return new ContainerService(DockerRuntime.this, context, launch, image);
      }
    };
  }

  private void checkImage(String image) {
    try {
      docker.inspectImageCmd(Images.withTag(image)).exec();
    } catch (NotFoundException e) {
      throw new IllegalArgumentException("image '" + image + "' is not on device " + deviceId
          + "'s Docker engine (build it with images/build.sh, or docker load it)");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(DockerClients.problem(docker)
          .orElse("the Docker engine failed to inspect image '" + image + "': " + e.getMessage()));
    }
  }

  /** Removes every container of this device that no live instance owns; returns how many. */
  public int sweep() {
    int removed = 0;
    for (Container c : ownContainers()) {
      String name = name(c);
      if (name != null && owned.contains(name)) {
        continue;
      }
      LOG.info("device {}: removing container {} ({} epoch {}): no live instance owns it", deviceId, name,
          c.getLabels().get(Labels.SERVICE), c.getLabels().get(Labels.EPOCH));
      try {
        docker.removeContainerCmd(c.getId()).withForce(true).exec();
        removed++;
      } catch (NotFoundException gone) {
        // removed meanwhile
      }
    }
    return removed;
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.debug("device {}: container sweep failed: {}", deviceId, e.toString());
    }
  }

  /** This device's containers, running or not. */
  public List<Container> ownContainers() {
    return docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(Labels.DEVICE, deviceId)).exec();
  }

  /**
   * Kills ({@code docker kill}) every container labelled with {@code deviceId}: with SIGKILL of its
   * agent, how a device loss is simulated on a shared engine. Returns how many were killed.
   */
  public static int killDevice(DockerClient docker, String deviceId) {
    int killed = 0;
    for (Container c : docker.listContainersCmd().withLabelFilter(Map.of(Labels.DEVICE, deviceId)).exec()) {
      try {
        docker.killContainerCmd(c.getId()).exec();
        killed++;
      } catch (RuntimeException e) {
        LOG.debug("kill of {}: {}", c.getId(), e.toString());
      }
    }
    return killed;
  }

  /** Removes every container labelled with {@code deviceId} (after a test or a demo). */
  public static void removeDevice(DockerClient docker, String deviceId) {
    for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(Labels.DEVICE, deviceId)).exec()) {
      try {
        docker.removeContainerCmd(c.getId()).withForce(true).exec();
      } catch (RuntimeException e) {
        LOG.debug("remove of {}: {}", c.getId(), e.toString());
      }
    }
  }

  private static String name(Container c) {
    String[] names = c.getNames();
    if (names == null || names.length == 0) {
      return null;
    }
    String n = names[0];
    return n.startsWith("/") ? n.substring(1) : n;
  }

  DockerClient docker() {
    return docker;
  }

  String deviceId() {
    return deviceId;
  }

  String gatewayId() {
    return gatewayId;
  }

  void own(String containerName) {
    owned.add(containerName);
  }

  void disown(String containerName) {
    owned.remove(containerName);
  }

  ExecutorService cleanup() {
    return cleanup;
  }

  @Override
  public void close() {
    closed = true;
    for (java.util.Deque<Spare> q : pool.values()) {
      for (Spare sp; (sp = q.pollFirst()) != null; ) {
        try {
          docker.removeContainerCmd(sp.id()).withForce(true).exec();
        } catch (RuntimeException e) {
          LOG.debug("device {}: removing spare {}: {}", deviceId, sp.name(), e.toString());
        }
        disown(sp.name());
      }
    }
    sweeper.shutdownNow();
    cleanup.shutdown();
    try {
      cleanup.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
