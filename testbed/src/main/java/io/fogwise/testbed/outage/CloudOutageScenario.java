package io.fogwise.testbed.outage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.cloud.data.DataStore;
import io.fogwise.identity.Role;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRollout;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.link.LinkEmulator;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A site that keeps running while its cloud link is down, watched from outside.
 *
 * <p>A cloud hub (JetStream domain {@code cloud}) and a gateway run as separate processes; the
 * gateway runs its site's NATS as a leaf node of the hub through the link emulator, and three
 * edge agents, a publisher and a subscriber use the site's NATS. Then the link is cut and its
 * connections reset, and while it is down an agent is killed (its service fails over), a cached
 * cloud item is served stale, a policy is pushed in the cloud and the gateway is restarted. When
 * the link returns, the policy lands and the site's queued events arrive in the cloud's history
 * once each and in order.
 *
 * <p>Every step is confirmed by observers outside the components: one on the site's NATS, one
 * on the cloud hub, the leaf node's own log, and the streams read directly. {@link Result#ok()}
 * is false when any step is missing.
 */
public final class CloudOutageScenario {
  public static final String GATEWAY = "gw-1";
  static final String APP = "site";
  static final String CHANNEL = "readings";
  static final String KEY = "site/config";
  static final String DURABLE_APP = "sited";

  /** How the scenario runs. */
  public record Settings(Path runDir, int rateHz, Duration stepTimeout) {
    public Settings {
      Objects.requireNonNull(runDir, "runDir");
      if (rateHz <= 0 || rateHz > 1000) {
        throw new IllegalArgumentException("rateHz must be within [1, 1000], got " + rateHz);
      }
      Objects.requireNonNull(stepTimeout, "stepTimeout");
    }

    public static Settings defaults(Path runDir) {
      return new Settings(runDir, 50, Duration.ofSeconds(40));
    }
  }

  /** One step and what the outside observers saw of it. */
  public record Step(String name, boolean ok, String detail) {}

  /** Every step in order, and the counts behind them. */
  public record Result(List<Step> steps, ObjectNode counts) {
    public boolean ok() {
      return !steps.isEmpty() && steps.stream().allMatch(Step::ok);
    }
  }

  private final ComponentLauncher launcher;
  private final Timeline timeline;
  private final Settings settings;
  private final List<Step> steps = new ArrayList<>();
  private final ObjectNode counts = MessageCodec.mapper().createObjectNode();

