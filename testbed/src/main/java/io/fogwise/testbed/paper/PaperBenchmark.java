package io.fogwise.testbed.paper;

import io.fogwise.identity.Role;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.link.Direction;
import io.fogwise.testbed.link.LinkEmulator;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * {@code fogwise bench paper}: the paper's experiment (section V) on one machine. A cloud (the
 * hub, a CLOUD agent hosting the publisher and subscriber 1), a gateway running its own NATS (a
 * leaf node of the cloud's), and two edge agents (subscriber 2; the publisher's later home), each
 * its own process, with every link between layers through a {@link LinkEmulator}. After
 * {@code messages} messages the hub moves to the gateway ({@code fogwise hub move}, run as a
 * process) and the cloud's server stops; after as many more the publisher moves to the edge
 * (planned migration). The subscribers' own per-message logs and an observer at the gateway
 * measure everything; {@link PaperReport} writes the document and the plot.
 */
public final class PaperBenchmark {
  static final String GW = "gw-paper";
  static final String APP = "paper";
  static final String CHANNEL = "latency";
  static final String PUBLISHER = "publisher";
  static final String SUB_CLOUD = "sub-cloud";
  static final String SUB_EDGE = "sub-edge";

  /**
   * What to run.
   *
   * @param messages messages per phase
   * @param rateHz the publisher's rate
   * @param cloudGatewayOneWay delay each way between cloud and gateway (round trip twice this)
   * @param edgeOneWay delay each way between gateway and an edge device
   * @param edgeJitter extra uniform delay 0..this each way between gateway and an edge device
   * @param seed the link emulators' jitter seed
   */
  public record Settings(int messages, int rateHz, Duration cloudGatewayOneWay, Duration edgeOneWay,
      Duration edgeJitter, long seed) {
    public Settings {
      if (messages < 100 || messages > 1_000_000) {
        throw new IllegalArgumentException("messages per phase must be within [100, 1000000], got " + messages);
      }
      if (rateHz < 1 || rateHz > 1000) {
        throw new IllegalArgumentException("rate must be within [1, 1000] Hz, got " + rateHz);
      }
      Objects.requireNonNull(cloudGatewayOneWay, "cloudGatewayOneWay");
      Objects.requireNonNull(edgeOneWay, "edgeOneWay");
      Objects.requireNonNull(edgeJitter, "edgeJitter");
    }

    /** The paper's conditions: 10,000 messages per phase, cloud-gateway 4 ms round trip, edge 1 ms with jitter. */
    public static Settings paper() {
      return new Settings(10_000, 100, Duration.ofMillis(2), Duration.ofNanos(400_000), Duration.ofNanos(300_000), 1);
    }
  }

  /** Where the run's raw data is, for {@link PaperReport}. */
  public record Run(Settings settings, long firstNumber, List<Recorder.Arrival> observed, Path latencyDir,
      long hubMoveStartNanos, long hubMoveEndNanos, String hubMoveOutput, long pubMoveStartNanos,
      long cloudStoppedNanos, Path runDir, String loadBefore, String loadAfter) {}

  /** The machine's load averages (1, 5, 15 min) from /proc/loadavg, or "unknown". */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim().split("\\s+");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private final ComponentLauncher launcher;
  private final Timeline timeline;

