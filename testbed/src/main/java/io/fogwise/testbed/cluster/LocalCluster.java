package io.fogwise.testbed.cluster;

import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import io.fogwise.identity.Role;

/**
 * A whole Fogwise topology on one machine: a real nats-server, and a gateway and agents each
 * in its own OS process, plus an {@link Observer}. Closing it stops every process it started;
 * a JVM shutdown hook does the same on Ctrl-C.
 */
public final class LocalCluster implements AutoCloseable {
  /** The engine agents run containers on, in container mode ({@link #useContainers}). */
  private com.github.dockerjava.api.DockerClient docker;
  private int warmSpares;
  /** The agents started in container mode, whose containers a kill or close removes. */
  private final java.util.Set<String> agents = new java.util.LinkedHashSet<>();
  private final ComponentLauncher launcher;
  private final Path runDir;
  private final Timeline timeline;
  private volatile NatsServer hub;
  private final Connection nats;
  private final Observer observer;
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final Map<String, Integer> httpPorts = new java.util.concurrent.ConcurrentHashMap<>();
  private final Thread shutdownHook;
  private boolean closed;

  private LocalCluster(ComponentLauncher launcher, Path runDir, Timeline timeline, NatsServer hub, Connection nats,
      Observer observer) {
    this.launcher = launcher;
    this.runDir = runDir;
    this.timeline = timeline;
    this.hub = hub;
    this.nats = nats;
    this.observer = observer;
    this.shutdownHook = new Thread(() -> {
      timeline.log("interrupted: stopping every process started here");
      close();
    }, "fogwise-cluster-cleanup");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts the hub and the observer.
   *
   * @param dataSubject the application subject the observer accounts for, or null
   */
  public static LocalCluster start(ComponentLauncher launcher, Path runDir, Timeline timeline, String dataSubject)
      throws IOException, InterruptedException {
    return start(launcher, runDir, timeline, dataSubject, NatsServer.builder());
  }

  /**
   * As {@link #start(ComponentLauncher, Path, Timeline, String)}, the hub with a nats-server
   * configuration file (e.g. a leaf-node link to a cloud NATS), or null for none.
   */
  public static LocalCluster start(ComponentLauncher launcher, Path runDir, Timeline timeline, String dataSubject,
      Path hubConfig) throws IOException, InterruptedException {
    return start(launcher, runDir, timeline, dataSubject, NatsServer.builder().config(hubConfig));
  }

  /**
   * As {@link #start(ComponentLauncher, Path, Timeline, String)} with the hub started from
   * {@code hub} (its store is set to {@code <runDir>/nats}): e.g. {@code insecure()} to
   * measure what authentication and TLS cost, or a shared identity home.
   */
  public static LocalCluster start(ComponentLauncher launcher, Path runDir, Timeline timeline, String dataSubject,
      NatsServer.Builder hubOptions) throws IOException, InterruptedException {
    Objects.requireNonNull(launcher, "launcher");
    Files.createDirectories(runDir);
    NatsServer hub = hubOptions.store(runDir.resolve("nats")).start();
    timeline.log("hub: nats-server (pid %d) on %s%s", hub.pid(), hub.url(),
        hub.isSecure() ? " (TLS, identities in " + hub.identity().dir() + ")" : " (INSECURE: no authentication, no TLS)");
    try {
      // the observer stays quiet about the hub restarts and kills the testbed causes on purpose
      Connection nats = Nats.connect(NatsOptions.component(hub.url(), "observer", hub.operatorAuth())
          .errorListener(new QuietErrors())
          .connectionListener((conn, type) -> { }).build());
      Observer observer = new Observer(nats, dataSubject);
      return new LocalCluster(launcher, runDir, timeline, hub, nats, observer);
    } catch (IOException | InterruptedException | RuntimeException e) {
      hub.close();
      throw e;
    }
  }

  /** Starts {@code fogwise <args>} as a process named {@code name}, logging to {@code <runDir>/<name>.log}. */
  public synchronized Process launch(String name, List<String> args, List<String> jvmOptions) throws IOException {
    if (processes.containsKey(name) && processes.get(name).isAlive()) {
      throw new IllegalStateException("a process named " + name + " is already running");
    }
    List<String> cmd = launcher.command(args);
    if (!jvmOptions.isEmpty()) {
      cmd = new ArrayList<>(cmd);
      cmd.addAll(1, jvmOptions);
    }
    Path log = runDir.resolve(name + ".log");
    // appended, so a component restarted under the same name keeps the log of its earlier lives
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    processes.put(name, p);
    return p;
  }

  /** Starts a gateway process with its HTTP API on a free port (see {@link #httpPort}). */
  public Process startGateway(String gatewayId, List<String> extraArgs) throws IOException {
    return startGateway(gatewayId, extraArgs, ComponentLauncher.GATEWAY_JVM);
  }

  /** As {@link #startGateway(String, List)} with the gateway JVM's options given. */
  public Process startGateway(String gatewayId, List<String> extraArgs, List<String> jvmOptions) throws IOException {
    int http = NatsServer.freePort();
    List<String> args = new ArrayList<>(List.of("gateway", "--id", gatewayId, "--nats", hub.url(),
        "--http-port", Integer.toString(http)));
    args.addAll(identityArgs(Role.GATEWAY, gatewayId, null));
    args.addAll(extraArgs);
    Process p = launch(gatewayId, args, jvmOptions);
    httpPorts.put(gatewayId, http);
    timeline.log("gateway %s started (pid %d), HTTP API on http://127.0.0.1:%d/", gatewayId, p.pid(), http);
    return p;
  }

  /**
   * Starts the cloud service ({@code fogwise cloud}) on the hub as a process named {@code name};
   * it answers once its log says {@code cloud service up}.
   */
  public Process startCloud(String name, List<String> extraArgs) throws IOException {
    List<String> args = new ArrayList<>(List.of("cloud", "--nats", hub.url()));
    args.addAll(identityArgs(Role.CLOUD, "cloud", null));
    // the miner's history stays in the run, not in the user's data directory
    args.addAll(List.of("--miner-store", runDir.resolve("miner-" + name).toString(), "--miner-id", name));
    args.addAll(extraArgs);
    Process p = launch(name, args, ComponentLauncher.SMALL_JVM);
    timeline.log("cloud service %s started (pid %d)", name, p.pid());
    return p;
  }

  /** The HTTP API port of a gateway this cluster started. */
  public int httpPort(String gatewayId) {
    Integer port = httpPorts.get(gatewayId);
    if (port == null) {
      throw new IllegalArgumentException("no gateway " + gatewayId + " started here");
    }
    return port;
  }

  /** Starts an edge agent process connected straight to the hub. */
  public Process startAgent(String deviceId, String gatewayId, Layer layer, Map<String, String> labels,
      List<String> extraArgs) throws IOException {
    return startAgent(deviceId, gatewayId, layer, labels, hub.url(), extraArgs);
  }

  /**
   * Starts an edge agent process connected to {@code natsUrl}, e.g. a
   * {@link io.fogwise.testbed.link.LinkEmulator}'s URL in front of the hub.
   */
  public Process startAgent(String deviceId, String gatewayId, Layer layer, Map<String, String> labels,
      String natsUrl, List<String> extraArgs) throws IOException {
    List<String> args = new ArrayList<>(List.of("edge", "--id", deviceId, "--gateway", gatewayId, "--layer",
        layer.name(), "--nats", natsUrl));
    args.addAll(identityArgs(Role.DEVICE, deviceId, gatewayId));
    if (!labels.isEmpty()) {
      args.add("--labels");
      args.add(labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
    }
    if (docker != null) {
      args.addAll(List.of("--runtime", "docker"));
      if (warmSpares > 0) {
        args.addAll(List.of("--warm-spares", Integer.toString(warmSpares)));
      }
      agents.add(deviceId);
    }
    args.addAll(extraArgs);
    Process p = launch(deviceId, args, ComponentLauncher.SMALL_JVM);
    timeline.log("agent %s started as %s%s (pid %d)", deviceId, layer, labels.isEmpty() ? "" : " " + labels, p.pid());
    return p;
  }

  /**
   * The identity options of a component: {@code --home} of the hub's identities, its
   * credentials issued there first; {@code --insecure} on an insecure hub.
   */
  public List<String> identityArgs(Role role, String id, String gatewayId) {
    NatsServer h = hub;
    if (!h.isSecure()) {
      return List.of("--insecure");
    }
    h.credsFile(role, id, gatewayId);
    return List.of("--home", h.identity().dir().toString());
  }

  /** How the testbed's own tools (observers, load generators) connect: as the operator. */
  public io.fogwise.protocol.auth.NatsAuth operatorAuth() {
    return hub.operatorAuth();
  }

  /**
   * From now on, agents run their services as containers on {@code docker} ({@code fogwise edge
   * --runtime docker}); a kill of an agent also kills its labelled containers (a device loss on a
   * shared engine), and closing the cluster removes them.
   */
  public synchronized LocalCluster useContainers(com.github.dockerjava.api.DockerClient docker) {
    return useContainers(docker, 0);
  }

  /** As {@link #useContainers(com.github.dockerjava.api.DockerClient)}, each agent keeping {@code warmSpares} booted containers per image. */
  public synchronized LocalCluster useContainers(com.github.dockerjava.api.DockerClient docker, int warmSpares) {
    this.docker = docker;
    this.warmSpares = warmSpares;
    return this;
  }

  /** Whether agents run their services as containers. */
  public synchronized boolean containers() {
    return docker != null;
  }

  /**
   * Kills a component's process with SIGKILL (an agent's containers too, with {@code docker
   * kill}, in container mode); returns System.nanoTime of the kill.
   */
  public synchronized long kill(String name) {
    Process p = processes.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no process named " + name);
    }
    long t = System.nanoTime();
    p.destroyForcibly();
    if (docker != null && agents.contains(name)) {
      int n = io.fogwise.edge.container.DockerRuntime.killDevice(docker, name);
      timeline.log("docker kill of %d container(s) of %s", n, name);
    }
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return t;
  }

  /**
   * Kills the hub's nats-server with SIGKILL, as a crash would; returns System.nanoTime of the
   * kill. Its store stays; {@link #restartHub} starts it again on the same port.
   */
  public synchronized long killHub() {
    NatsServer h = hub;
    long t = System.nanoTime();
    ProcessHandle.of(h.pid()).ifPresent(ProcessHandle::destroyForcibly);
    h.close(); // waits for the exit; the store is ours (runDir/nats), so it is kept
    timeline.log("hub: nats-server (pid %d) killed with SIGKILL", h.pid());
    return t;
  }

  /** Starts the hub again on the same port with the same store; returns once it listens. */
  public synchronized void restartHub() {
    if (hub.isAlive()) {
      throw new IllegalStateException("the hub is still running (pid " + hub.pid() + ")");
    }
    hub = hub.restarted();
    timeline.log("hub: nats-server restarted (pid %d) on %s", hub.pid(), hub.url());
  }

  /** Sends a service request to a gateway and returns its answer. */
  public ServiceResponse request(String gatewayId, ServiceRequest req) throws InterruptedException {
    try {
      Message reply = nats.request(Subjects.services(gatewayId), MessageCodec.encode(req), Duration.ofSeconds(5));
      if (reply == null) {
        throw new IllegalStateException("gateway " + gatewayId + " did not answer the service request within 5 s");
      }
      return MessageCodec.decode(reply.getData(), ServiceResponse.class);
    } catch (io.fogwise.protocol.RejectedMessageException e) {
      throw new IllegalStateException("unreadable answer from gateway " + gatewayId + ": " + e.getMessage(), e);
    }
  }

  /** Applies a service spec, failing loudly if the gateway refuses it. */
  public void apply(String gatewayId, ServiceSpec spec) throws InterruptedException {
    try {
      io.fogwise.protocol.DurableStreams.provision(nats, gatewayId, spec); // as fogwise service apply does
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    ServiceResponse r = request(gatewayId, ServiceRequest.apply(spec));
    if (!r.ok()) {
      throw new IllegalStateException("gateway refused " + spec.name() + ": " + r.field() + ": " + r.error());
    }
  }

  public Observer observer() {
    return observer;
  }

  public Connection nats() {
    return nats;
  }

  public synchronized NatsServer hub() {
    return hub;
  }

  public Path runDir() {
    return runDir;
  }

  /** A process started by this cluster, if any. */
  public synchronized Process process(String name) {
    return processes.get(name);
  }

  /** Stops every process (SIGTERM, then SIGKILL after 3 s), the observer and the hub. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Process p : processes.values()) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    for (Process p : processes.values()) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
          p.destroyForcibly();
          p.waitFor(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (docker != null) {
      for (String agent : agents) {
        io.fogwise.edge.container.DockerRuntime.removeDevice(docker, agent);
      }
    }
    observer.close();
    try {
      nats.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    hub.close();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // called from the hook itself
    }
  }

  private static final class QuietErrors implements io.nats.client.ErrorListener {
    @Override
    public void errorOccurred(Connection conn, String error) {}

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {}
  }
}
