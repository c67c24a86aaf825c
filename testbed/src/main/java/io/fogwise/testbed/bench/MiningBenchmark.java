package io.fogwise.testbed.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.cloud.history.History;
import io.fogwise.cloud.mining.DrlWriter;
import io.fogwise.cloud.mining.HeartbeatMiner;
import io.fogwise.cloud.mining.Miner;
import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.cloud.mining.PrecursorMiner;
import io.fogwise.cloud.mining.ThresholdBaseline;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import io.fogwise.testbed.fleet.FleetParameters;
import io.fogwise.testbed.fleet.FleetPublisher;
import io.fogwise.testbed.fleet.FleetSimulator;
import io.fogwise.testbed.fleet.FleetTrace;
import io.fogwise.testbed.fleet.FailureMode;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code fogwise bench mining}: the cloud pattern miner end to end and its quality. The training
 * fleet is published to a real (secure) nats-server; the miner reads it back from the streams and
 * runs one pass; the generated rules and parameters are then scored on the held-out fleet
 * (another seed and parameter draw) replayed through the gateway's real engine, next to a
 * threshold baseline tuned by grid search on the same training history. Heartbeat thresholds are
 * judged on the held-out arrivals against a fixed timeout of equal mean detection time, and one
 * pass over the speed fleet's 1M readings is timed.
 */
public final class MiningBenchmark {
  /** The parts, in the order they run. */
  public static final Set<String> PARTS = Set.of("quality", "heartbeat", "speed");

  private final PrintStream out;
  private final StringBuilder report = new StringBuilder();