  public PaperBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = launcher;
    this.timeline = timeline;
  }

  /** Runs the experiment; the processes are gone when it returns. */
  public Run run(Settings s, Path runDir) throws Exception {
    Files.createDirectories(runDir);
    String loadBefore = loadAverage();
    Path latencyDir = runDir.resolve("latency");
    int hubLeafPort = NatsServer.freePort();
    int sitePort = NatsServer.freePort();
    Duration timeout = Duration.ofSeconds(60);
    List<LinkEmulator> links = new ArrayList<>();
    try (LinkEmulator leafLink = LinkEmulator.start("127.0.0.1", hubLeafPort);
        LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, null,
            NatsServer.builder().domain(Subjects.CLOUD_DOMAIN).leafListen(hubLeafPort)
                .leafAdvertise("127.0.0.1:" + leafLink.port()))) {
      NatsServer hub = cluster.hub();
      leafLink.withSeed(s.seed()).delay(Direction.BOTH, s.cloudGatewayOneWay());
      // the links: every path between two layers through its own emulator
      LinkEmulator cloudToSite = link(links, "127.0.0.1", sitePort, s.cloudGatewayOneWay(), Duration.ZERO, s.seed() + 1);
      LinkEmulator edge1ToSite = link(links, "127.0.0.1", sitePort, s.edgeOneWay(), s.edgeJitter(), s.seed() + 2);
      LinkEmulator edge2ToSite = link(links, "127.0.0.1", sitePort, s.edgeOneWay(), s.edgeJitter(), s.seed() + 3);
      Duration edgeToCloud = s.edgeOneWay().plus(s.cloudGatewayOneWay());
      LinkEmulator edge1ToCloud = link(links, "127.0.0.1", hub.port(), edgeToCloud, s.edgeJitter(), s.seed() + 4);
      LinkEmulator edge2ToCloud = link(links, "127.0.0.1", hub.port(), edgeToCloud, s.edgeJitter(), s.seed() + 5);
      timeline.log("links: cloud<->gateway %d us each way (leaf link and cloud device), gateway<->edge %d us + 0..%d us"
          + " jitter each way; edge<->cloud their sum", s.cloudGatewayOneWay().toNanos() / 1000,
          s.edgeOneWay().toNanos() / 1000, s.edgeJitter().toNanos() / 1000);

      // identities: issued on the hub, the site's exported (no fleet keys), as a site host would hold them
      cluster.identityArgs(Role.GATEWAY, GW, null);
      for (String d : List.of("cloud-1", "edge-1", "edge-2")) {
        cluster.identityArgs(Role.DEVICE, d, GW);
      }
      Path siteHome = runDir.resolve("site-identity");
      hub.identity().exportSite(GW, siteHome, List.of());
      cluster.launch(GW, List.of("gateway", "--id", GW, "--http-port", "-1", "--home", siteHome.toString(), "--leaf",
          "127.0.0.1:" + leafLink.port(), "--leaf-port", Integer.toString(sitePort), "--leaf-store",
          runDir.resolve("site").toString()), ComponentLauncher.GATEWAY_JVM);
      String siteUrl = "nats://127.0.0.1:" + sitePort;
      Connection site = connectWhenUp(siteUrl, cluster, timeout);
      try {
        Observer siteObs = new Observer(site, null);
        Recorder recorder = new Recorder(site, Subjects.data(APP, CHANNEL));
        require(siteObs.awaitStatus(GW, st -> true, timeout).isPresent(), "the gateway did not report on its site's NATS");
        List<Runnable> agents = List.of(
            () -> agent(cluster, "cloud-1", Layer.CLOUD, "pub=true", cloudToSite.url(), hub.url(), siteHome, latencyDir),
            () -> agent(cluster, "edge-1", Layer.EDGE, "sub=true", edge1ToSite.url(), edge1ToCloud.url(), siteHome,
                latencyDir),
            () -> agent(cluster, "edge-2", Layer.EDGE, "pub=true", edge2ToSite.url(), edge2ToCloud.url(), siteHome,
                latencyDir));
        agents.forEach(Runnable::run);
        // on a loaded machine an agent's first TLS connect can time out, and the agent exits: start it again
        long joinDeadline = System.nanoTime() + timeout.toNanos() * 2;
        while (siteObs.awaitStatus(GW, st -> st.devicesIn("ALIVE") == 3, Duration.ofSeconds(2)).isEmpty()) {
          require(System.nanoTime() < joinDeadline, "agents did not join");
          List<String> names = List.of("cloud-1", "edge-1", "edge-2");
          for (int i = 0; i < names.size(); i++) {
            Process p = cluster.process(names.get(i));
            if (p != null && !p.isAlive()) {
              timeline.log("agent %s exited (%d) before joining; starting it again", names.get(i), p.exitValue());
              agents.get(i).run();
            }
          }
        }
        Map<String, String> app = Map.of("app", APP, "channel", CHANNEL);
        cluster.apply(GW, ServiceSpec.of(SUB_CLOUD, "subscriber", ServiceSpec.Placement.layer(Layer.CLOUD), app));
        cluster.apply(GW, ServiceSpec.of(SUB_EDGE, "subscriber",
            new ServiceSpec.Placement(Layer.EDGE, Map.of("sub", "true")), app));
        // both subscribers listen (their statistics reach the cloud's hub, where they are connected) before the first message
        Observer cloudObs = cluster.observer();
        require(await(() -> cloudObs.subscriberStats().keySet().containsAll(
            List.of(SUB_CLOUD + "@cloud-1", SUB_EDGE + "@edge-1")), timeout), "subscribers did not start");
        cluster.apply(GW, ServiceSpec.of(PUBLISHER, "publisher",
            new ServiceSpec.Placement(Layer.CLOUD, Map.of("pub", "true")),
            Map.of("app", APP, "channel", CHANNEL, "rateHz", Integer.toString(s.rateHz()))));
        require(recorder.awaitCount(1, timeout), "no message from the publisher");
        long first = recorder.firstNumber();
        timeline.log("phase 1 (hub and publisher in the cloud): from number %d, %d messages at %d msg/s", first,
            s.messages(), s.rateHz());
        Duration phase = Duration.ofMillis(s.messages() * 1000L / s.rateHz() * 2 + 30_000);

        // --- the hub moves to the gateway: the user's command, as a process ---
        require(recorder.awaitNumber(first + s.messages() - 1, phase), "phase 1 did not complete");
        Process move = cluster.launch("hub-move", List.of("hub", "move", "--to", GW, "--nats", siteUrl, "--home",
            hub.identity().dir().toString()), ComponentLauncher.SMALL_JVM);
        // the move itself (not the command's JVM start and discovery) is timed from outside, by
        // watching the command's output: from its first line (it starts moving) to "detached:"
        Path moveLog = runDir.resolve("hub-move.log");
        long hubStart = awaitLine(moveLog, "hub move to ", move);
        long hubEnd = awaitLine(moveLog, "detached:", move);
        require(move.waitFor(60, TimeUnit.SECONDS), "fogwise hub move did not finish within 60 s");
        String moveOutput = Files.readString(moveLog, StandardCharsets.UTF_8);
        require(move.exitValue() == 0, "fogwise hub move failed (exit " + move.exitValue() + "): " + moveOutput);
        timeline.log("hub move: %s", lastLines(moveOutput, 2));
        // the cloud's server leaves: no instance uses it any more; a graceful stop (SIGINT)
        long cloudStopped = System.nanoTime();
        hub.close();
        timeline.log("the cloud's nats-server (pid %d) stopped; the site carries on alone", hub.pid());

        // --- the publisher moves to the other edge device: planned migration ---
        require(recorder.awaitNumber(first + 2L * s.messages() - 1, phase), "phase 2 did not complete");
        long pubStart = System.nanoTime();
        ServiceResponse r = request(site, ServiceRequest.moveToLayer(PUBLISHER, Layer.EDGE));
        require(r.ok(), "publisher move refused: " + r.error());
        require(recorder.awaitNumber(first + 3L * s.messages() - 1, phase), "phase 3 did not complete");
        // the subscribers flush their logs every second
        long last = first + 3L * s.messages() - 1;
        require(await(() -> logged(latencyDir, SUB_CLOUD, last) && logged(latencyDir, SUB_EDGE, last),
            Duration.ofSeconds(15)), "the subscribers' logs do not reach the last message");
        timeline.log("phase 3 complete at number %d", last);
        List<Recorder.Arrival> arrivals = recorder.arrivals();
        // the observer's raw data beside the subscribers' (arrival nanoTime, publisher, epoch, number)
        StringBuilder csv = new StringBuilder("arrivalNanoTime,publisher,epoch,number\n");
        for (Recorder.Arrival a : arrivals) {
          csv.append(a.nanos()).append(',').append(a.publisherId()).append(',').append(a.epoch()).append(',')
              .append(a.number()).append('\n');
        }
        Files.writeString(runDir.resolve("observer.csv"), csv, StandardCharsets.US_ASCII);
        return new Run(s, first, arrivals, latencyDir, hubStart, hubEnd, moveOutput, pubStart, cloudStopped,
            runDir, loadBefore, loadAverage());
      } finally {
        site.close();
      }
    } finally {
      for (LinkEmulator l : links) {
        l.close();
      }
    }
  }

  private static LinkEmulator link(List<LinkEmulator> links, String host, int port, Duration oneWay, Duration jitter,
      long seed) {
    LinkEmulator l = LinkEmulator.start(host, port).withSeed(seed).delay(Direction.BOTH, oneWay);
    if (!jitter.isZero()) {
      l.jitter(Direction.BOTH, jitter);
    }
    links.add(l);
    return l;
  }

  private void agent(LocalCluster cluster, String id, Layer layer, String labels, String natsUrl, String instanceUrl,
      Path home, Path latencyDir) {
    Process p;
    try {
      p = cluster.launch(id, List.of("edge", "--id", id, "--gateway", GW, "--layer", layer.name(), "--labels",
        labels, "--nats", natsUrl, "--instance-nats", instanceUrl, "--latency-log", latencyDir.toString(), "--home",
        home.toString()), ComponentLauncher.SMALL_JVM);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot start agent " + id + ": " + e.getMessage(), e);
    }
    timeline.log("agent %s (%s, %s) started (pid %d): control via %s, instances via %s", id, layer, labels, p.pid(),
        natsUrl, instanceUrl);
  }

  /** Whether a subscriber's log (any epoch) already holds message {@code number}. */
  private static boolean logged(Path dir, String service, long number) {
    try (var files = Files.list(dir)) {
      String needle = "," + PUBLISHER + ",";
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith(service + "-e")).toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
          if (line.contains(needle) && PaperReport.Line.parse(line).map(l -> l.number() >= number).orElse(false)) {
            return true;
          }
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  /** System.nanoTime when {@code text} first appears in {@code log} (-1 if the process ended without it). */
  private static long awaitLine(Path log, String text, Process p) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
          return System.nanoTime();
        }
      } catch (IOException e) {
        // being written: read again
      }
      if (!p.isAlive()) {
        return -1;
      }
      Thread.sleep(2); // polling another process's output; 2 ms is the resolution of this timing
    }
    return -1;
  }

  private static ServiceResponse request(Connection nc, ServiceRequest req) throws Exception {
    Message reply = nc.request(Subjects.services(GW), MessageCodec.encode(req), Duration.ofSeconds(10));
    if (reply == null) {
      throw new IllegalStateException("gateway " + GW + " did not answer within 10 s");
    }
    return MessageCodec.decode(reply.getData(), ServiceResponse.class);
  }

  private static String lastLines(String text, int n) {
    String[] lines = text.strip().split("\n");
    return String.join(" | ", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
  }

  private static boolean await(java.util.function.BooleanSupplier cond, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(100); // polling files and reports written by other processes
    }
    return true;
  }

  private static Connection connectWhenUp(String url, LocalCluster cluster, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try {
        return Nats.connect(NatsOptions.component(url, "paper-observer", cluster.operatorAuth())
            .connectionListener((c, t) -> { }).build());
      } catch (IOException e) {
        last = e;
        Thread.sleep(200); // polling for a process to open its port
      }
    }
    throw new IllegalStateException("the site's NATS at " + url + " did not come up: " + last);
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }
}