  public CloudOutageScenario(ComponentLauncher launcher, Timeline timeline, Settings settings) {
    this.launcher = Objects.requireNonNull(launcher, "launcher");
    this.timeline = Objects.requireNonNull(timeline, "timeline");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** Runs every step it can; a step that fails ends the run, and is the last in the result. */
  public Result run() throws IOException, InterruptedException {
    Files.createDirectories(settings.runDir());
    Path siteStore = settings.runDir().resolve("site");
    KeyPair pair = PolicyBundles.generateKeyPair();
    PolicyBundles.SigningKey key = new PolicyBundles.SigningKey(PolicyBundles.keyId(pair.getPublic()), pair.getPrivate());
    Path pub = settings.runDir().resolve("policy.pub");
    Files.writeString(pub, PolicyBundles.encodePublic(pair.getPublic()), StandardCharsets.US_ASCII);
    int hubLeafPort = NatsServer.freePort();
    List<Connection> conns = new ArrayList<>();
    try (LinkEmulator link = LinkEmulator.start("127.0.0.1", hubLeafPort);
        LocalCluster cluster = LocalCluster.start(launcher, settings.runDir(), timeline, null,
            NatsServer.builder().domain(Subjects.CLOUD_DOMAIN).leafListen(hubLeafPort)
                .leafAdvertise("127.0.0.1:" + link.port()))) {
      try {
        scenario(cluster, link, siteStore, pub, key, conns);
      } catch (StepFailed e) {
        timeline.log("STEP FAILED: %s", e.getMessage());
      } finally {
        for (Connection c : conns) {
          try {
            c.close();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    }
    counts.put("logs", settings.runDir().toString());
    return new Result(List.copyOf(steps), counts);
  }

  private void scenario(LocalCluster cluster, LinkEmulator link, Path siteStore, Path pub,
      PolicyBundles.SigningKey key, List<Connection> conns) throws IOException, InterruptedException {
    Duration timeout = settings.stepTimeout();
    int sitePort = NatsServer.freePort();
    String siteUrl = "nats://127.0.0.1:" + sitePort;
    Path leafLog = siteStore.resolve("nats-server.log");
    List<String> gatewayArgs = List.of("--leaf", "127.0.0.1:" + link.port(), "--leaf-port", Integer.toString(sitePort),
        "--leaf-store", siteStore.toString(), "--trust-key", pub.toString(),
        // short freshness, so a read during the outage needs the cloud and gets a stale copy
        "--cache-fresh-for", "2s", "--cache-refresh-after", "1s");

    // --- the site comes up -----------------------------------------------------------------
    DataStore.jetStream(cluster.nats()).put(KEY, "application/json",
        "{\"sampleEveryMs\":100}".getBytes(StandardCharsets.UTF_8));
    cluster.startCloud("cloud", List.of());
    // the site runs from an export of the identities that holds none of the fleet's private keys,
    // as a site host would: the gateway's, leaf and device credentials, the JWTs, its certificate
    cluster.identityArgs(Role.GATEWAY, GATEWAY, null);
    for (String d : List.of("e1", "e2", "e3", "e4")) {
      cluster.identityArgs(Role.DEVICE, d, GATEWAY);
    }
    Path siteIdentity = settings.runDir().resolve("site-identity");
    int files = cluster.hub().identity().exportSite(GATEWAY, siteIdentity, List.of()).size();
    timeline.log("site identities exported to %s (%d files, no fleet keys)", siteIdentity, files);
    startGateway(cluster, siteIdentity, gatewayArgs);
    Connection site = connectWhenUp(siteUrl, cluster, timeout);
    conns.add(site);
    Observer siteObs = new Observer(site, Subjects.data(APP, CHANNEL));
    Observer cloudObs = cluster.observer();
    require("gateway up on its leaf node", siteObs.awaitStatus(GATEWAY, s -> true, timeout).isPresent()
        && awaitLeafLinked(leafLog, 0, timeout) > 0, "status on the site's NATS; leaf log: link up");
    for (String d : List.of("e1", "e2", "e3", "e4")) {
      cluster.launch(d, List.of("edge", "--id", d, "--gateway", GATEWAY, "--layer", "EDGE", "--labels",
          d.equals("e3") ? "sub=true" : "pub=true", "--nats", siteUrl, "--home", siteIdentity.toString()),
          ComponentLauncher.SMALL_JVM);
    }
    timeline.log("agents e1, e2, e4 (pub=true) and e3 (sub=true) started on the site's NATS");
    require("4 devices alive at the site", siteObs.awaitStatus(GATEWAY, s -> s.devicesIn("ALIVE") == 4, timeout)
        .isPresent(), "gateway status seen on the site's NATS");
    Map<String, String> app = Map.of("app", APP, "channel", CHANNEL);
    // applied from the cloud: the request crosses the leaf link
    cluster.apply(GATEWAY, ServiceSpec.of("subscriber", "subscriber",
        new ServiceSpec.Placement(Layer.EDGE, Map.of("sub", "true")), app));
    cluster.apply(GATEWAY, ServiceSpec.of("publisher", "publisher",
        new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
        Map.of("app", APP, "channel", CHANNEL, "rateHz", Integer.toString(settings.rateHz()))));
    require("services applied from the cloud run at the site",
        siteObs.awaitData(o -> o.received() >= settings.rateHz(), timeout),
        "the site observer received " + siteObs.received() + " messages");
    // a durable channel beside the core one: its stream and consumer live on the site's NATS
    Map<String, String> durable = Map.of("app", DURABLE_APP, "channel", CHANNEL, "durable", "true");
    cluster.apply(GATEWAY, ServiceSpec.of("dsub", "subscriber",
        new ServiceSpec.Placement(Layer.EDGE, Map.of("sub", "true")), durable));
    java.util.Map<String, String> dpubConfig = new java.util.HashMap<>(durable);
    dpubConfig.put("rateHz", Integer.toString(settings.rateHz()));
    cluster.apply(GATEWAY, ServiceSpec.of("dpub", "publisher",
        new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")), dpubConfig));
    java.util.concurrent.atomic.AtomicReference<AppMessage> lastDurable = new java.util.concurrent.atomic.AtomicReference<>();
    site.createDispatcher(m -> {
      try {
        lastDurable.set(MessageCodec.decode(m.getData(), AppMessage.class));
      } catch (io.fogwise.protocol.RejectedMessageException ignored) {
        // nothing here sends malformed data
      }
    }).subscribe(Subjects.data(DURABLE_APP, CHANNEL));
    require("durable channel flowing at the site", await(() -> durableReceived(siteObs) > settings.rateHz(), timeout),
        "dsub received " + durableReceived(siteObs) + " messages of dpub through its durable consumer");
    DataReply fresh = read(site, timeout);
    require("cache serves cloud data", fresh != null && fresh.item() != null && !fresh.stale(),
        "read of " + KEY + " through the gateway: " + describe(fresh));
    long eventsBefore = siteEventCount(site);

    // --- the cloud link drops ------------------------------------------------------------
    int linkLines = logLines(leafLog);
    timeline.log(">>> cutting the cloud link and resetting its connections");
    long cutAt = System.nanoTime();
    link.cut();
    link.resetConnections();
    require("leaf node saw the link drop", awaitLeafDropped(leafLog, linkLines, timeout),
        "leaf log: 'Leafnode connection closed' after the cut");

    // a device dies during the outage: failover at the site
    long epochBefore = siteObs.currentEpoch();
    String victimDevice = siteObs.epoch(epochBefore).map(Observer.EpochSeen::publisherId).orElse("?");
    AppMessage durableBefore = lastDurable.get();
    int evFrom = siteObs.eventCount();
    timeline.log(">>> killing %s (it hosts the publisher) while the cloud is unreachable", victimDevice);
    long killAt = cluster.kill(victimDevice);
    String durableVictim = durableBefore.publisherId();
    if (!durableVictim.equals(victimDevice)) {
      timeline.log(">>> killing %s too (it hosts the durable publisher)", durableVictim);
      cluster.kill(durableVictim);
    }
    boolean lost = siteObs.awaitEvent(evFrom, e -> e.type() == AdaptationEvent.Type.DEVICE_LOST
        && victimDevice.equals(e.deviceId()), timeout).isPresent();
    boolean moved = siteObs.awaitData(o -> o.currentEpoch() > epochBefore, timeout);
    boolean durableMoved = await(() -> lastDurable.get().epoch() > durableBefore.epoch(), timeout);
    long recoverMs = (System.nanoTime() - killAt) / 1_000_000;
    long epochAfter = siteObs.currentEpoch();
    String newHost = siteObs.epoch(epochAfter).map(Observer.EpochSeen::publisherId).orElse("?");
    counts.put("failoverRecoverMs", recoverMs);
    int alive = durableVictim.equals(victimDevice) ? 3 : 2;
    require("device killed during the outage: service moved", lost && moved && durableMoved,
        victimDevice + " declared lost; publisher epoch " + epochBefore + " -> " + epochAfter + " (" + newHost
            + "), first new-epoch message " + recoverMs + " ms after the kill; durable publisher epoch "
            + durableBefore.epoch() + " (" + durableVictim + ") -> " + lastDurable.get().epoch() + " ("
            + lastDurable.get().publisherId() + ")");

    // the cache serves its copy stale
    DataReply stale = awaitRead(site, r -> r != null && r.item() != null && r.stale(), timeout);
    require("cache served stale while the cloud is unreachable", stale != null,
        "read of " + KEY + ": " + describe(stale));

    // a policy pushed in the cloud during the outage
    long version;
    String scope = Subjects.gatewayScope(GATEWAY);
    try (PolicyRollout rollout = PolicyRollout.open(cluster.nats())) {
      version = rollout.nextVersion(scope).version();
      PolicyBundle b = PolicyBundles.sign(scope, version, "outage-demo", System.currentTimeMillis(),
          List.of(new PolicyBundle.RuleFile("outage-alerts.drl", OUTAGE_RULES)), Map.of(), key);
      rollout.publish(b);
    } catch (Exception e) {
      throw new StepFailed("policy push during the outage failed: " + e);
    }
    timeline.log(">>> pushed policy %s v%d in the cloud while the site is cut off", scope, version);
    steps.add(new Step("policy pushed in the cloud during the outage", true, scope + " v" + version));

    // the gateway restarts during the outage and resumes from its leaf node
    long runningEpoch = siteObs.currentEpoch();
    int evBeforeRestart = siteObs.eventCount();
    timeline.log(">>> restarting gateway %s (SIGKILL; its site's NATS goes down and up with it) while the cloud is"
        + " unreachable", GATEWAY);
    long killedAtMillis = System.currentTimeMillis();
    cluster.kill(GATEWAY);
    startGateway(cluster, siteIdentity, gatewayArgs);
    long restartedAt = System.nanoTime();
    // a status from the new process (started after the kill) that sees both live devices again
    boolean back = siteObs.awaitStatus(GATEWAY, s -> s.startedAtMillis() >= killedAtMillis
        && s.devicesIn("ALIVE") == alive, timeout).isPresent();
    long n0 = siteObs.epoch(runningEpoch).map(Observer.EpochSeen::count).orElse(0L);
    boolean flowing = siteObs.awaitData(o -> o.epoch(runningEpoch).map(Observer.EpochSeen::count).orElse(0L)
        > n0 + settings.rateHz(), timeout);
    boolean restartedService = siteObs.events().subList(evBeforeRestart, siteObs.eventCount()).stream()
        .anyMatch(r -> r.message().type() == AdaptationEvent.Type.INSTANCE_STARTING);
    counts.put("gatewayRestartMs", (System.nanoTime() - restartedAt) / 1_000_000);
    require("gateway restarted during the outage resumed without restarting services",
        back && flowing && !restartedService && siteObs.currentEpoch() == runningEpoch,
        "status again after " + (System.nanoTime() - restartedAt) / 1_000_000 + " ms; publisher still epoch "
            + siteObs.currentEpoch() + "; instances started since the restart: " + (restartedService ? "some" : "none"));
    boolean notYet = siteObs.awaitStatus(GATEWAY, s -> true, timeout)
        .map(s -> s.policyVersions().getOrDefault(scope, 0L) < version).orElse(false);
    require("policy not applied while the cloud is unreachable", notYet, "the site's status still shows no v" + version);

    // --- the link returns ----------------------------------------------------------------
    long outageMs = (System.nanoTime() - cutAt) / 1_000_000;
    int beforeRestore = logLines(leafLog);
    timeline.log(">>> restoring the cloud link after %d ms", outageMs);
    link.restore();
    long restoredAt = System.nanoTime();
    counts.put("outageMs", outageMs);
    long statusAfter = System.currentTimeMillis();
    require("leaf node linked again", awaitLeafLinked(leafLog, beforeRestore, timeout) > 0
        && cloudObs.awaitStatus(GATEWAY, s -> s.atMillis() > statusAfter, timeout).isPresent(),
        "leaf log: handshake with the cloud done; the gateway's status reaches the cloud again");
    counts.put("relinkMs", (System.nanoTime() - restoredAt) / 1_000_000);
    boolean landed = cloudObs.awaitStatus(GATEWAY, s -> s.policyVersions().getOrDefault(scope, 0L) >= version,
        timeout).isPresent();
    counts.put("policyAppliedAfterRestoreMs", (System.nanoTime() - restoredAt) / 1_000_000);
    require("policy pushed during the outage applied after it", landed,
        "the gateway's status, seen in the cloud, shows " + scope + " v" + version);

    // the backlog: every site event in the cloud once, in order
    long siteEvents = siteEventCount(site);
    JetStreamManagement cloudJs = cluster.nats().jetStreamManagement();
    boolean arrived = await(() -> cloudEventCount(cloudJs) >= siteEvents, timeout);
    counts.put("backlogInCloudAfterRestoreMs", (System.nanoTime() - restoredAt) / 1_000_000);
    List<String> siteList = events(jsm(site), Subjects.EVENTS_STREAM, Subjects.events(GATEWAY));
    List<String> cloudList = events(cloudJs, Subjects.EVENTS_STREAM, Subjects.events(GATEWAY));
    List<String> sitePrefix = siteList.subList(0, (int) Math.min(siteList.size(), siteEvents));
    boolean inOrderOnce = cloudList.size() >= sitePrefix.size()
        && cloudList.subList(0, sitePrefix.size()).equals(sitePrefix)
        && new java.util.HashSet<>(cloudList).size() == cloudList.size();
    long queued = siteEvents - eventsBefore;
    counts.put("siteEvents", siteEvents);
    counts.put("cloudEvents", cloudList.size());
    counts.put("eventsDuringOutage", queued);
    require("backlog delivered once, in order", arrived && inOrderOnce && queued > 0,
        queued + " events recorded at the site during the outage; the cloud's " + Subjects.EVENTS_STREAM + " holds "
            + cloudList.size() + " of the site's " + siteEvents + ", same order, no duplicates");
    long siteTm = streamCount(jsm(site), Subjects.TELEMETRY_STREAM);
    boolean tmArrived = await(() -> streamCount(cloudJs, Subjects.TELEMETRY_STREAM) >= siteTm, timeout);
    counts.put("siteTelemetry", siteTm);
    counts.put("cloudTelemetry", streamCount(cloudJs, Subjects.TELEMETRY_STREAM));
    require("telemetry recorded during the outage reached the cloud", tmArrived,
        "the cloud's " + Subjects.TELEMETRY_STREAM + " holds " + streamCount(cloudJs, Subjects.TELEMETRY_STREAM)
            + " readings; the site had " + siteTm);
    // the durable channel: stop its publisher, let the subscriber drain, compare with the stream
    cluster.request(GATEWAY, io.fogwise.protocol.ServiceRequest.delete("dpub"));
    String dstream = io.fogwise.protocol.DurableChannel.streamName(DURABLE_APP);
    long[] stored = {-1, -2};
    await(() -> {
      long before = stored[0];
      stored[0] = streamCount(jsm(site), dstream);
      return stored[0] == before && stored[0] > 0;
    }, timeout);
    List<String> durableMsgs = events(jsm(site), dstream, Subjects.data(DURABLE_APP, CHANNEL));
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (String json : durableMsgs) {
      try {
        AppMessage a = MessageCodec.decode(json.getBytes(StandardCharsets.UTF_8), AppMessage.class);
        distinct.add(a.epoch() + "/" + a.number());
      } catch (io.fogwise.protocol.RejectedMessageException e) {
        throw new StepFailed("unreadable message in " + dstream + ": " + e.getMessage());
      }
    }
    boolean drained = await(() -> durableReceived(siteObs) >= distinct.size(), timeout);
    long received = durableReceived(siteObs);
    long dropped = durableDuplicates(siteObs);
    counts.put("durableStored", durableMsgs.size());
    counts.put("durableReceived", received);
    counts.put("durableLost", Math.max(0, distinct.size() - received));
    counts.put("durableDuplicatesDropped", dropped);
    require("durable channel: nothing lost, nothing twice, across a failover and a site NATS restart",
        drained && received == distinct.size() && durableMsgs.size() == distinct.size(),
        durableMsgs.size() + " messages acknowledged by the site's JetStream (" + distinct.size() + " distinct), "
            + received + " processed by dsub; redeliveries dropped: " + dropped);
    counts.put("messagesReceivedAtSite", siteObs.received());
    counts.put("messagesDuplicatedAtSite", siteObs.duplicates());
  }

  private static long durableReceived(Observer obs) {
    return obs.subscriberStats().values().stream().filter(st -> st.service().equals("dsub"))
        .flatMap(st -> st.publishers().stream()).filter(p -> p.service().equals("dpub"))
        .mapToLong(SubscriberStats.PublisherStats::received).sum();
  }

  private static long durableDuplicates(Observer obs) {
    return obs.subscriberStats().values().stream().filter(st -> st.service().equals("dsub"))
        .flatMap(st -> st.publishers().stream()).filter(p -> p.service().equals("dpub"))
        .mapToLong(SubscriberStats.PublisherStats::duplicates).sum();
  }

  private void startGateway(LocalCluster cluster, Path siteIdentity, List<String> extra) throws IOException {
    List<String> args = new ArrayList<>(List.of("gateway", "--id", GATEWAY, "--http-port", "-1", "--home",
        siteIdentity.toString()));
    args.addAll(extra);
    Process p = cluster.launch(GATEWAY, args, ComponentLauncher.GATEWAY_JVM);
    timeline.log("gateway %s started (pid %d) with its site's leaf node", GATEWAY, p.pid());
  }

  private static final String OUTAGE_RULES = "package fogwise.outage\n\n"
      + "import io.fogwise.rules.model.Device;\n\n"
      + "global io.fogwise.rules.Actions actions;\n\n"
      + "rule \"Very hot device raises an alert (pushed during a cloud outage)\"\n"
      + "when\n"
      + "    $d : Device( temperatureC != null, temperatureC > 95 )\n"
      + "then\n"
      + "    actions.alert(\"device \" + $d.getId() + \" is above 95 C\");\n"
      + "end\n";

  private void require(String name, boolean ok, String detail) {
    steps.add(new Step(name, ok, detail));
    timeline.log("%s %s: %s", ok ? "  ok  " : "FAILED", name, detail);
    if (!ok) {
      throw new StepFailed(name + ": " + detail);
    }
  }

  private static final class StepFailed extends RuntimeException {
    StepFailed(String message) {
      super(message);
    }
  }

  private static Connection connectWhenUp(String url, LocalCluster cluster, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try {
        return Nats.connect(NatsOptions.component(url, "site-observer", cluster.operatorAuth())
            .errorListener(new Quiet()).connectionListener((c, t) -> { }).build());
      } catch (IOException e) {
        last = e;
        Thread.sleep(200); // polling for a process to open its port, not waiting for an outcome
      }
    }
    throw new StepFailed("the site's NATS at " + url + " did not come up within " + timeout.toSeconds() + " s: " + last);
  }

  private static final class Quiet implements io.nats.client.ErrorListener {
    @Override
    public void errorOccurred(Connection conn, String error) {}

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {}
  }

  private static DataReply read(Connection site, Duration timeout) throws InterruptedException {
    try {
      Message m = site.request(Subjects.cacheGet(GATEWAY), MessageCodec.encode(new DataRequest(KEY)),
          Duration.ofSeconds(5));
      return m == null ? null : MessageCodec.decode(m.getData(), DataReply.class);
    } catch (RuntimeException | io.fogwise.protocol.RejectedMessageException e) {
      return null;
    }
  }

  private static DataReply awaitRead(Connection site, java.util.function.Predicate<DataReply> p, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      DataReply r = read(site, timeout);
      if (p.test(r)) {
        return r;
      }
      Thread.sleep(250); // a read every 250 ms until the copy is older than its freshness
    }
    return null;
  }

  private static String describe(DataReply r) {
    if (r == null) {
      return "no answer";
    }
    return r.error() != null ? r.error() : (r.stale() ? "STALE" : "fresh") + ", copy " + r.ageMs() + " ms old";
  }

  private static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100); // polling an outside condition
    }
    return condition.getAsBoolean();
  }

  private static int logLines(Path log) throws IOException {
    return Files.exists(log) ? Files.readAllLines(log).size() : 0;
  }

  /**
   * Waits for the leaf node to log how it separates its JetStream from the cloud's after line
   * {@code from} (it does once the link's handshake is done; "connection created" comes at the
   * TCP connect, before it);
   * returns the line or -1.
   */
  private static int awaitLeafLinked(Path log, int from, Duration timeout) throws InterruptedException {
    int[] at = {-1};
    await(() -> {
      at[0] = find(log, from, "JetStream Not Extended");
      return at[0] > 0;
    }, timeout);
    return at[0];
  }

  private static boolean awaitLeafDropped(Path log, int from, Duration timeout) throws InterruptedException {
    return await(() -> find(log, from, "Leafnode connection closed") > 0, timeout);
  }

  private static int find(Path log, int from, String text) {
    try {
      List<String> lines = Files.readAllLines(log);
      for (int i = from; i < lines.size(); i++) {
        if (lines.get(i).contains(text)) {
          return i + 1;
        }
      }
    } catch (IOException e) {
      // not written yet
    }
    return -1;
  }

  private static long siteEventCount(Connection site) {
    return streamCount(jsm(site), Subjects.EVENTS_STREAM);
  }

  private static JetStreamManagement jsm(Connection c) {
    try {
      return c.jetStreamManagement();
    } catch (IOException e) {
      throw new StepFailed("no JetStream on " + c.getConnectedUrl() + ": " + e.getMessage());
    }
  }

  private static long cloudEventCount(JetStreamManagement jsm) {
    return events(jsm, Subjects.EVENTS_STREAM, Subjects.events(GATEWAY)).size();
  }

  private static long streamCount(JetStreamManagement jsm, String stream) {
    try {
      return jsm.getStreamInfo(stream).getStreamState().getMsgCount();
    } catch (IOException | JetStreamApiException e) {
      return -1;
    }
  }

  /** The payloads of every message on {@code subject} in {@code stream}, in stream order. */
  private static List<String> events(JetStreamManagement jsm, String stream, String subject) {
    List<String> out = new ArrayList<>();
    try {
      long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
      for (long seq = 1; seq <= last; seq++) {
        try {
          MessageInfo m = jsm.getMessage(stream, seq);
          if (subject.equals(m.getSubject())) {
            out.add(new String(m.getData(), StandardCharsets.UTF_8));
          }
        } catch (JetStreamApiException gone) {
          // deleted or beyond the limits
        }
      }
    } catch (IOException | JetStreamApiException e) {
      throw new StepFailed("cannot read stream " + stream + ": " + e.getMessage());
    }
    return out;
  }

  /** The result as JSON. */
  public static ObjectNode toJson(Result r) {
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("ok", r.ok());
    ArrayNode s = out.putArray("steps");
    for (Step step : r.steps()) {
      s.addObject().put("step", step.name()).put("ok", step.ok()).put("detail", step.detail());
    }
    out.set("counts", r.counts());
    return out;
  }
}