  public MiningBenchmark(PrintStream out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  /**
   * What to run.
   *
   * @param quick smaller fleets (a test's run)
   * @param parts some of {@link #PARTS}
   */
  public record Settings(boolean quick, Set<String> parts) {
    public Settings {
      parts = Set.copyOf(parts);
      for (String p : parts) {
        if (!PARTS.contains(p)) {
          throw new IllegalArgumentException("unknown part '" + p + "', expected some of quality,heartbeat,speed");
        }
      }
      if (parts.isEmpty()) {
        throw new IllegalArgumentException("no part to run: give some of quality,heartbeat,speed");
      }
    }
  }

  /** The Markdown report of the last run (the tables printed on stdout). */
  public String report() {
    return report.toString();
  }

  public ObjectNode run(Settings s) throws Exception {
    ObjectNode json = MessageCodec.mapper().createObjectNode();
    json.put("benchmark", "mining");
    json.put("quick", s.quick());
    ArrayNode partsJson = json.putArray("parts");
    List.of("quality", "heartbeat", "speed").stream().filter(s.parts()::contains).forEach(partsJson::add);
    PrecursorMiner.Options precursorOptions = PrecursorMiner.Options.DEFAULTS;
    if (s.parts().contains("quality") || s.parts().contains("heartbeat")) {
      FleetParameters.Draw trainDraw = s.quick() ? FleetParameters.training().scaled(40, Duration.ofMinutes(90))
          : FleetParameters.training();
      FleetParameters.Draw heldDraw = s.quick() ? FleetParameters.heldOut().scaled(40, Duration.ofMinutes(90))
          : FleetParameters.heldOut();
      FleetTrace training = FleetSimulator.generate(trainDraw);
      FleetTrace heldOut = FleetSimulator.generate(heldDraw);
      section("## Mining " + (s.quick() ? "(--quick)" : ""));
      line("| fleet | seed | slots | duration | devices | failures (battery / overheat / memory leak / crash) |"
          + " telemetry | events |");
      line("|---|---|---|---|---|---|---|---|");
      json.set("training", fleetJson(training, "training"));
      json.set("heldOut", fleetJson(heldOut, "held-out"));

      Mined mined = mine(training, precursorOptions, json);
      if (s.parts().contains("quality")) {
        quality(heldOut, training, mined, precursorOptions, json);
      }
      if (s.parts().contains("heartbeat")) {
        heartbeat(heldOut, mined.result(), json);
      }
    }
    if (s.parts().contains("speed")) {
      speed(s.quick(), json);
    }
    return json;
  }

  private record Mined(MiningResult result, History history, RuleSet rules, long readMs, long passMs) {}

  private Mined mine(FleetTrace training, PrecursorMiner.Options options, ObjectNode json) throws Exception {
    long now = System.currentTimeMillis();
    FleetPublisher.PublishResult published;
    Histories.Read read;
    long readMs;
    // the miner's own ingestion, as `fogwise cloud` runs it: a secure hub, the miner role's credentials,
    // durable consumers into a store on disk, then the History the store loads
    java.nio.file.Path store = java.nio.file.Files.createTempDirectory("fw-mining-bench");
    try (NatsServer hub = NatsServer.start(); Connection fleet = hub.connect()) {
      published = FleetPublisher.builder().badFraction(0.001).build().publish(fleet, training);
      Ingested in = ingest(hub, store);
      read = new Histories.Read(in.history(), in.history().counts().telemetry(), in.history().counts().events(),
          in.history().counts().rejectedTotal() - in.history().counts().rejected(
              io.fogwise.cloud.history.BadInput.FUTURE_TIMESTAMP),
          in.history().counts().rejected(io.fogwise.cloud.history.BadInput.FUTURE_TIMESTAMP));
      readMs = in.drainMs() + in.loadMs();
    } finally {
      deleteTree(store);
    }
    long t0 = System.nanoTime();
    MiningResult result = new Miner(HeartbeatMiner.withDefaults(), new PrecursorMiner(options), Clock.systemUTC())
        .mine(read.history());
    long passMs = (System.nanoTime() - t0) / 1_000_000L;
    RuleSet rules = compile(result.drl(), "mined");
    ObjectNode m = json.putObject("mining");
    m.put("published", published.total());
    m.put("publishedBadInput", published.badTotal());
    m.put("publishSeconds", round(published.elapsed().toMillis() / 1000.0, 1));
    m.put("readFrom", "FW_TELEMETRY and FW_EVENTS through the miner's ingestor (durable consumers, miner role, secure"
        + " hub) into its store, then the store's History");
    m.put("telemetryRead", read.telemetry());
    m.put("eventsRead", read.events());
    m.put("rejectedOnRead", read.rejected());
    m.put("futureTimestampsExcluded", read.future());
    m.put("readMs", readMs);
    m.put("passMs", passMs);
    m.put("publishable", result.publishable());
    m.put("drl", result.drl());
    m.put("rulesCompile", rules != null);
    m.put("rules", rules == null ? 0 : (int) rules.ruleNames().stream().filter(n -> n.contains("mined:")).count());
    ObjectNode params = m.putObject("parameters");
    result.parameters().forEach(params::put);
    ArrayNode findings = m.putArray("findings");
    result.findings().forEach(findings::add);
    ArrayNode refusals = m.putArray("refusals");
    result.refusals().forEach(refusals::add);
    line("");
    line("The training fleet went through a real secure nats-server and reached the miner as `fogwise cloud` runs it:"
        + " its ingestor (durable consumers, miner role) into its store on disk, then the History the store loads.");
    line(String.format(Locale.ROOT, "Published %,d messages (%d bad on purpose) in %.1f s; read back %,d telemetry and"
        + " %,d events (%d rejected, %d from the future excluded) in %d ms; one mining pass: %d ms.",
        published.total(), published.badTotal(), published.elapsed().toMillis() / 1000.0, read.telemetry(),
        read.events(), read.rejected(), read.future(), readMs, passMs));
    line("");
    line("Findings:");
    line("");
    result.findings().stream().filter(f -> !f.startsWith("not a rule")).forEach(f -> line("- " + f));
    result.refusals().forEach(f -> line("- not published: " + f));
    line("");
    line("Mined parameters: " + result.parameters());
    return new Mined(result, read.history(), rules, readMs, passMs);
  }

  private void quality(FleetTrace heldOut, FleetTrace training, Mined mined, PrecursorMiner.Options options,
      ObjectNode json) throws Exception {
    ObjectNode q = json.putObject("quality");
    long horizon = options.horizonMs();
    ThresholdBaseline.Result baseline = ThresholdBaseline.tune(mined.history(), options);
    String baselineDrl = DrlWriter.write(baseline.rules(), mined.history().fromMillis(), mined.history().toMillis(),
        horizon);
    RuleSet baselineRules = compile(baselineDrl, "baseline");
    line("");
    line("Quality on the held-out fleet (the gateway's engine, " + EngineReplay.TICK_MS + " ms tick, starts take "
        + EngineReplay.START_LATENCY.toMillis() + " ms; horizon " + horizon / 60_000 + " min):");
    line("");
    line("| rules | quarantines | followed by death within horizon | precision | failures with precursor | caught"
        + " (drained before death; of them within the horizon) | recall | median lead | caught battery / overheat / leak | crashes quarantined |"
        + " quarantined after death |");
    line("|---|---|---|---|---|---|---|---|---|---|---|");
    Map<String, String> params = mined.result().parameters();
    Score minedScore = mined.rules() == null ? null
        : score(heldOut, EngineReplay.run(heldOut, mined.rules(), params), horizon);
    Score baseScore = baselineRules == null ? null
        : score(heldOut, EngineReplay.run(heldOut, baselineRules, params), horizon);
    q.set("mined", minedScore == null ? null : minedScore.json("mined rules"));
    ObjectNode b = baseScore == null ? q.putObject("baseline") : baseScore.json("threshold baseline");
    b.put("thresholds", baseline.describe());
    b.put("drl", baselineDrl);
    q.set("baseline", b);
    q.put("targets", "precision >= 0.9, recall >= 0.8, median lead >= 5 s (over failures with a precursor)");
    if (minedScore != null) {
      line(minedScore.row("mined (" + mined.rules().ruleNames().stream().filter(n -> n.contains("mined:")).count()
          + " rules)"));
      minedScore.perRule().forEach((rule, v) -> line("| &nbsp;&nbsp;" + rule + " | " + v[0] + " | " + v[1]
          + " | | | | | | | | |"));
    } else {
      line("| mined | no rules | | | | | | | | | |");
    }
    if (baseScore != null) {
      line(baseScore.row("baseline: " + baseline.describe()));
    }
    line("");
  }

  private void heartbeat(FleetTrace heldOut, MiningResult result, ObjectNode json) {
    Map<String, Double> thresholds = new TreeMap<>();
    result.parameters().forEach((k, v) -> {
      if (k.startsWith(HeartbeatMiner.PARAMETER + "@")) {
        thresholds.put(k.substring(HeartbeatMiner.PARAMETER.length() + 1), Double.parseDouble(v));
      }
    });
    HeartbeatReplay.Figures mined = HeartbeatReplay.phi(heldOut, thresholds, 8.0);
    HeartbeatReplay.Figures timeout = HeartbeatReplay.timeout(heldOut, mined.meanDetectionMs());
    HeartbeatReplay.Figures defaults = HeartbeatReplay.phi(heldOut, Map.of(), 8.0);
    ObjectNode h = json.putObject("heartbeat");
    ObjectNode t = h.putObject("thresholds");
    thresholds.forEach(t::put);
    h.set("mined", figures(mined));
    h.set("fixedTimeout", figures(timeout));
    h.set("defaultPhi8", figures(defaults));
    line("Heartbeat thresholds on the held-out arrivals (" + mined.deaths() + " deaths):");
    line("");
    line("| policy | false detections | per device-day | mean detection (silence after the last heartbeat) |");
    line("|---|---|---|---|");
    line(String.format(Locale.ROOT, "| mined phi %s | %d | %.2f | %.0f ms |", thresholds, mined.falseDetections(),
        mined.perDeviceDay(), mined.meanDetectionMs()));
    line(String.format(Locale.ROOT, "| fixed timeout, same mean detection | %d | %.2f | %.0f ms |",
        timeout.falseDetections(), timeout.perDeviceDay(), timeout.meanDetectionMs()));
    line(String.format(Locale.ROOT, "| default phi 8.0 (reference) | %d | %.2f | %.0f ms |", defaults.falseDetections(),
        defaults.perDeviceDay(), defaults.meanDetectionMs()));
    line("");
  }

  private void speed(boolean quick, ObjectNode json) throws Exception {
    FleetParameters.Draw draw = quick ? FleetParameters.draw(FleetParameters.SPEED_SEED).scaled(30,
        Duration.ofMinutes(30)) : FleetParameters.speedDraw(FleetParameters.SPEED_SEED);
    FleetTrace trace = FleetSimulator.generate(draw);
    java.nio.file.Path store = java.nio.file.Files.createTempDirectory("fw-mining-speed");
    FleetPublisher.PublishResult published;
    Ingested in;
    try (NatsServer hub = NatsServer.start(); Connection fleet = hub.connect()) {
      // the stream is filled first, then drained: what a miner starting on a full stream does
      published = FleetPublisher.create().publish(fleet, trace);
      in = ingest(hub, store);
    } finally {
      deleteTree(store);
    }
    long t0 = System.nanoTime();
    MiningResult r = Miner.withDefaults(Clock.systemUTC()).mine(in.history());
    long passMs = (System.nanoTime() - t0) / 1_000_000L;
    double perSecond = in.drained() * 1e3 / Math.max(1, in.drainMs());
    ObjectNode sp = json.putObject("speed");
    sp.put("seed", FleetParameters.SPEED_SEED);
    sp.put("published", published.total());
    sp.put("drained", in.drained());
    sp.put("drainMs", in.drainMs());
    sp.put("drainPerSecond", Math.round(perSecond));
    sp.put("loadMs", in.loadMs());
    sp.put("telemetryRows", in.history().counts().telemetry());
    sp.put("events", in.history().counts().events());
    sp.put("passMs", passMs);
    sp.put("rules", r.drl() == null ? 0 : r.drl().split("\nrule ").length - 1);
    line(String.format(Locale.ROOT, "Speed (seed %d): %,d messages drained from the pre-filled streams into the miner's"
        + " store in %,d ms = %,.0f messages/s (target >= 50,000; secure hub, miner role, batches of %d); store loaded"
        + " in %,d ms; one mining pass over %,d telemetry rows and %,d events: %,d ms (target <= 30 s).",
        FleetParameters.SPEED_SEED, in.drained(), in.drainMs(), perSecond,
        io.fogwise.cloud.history.HistoryIngestor.Options.DEFAULT_BATCH, in.loadMs(),
        in.history().counts().telemetry(), in.history().counts().events(), passMs));
    line("");
  }

  private record Ingested(History history, long drained, long drainMs, long loadMs) {}

  /** Drains the hub's history streams with the miner's ingestor (role miner) into {@code dir} and loads the store. */
  private static Ingested ingest(NatsServer hub, java.nio.file.Path dir) throws Exception {
    try (Connection miner = io.nats.client.Nats.connect(io.fogwise.protocol.NatsOptions.component(hub.url(), "miner",
            hub.auth(io.fogwise.identity.Role.MINER, "miner")).build());
        io.fogwise.cloud.history.HistoryStore store = io.fogwise.cloud.history.HistoryStore.open(dir, "bench")) {
      io.fogwise.cloud.history.HistoryIngestor ingestor = io.fogwise.cloud.history.HistoryIngestor.create(miner, store,
          io.fogwise.cloud.history.HistoryIngestor.Options.defaults(), io.fogwise.protocol.time.Clock.system(),
          io.fogwise.cloud.history.HistoryMetrics.noop());
      io.fogwise.cloud.history.HistoryIngestor.DrainResult r = ingestor.drain(Duration.ofMinutes(10));
      long t0 = System.nanoTime();
      History h = store.load();
      return new Ingested(h, r.messages(), r.nanos() / 1_000_000L, (System.nanoTime() - t0) / 1_000_000L);
    }
  }

  private static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(dir)) {
      for (java.nio.file.Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.deleteIfExists(p);
      }
    }
  }


  /** How a rule set did on a held-out fleet. */
  record Score(int quarantines, int followed, int afterDeath, int censored, int withPrecursor, int caught,
      int caughtWithinHorizon, long medianLeadMs, Map<FailureMode, Integer> caughtByMode, int crashesQuarantined,
      int noServices, Map<String, int[]> perRule, long replayMs) {
    double precision() {
      return quarantines - censored == 0 ? 0 : followed / (double) (quarantines - censored);
    }

    double recall() {
      return withPrecursor == 0 ? 0 : caught / (double) withPrecursor;
    }

    String row(String name) {
      return String.format(Locale.ROOT, "| %s | %d | %d | %.2f | %d | %d (%d) | %.2f | %.1f s | %d / %d / %d | %d | %d |",
          name, quarantines - censored, followed, precision(), withPrecursor, caught, caughtWithinHorizon, recall(),
          medianLeadMs / 1000.0,
          caughtByMode.getOrDefault(FailureMode.BATTERY, 0), caughtByMode.getOrDefault(FailureMode.OVERHEAT, 0),
          caughtByMode.getOrDefault(FailureMode.MEMORY_LEAK, 0), crashesQuarantined, afterDeath);
    }

    ObjectNode json(String name) {
      ObjectNode o = MessageCodec.mapper().createObjectNode();
      o.put("name", name);
      o.put("quarantines", quarantines - censored);
      o.put("followedByDeathWithinHorizon", followed);
      o.put("quarantinedAfterDeath", afterDeath);
      o.put("censoredAtEnd", censored);
      o.put("precision", round(precision(), 3));
      o.put("failuresWithPrecursor", withPrecursor);
      o.put("caught", caught);
      o.put("caughtWithinHorizon", caughtWithinHorizon);
      o.put("recall", round(recall(), 3));
      o.put("medianLeadMs", medianLeadMs);
      ObjectNode by = o.putObject("caughtByMode");
      caughtByMode.forEach((k, v) -> by.put(k.name(), v));
      o.put("crashesQuarantined", crashesQuarantined);
      ObjectNode rules = o.putObject("perRule");
      perRule.forEach((k, v) -> rules.putObject(k).put("quarantines", v[0]).put("followedByDeath", v[1]));
      o.put("quarantinedWithNoService", noServices);
      o.put("replayWallMs", replayMs);
      return o;
    }
  }

  static Score score(FleetTrace heldOut, EngineReplay.Replay r, long horizonMs) {
    Map<String, FleetTrace.Failure> failures = new TreeMap<>();
    heldOut.failures().forEach(f -> failures.put(f.deviceId(), f));
    int followed = 0;
    int afterDeath = 0;
    int censored = 0;
    int crashes = 0;
    int noServices = 0;
    Map<String, int[]> perRule = new TreeMap<>();
    for (EngineReplay.Quarantine q : r.quarantines().values()) {
      FleetTrace.Failure f = failures.get(q.deviceId());
      if (f == null) {
        if (heldOut.endMillis() - q.atMillis() < horizonMs) {
          censored++;
        } else {
          perRule.computeIfAbsent(q.rule(), k -> new int[2])[0]++;
        }
        continue;
      }
      perRule.computeIfAbsent(q.rule(), k -> new int[2])[0]++;
      if (f.deathMillis() >= q.atMillis() && f.deathMillis() - q.atMillis() <= horizonMs) {
        perRule.get(q.rule())[1]++;
      }
      if (q.services().isEmpty()) {
        noServices++;
      }
      if (f.deathMillis() < q.atMillis()) {
        afterDeath++;
      } else if (f.deathMillis() - q.atMillis() <= horizonMs) {
        followed++;
        if (!f.mode().hasPrecursor()) {
          crashes++;
        }
      }
    }
    int withPrecursor = 0;
    int caught = 0;
    int caughtWithin = 0;
    List<Long> leads = new ArrayList<>();
    Map<FailureMode, Integer> byMode = new EnumMap<>(FailureMode.class);
    for (FleetTrace.Failure f : failures.values()) {
      if (!f.mode().hasPrecursor()) {
        continue;
      }
      withPrecursor++;
      EngineReplay.Quarantine q = r.quarantines().get(f.deviceId());
      if (q == null || q.atMillis() >= f.deathMillis() || q.services().isEmpty()) {
        continue;
      }
      Map<String, Long> moved = r.movedFrom().getOrDefault(f.deviceId(), Map.of());
      boolean all = q.services().stream().allMatch(svc -> moved.containsKey(svc) && moved.get(svc) < f.deathMillis());
      if (all) {
        caught++;
        caughtWithin += f.deathMillis() - q.atMillis() <= horizonMs ? 1 : 0;
        leads.add(f.deathMillis() - q.atMillis());
        byMode.merge(f.mode(), 1, Integer::sum);
      }
    }
    leads.sort(null);
    return new Score(r.quarantines().size(), followed, afterDeath, censored, withPrecursor, caught, caughtWithin,
        leads.isEmpty() ? 0 : leads.get(leads.size() / 2), byMode, crashes, noServices, perRule, r.wallMs());
  }

  private static RuleSet compile(String drl, String label) throws RuleCompilationException {
    if (drl == null) {
      return null;
    }
    List<RuleSource> sources = new ArrayList<>(RuleSet.builtInPacks());
    sources.add(new RuleSource("mined/precursors.drl", drl));
    return RuleSet.compile(label, sources);
  }

  private ObjectNode fleetJson(FleetTrace t, String name) {
    FleetTrace.Summary s = t.summary();
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("seed", s.seed());
    o.put("slots", s.slots());
    o.put("durationMin", s.durationMs() / 60_000);
    o.put("devices", s.devices());
    ObjectNode f = o.putObject("failures");
    s.failures().forEach((k, v) -> f.put(k.name(), v));
    o.put("telemetry", s.telemetry());
    o.put("events", s.events());
    line(String.format(Locale.ROOT, "| %s | %d | %d | %d min | %d | %d (%d / %d / %d / %d) | %,d | %,d |", name,
        s.seed(), s.slots(), s.durationMs() / 60_000, s.devices(), s.failureCount(),
        s.failures().get(FailureMode.BATTERY), s.failures().get(FailureMode.OVERHEAT),
        s.failures().get(FailureMode.MEMORY_LEAK), s.failures().get(FailureMode.CRASH), s.telemetry(), s.events()));
    return o;
  }

  private static ObjectNode figures(HeartbeatReplay.Figures f) {
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("falseDetections", f.falseDetections());
    o.put("perDeviceDay", round(f.perDeviceDay(), 3));
    o.put("meanDetectionMs", Math.round(f.meanDetectionMs()));
    o.put("deaths", f.deaths());
    return o;
  }

  private void section(String title) {
    line(title.strip());
    line("");
  }

  private void line(String s) {
    out.println(s);
    report.append(s).append('\n');
  }

  private static double round(double v, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(v * scale) / scale;
  }

  /** Parses {@code --part}: a comma-separated list of parts. */
  public static Set<String> parts(String csv) {
    Set<String> out = new LinkedHashSet<>();
    for (String p : csv.split(",")) {
      if (!p.isBlank()) {
        out.add(p.strip());
      }
    }
    return out;
  }
}
