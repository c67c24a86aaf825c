package io.fogwise.testbed.bench;

import io.fogwise.protocol.Subjects;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.policy.PolicyArtifacts;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRollout;
import io.fogwise.policy.PolicyStore;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Timeline;
import io.nats.client.Connection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;

/**
 * {@code fogwise bench policy-push}: how long a signed 20-rule policy bundle takes from
 * {@link PolicyStore#publish} to the gateway's APPLIED outcome, as seen by the pusher.
 *
 * <ul>
 *   <li>single: one gateway process; cold (first push after the gateway started, repeated over
 *       restarts) and warm (consecutive pushes to the same process).
 *   <li>fleet: N gateway processes on one machine take the same global push; time until all
 *       applied, against the CPU floor their compilations imply on this machine's cores.
 *   <li>leak: one gateway, many pushes; heap and metaspace after a full GC at checkpoints.
 * </ul>
 *
 * Every bundle's rules differ from the previous push's (thresholds depend on the push number),
 * so each push is a real compilation. Every push waits for its outcome before the next.
 */
public final class PolicyPushBenchmark {
  /** What to measure. */
  public enum Mode { SINGLE, FLEET, LEAK }

  /** Where the rules are compiled: by each gateway, or once by the pusher as a signed artifact. */
  public enum Build { GATEWAY, CLOUD }

  /**
   * Counts.
   *
   * @param coldRuns cold pushes (the first after each gateway start; one start per run)
   * @param warmPushes consecutive pushes to one running gateway
   * @param fleetGateways gateway processes in the fleet
   * @param fleetPushes global pushes to the fleet
   * @param leakPushes pushes in the leak run; checkpoints at 50 and every 50 after
   * @param builds the builds to measure, each on its own series of pushes
   */
  public record Settings(int coldRuns, int warmPushes, int fleetGateways, int fleetPushes, int leakPushes,
      Set<Build> builds) {
    public Settings {
      builds = builds == null || builds.isEmpty() ? EnumSet.allOf(Build.class) : EnumSet.copyOf(builds);
      positive(coldRuns, "coldRuns");
      positive(warmPushes, "warmPushes");
      positive(fleetGateways, "fleetGateways");
      positive(fleetPushes, "fleetPushes");
      if (leakPushes < LEAK_BASELINE_PUSH) {
        throw new IllegalArgumentException("leakPushes must be >= " + LEAK_BASELINE_PUSH + ", got " + leakPushes);
      }
    }
  }

  static final long WARM_P99_TARGET_MS = 500;
  static final double FLEET_RATIO_TARGET = 1.5;
  static final long FLEET_CLOUD_TARGET_MS = 2000;
  /** Global pushes to the fleet after every gateway has its own scope bundle (one artifact per gateway). */
  static final int SCOPED_FLEET_PUSHES = 3;
  static final double LEAK_TARGET_MB = 5.0;
  static final int LEAK_BASELINE_PUSH = 50;
  private static final String SINGLE_GW = "gw-push";
  private static final Duration UP = Duration.ofSeconds(120);
  private static final Duration FLEET_UP = Duration.ofSeconds(180);
  private static final int START_WAVE = 4;
  private static final Duration ONE_OUTCOME = Duration.ofSeconds(60);
  private static final Duration FLEET_OUTCOMES = Duration.ofSeconds(300);

  private final ComponentLauncher launcher;
  private final Timeline timeline;
  private final int cores = Runtime.getRuntime().availableProcessors();

  public PolicyPushBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = Objects.requireNonNull(launcher, "launcher");
    this.timeline = Objects.requireNonNull(timeline, "timeline");
  }

  /** Runs {@code modes} (each on its own hub) and returns the results document. */
  public ObjectNode run(Set<Mode> modes, Settings settings, Path runDir) throws Exception {
    Objects.requireNonNull(settings, "settings");
    if (modes.isEmpty()) {
      throw new IllegalArgumentException("no mode to run");
    }
    Files.createDirectories(runDir);
    KeyPair pair = PolicyBundles.generateKeyPair();
    PolicyBundles.SigningKey key = new PolicyBundles.SigningKey(PolicyBundles.keyId(pair.getPublic()), pair.getPrivate());
    Path pub = runDir.resolve("bench.pub");
    Files.writeString(pub, PolicyBundles.encodePublic(pair.getPublic()), StandardCharsets.US_ASCII);
    List<String> trust = List.of("--trust-key", pub.toString());

    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("cores", cores);
    out.put("rulesPerBundle", PushBundles.RULES);
    out.put("ruleFiles", PushBundles.FILES);
    out.put("bundleBytes", PolicyBundles.encode(PolicyBundles.sign(Subjects.GLOBAL_SCOPE, 1, "bench", 0, PushBundles.bundle(1),
        Map.of(), key)).length);
    out.put("gatewayJvm", String.join(" ", ComponentLauncher.GATEWAY_JVM));
    boolean met = true;
    out.put("runtime", io.fogwise.rules.host.RuleSet.runtimeFingerprint());
    for (Mode m : EnumSet.copyOf(modes)) {
      ObjectNode r = MessageCodec.mapper().createObjectNode();
      boolean modeMet = true;
      if (m == Mode.FLEET) {
        r = fleet(settings, key, trust, runDir.resolve("fleet"));
        modeMet = r.get("targetsMet").asBoolean();
      } else {
        for (Build b : settings.builds()) {
          String name = b.name().toLowerCase(java.util.Locale.ROOT);
          ObjectNode part = m == Mode.SINGLE ? single(settings, b, key, trust, runDir.resolve("single-" + name))
              : leak(settings, b, key, trust, runDir.resolve("leak-" + name));
          r.set(name, part);
          // single: the default path (cloud build, when measured) decides; leak: every build must hold
          if (m == Mode.LEAK || b == Build.CLOUD || !settings.builds().contains(Build.CLOUD)) {
            modeMet &= part.get("targetsMet").asBoolean();
          }
        }
        r.put("targetsMet", modeMet);
      }
      out.set(m.name().toLowerCase(java.util.Locale.ROOT), r);
      met &= modeMet;
    }
    out.put("targetsMet", met);
    return out;
  }

  // ---------------------------------------------------------------- single

  private ObjectNode single(Settings s, Build build, PolicyBundles.SigningKey key, List<String> trust, Path dir)
      throws Exception {
    timeline.log("single (%s build): one gateway, %d cold push(es) (one per gateway start), then %d warm pushes",
        build, s.coldRuns(), s.warmPushes());
    List<Push> cold = new ArrayList<>();
    List<Push> warm = new ArrayList<>();
    try (LocalCluster cluster = LocalCluster.start(launcher, dir, timeline, null);
        Pusher pusher = new Pusher(cluster.nats(), key)) {
      for (int run = 1; run <= s.coldRuns(); run++) {
        if (run > 1) {
          stop(cluster, SINGLE_GW);
        }
        long since = System.nanoTime();
        cluster.startGateway(SINGLE_GW, trust);
        pusher.awaitStatus(List.of(SINGLE_GW), cluster, since, UP);
        // Start-up compiles and JIT compilation would otherwise compete with the push.
        quiet(List.of(cluster.process(SINGLE_GW)), 0.2, Duration.ofSeconds(15));
        Push p = pusher.push(Subjects.GLOBAL_SCOPE, PushBundles::bundle, Set.of(SINGLE_GW), ONE_OUTCOME, build);
        cold.add(p);
        timeline.log("cold %2d/%d: global v%d publish -> APPLIED %4d ms (gateway: compile %d ms, apply %d ms)", run,
            s.coldRuns(), p.version(), p.latencyMs(SINGLE_GW), p.outcome(SINGLE_GW).compileMillis(),
            p.outcome(SINGLE_GW).applyMillis());
      }
      for (int i = 1; i <= s.warmPushes(); i++) {
        Push p = pusher.push(Subjects.GLOBAL_SCOPE, PushBundles::bundle, Set.of(SINGLE_GW), ONE_OUTCOME, build);
        warm.add(p);
        if (i % 10 == 0 || i == 1) {
          timeline.log("warm %3d/%d: global v%d publish -> APPLIED %4d ms (compile %d ms); so far p50 %d ms, max %d ms",
              i, s.warmPushes(), p.version(), p.latencyMs(SINGLE_GW), p.outcome(SINGLE_GW).compileMillis(),
              Stats.median(latencies(warm, SINGLE_GW)), Stats.max(latencies(warm, SINGLE_GW)));
        }
      }
    }
    ObjectNode r = MessageCodec.mapper().createObjectNode();
    r.put("build", build.name());
    ObjectNode c = r.putObject("cold");
    c.put("runs", cold.size());
    c.put("firstMs", cold.get(0).latencyMs(SINGLE_GW));
    c.put("firstCompileMs", cold.get(0).outcome(SINGLE_GW).compileMillis());
    figures(c, cold, SINGLE_GW);
    ObjectNode w = r.putObject("warm");
    w.put("pushes", warm.size());
    figures(w, warm, SINGLE_GW);
    long warmP99 = Stats.percentile(latencies(warm, SINGLE_GW), 99);
    r.put("warmP99TargetMs", WARM_P99_TARGET_MS);
    r.put("targetsMet", warmP99 <= WARM_P99_TARGET_MS);
    r.set("coldPushes", pushes(cold, SINGLE_GW));
    r.set("warmPushes", pushes(warm, SINGLE_GW));
    timeline.log("single (%s build): cold first %d ms, p50 %d ms, p99 %d ms (%d runs); warm p50 %d ms, p99 %d ms,"
            + " max %d ms (%d pushes; target p99 <= %d ms); warm compile/load p50 %d ms, p99 %d ms", build,
        c.get("firstMs").asLong(), c.get("p50Ms").asLong(), c.get("p99Ms").asLong(), cold.size(),
        w.get("p50Ms").asLong(), warmP99, w.get("maxMs").asLong(), warm.size(), WARM_P99_TARGET_MS,
        w.get("compileP50Ms").asLong(), w.get("compileP99Ms").asLong());
    return r;
  }

  // ---------------------------------------------------------------- fleet

  private ObjectNode fleet(Settings s, PolicyBundles.SigningKey key, List<String> trust, Path dir) throws Exception {
    int n = s.fleetGateways();
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      ids.add(String.format("gw-%02d", i));
    }
    boolean gatewayBuild = s.builds().contains(Build.GATEWAY);
    boolean cloudBuild = s.builds().contains(Build.CLOUD);
    timeline.log("fleet: %d gateway processes (started %d at a time), %d global pushes per build %s%s", n, START_WAVE,
        s.fleetPushes(), s.builds(), gatewayBuild ? ", then one gateway-scope push to each in turn" : "");
    Map<Build, List<Push>> pushes = new LinkedHashMap<>();
    Map<Build, List<Map<String, Long>>> cpu = new LinkedHashMap<>();
    List<Push> scoped = new ArrayList<>();
    List<Map<String, Long>> scopedCpu = new ArrayList<>();
    List<Long> uncontendedCompile = new ArrayList<>();
    List<Long> uncontendedLatency = new ArrayList<>();
    List<Long> uncontendedCpu = new ArrayList<>();
    long upMs;
    try (LocalCluster cluster = LocalCluster.start(launcher, dir, timeline, null);
        Pusher pusher = new Pusher(cluster.nats(), key)) {
      long since = System.nanoTime();
      // In waves: twenty JVMs starting at once on two cores exceed the gateway's 60 s start-up limit.
      for (int from = 0; from < n; from += START_WAVE) {
        List<String> wave = ids.subList(from, Math.min(n, from + START_WAVE));
        long waveStart = System.nanoTime();
        for (String id : wave) {
          cluster.startGateway(id, trust);
        }
        pusher.awaitStatus(wave, cluster, waveStart, FLEET_UP);
      }
      upMs = (System.nanoTime() - since) / 1_000_000L;
      List<Process> procs = ids.stream().map(cluster::process).toList();
      timeline.log("fleet: all %d gateways up after %d ms; waiting for their start-up CPU to settle", n, upMs);
      quiet(procs, 0.3, Duration.ofSeconds(60));
      for (Build b : s.builds()) {
        List<Push> series = pushes.computeIfAbsent(b, x -> new ArrayList<>());
        List<Map<String, Long>> series2 = cpu.computeIfAbsent(b, x -> new ArrayList<>());
        for (int i = 1; i <= s.fleetPushes(); i++) {
          fleetPush(pusher, cluster, ids, b, series, series2, i + "/" + s.fleetPushes());
          quiet(procs, 0.3, Duration.ofSeconds(5));
        }
      }
      if (gatewayBuild) {
        // The compile time one gateway needs when it has the machine to itself, on the same processes.
        for (int g = 0; g < n; g++) {
          String id = ids.get(g);
          String scope = PolicyBundle.gatewayScope(id);
          Map<String, Long> before = cpuMillis(cluster, List.of(id));
          // Thresholds differ per gateway too, so each gateway's effective rule set is its own.
          long salt = 1000L * (g + 1);
          Push p = pusher.push(scope, v -> List.of(PushBundles.firstFile(salt + v)), Set.of(id), ONE_OUTCOME,
              Build.GATEWAY);
          long used = cpuMillis(cluster, List.of(id)).get(id) - before.get(id);
          uncontendedCompile.add(p.outcome(id).compileMillis());
          uncontendedLatency.add(p.latencyMs(id));
          uncontendedCpu.add(used);
        }
        timeline.log("fleet: one gateway at a time: compile p50 %d ms, publish -> APPLIED p50 %d ms, CPU p50 %d ms",
            Stats.median(uncontendedCompile), Stats.median(uncontendedLatency), Stats.median(uncontendedCpu));
        if (cloudBuild) {
          // Every gateway now runs its own scope on top of global: a global push is 1 + n effective rule sets.
          quiet(procs, 0.3, Duration.ofSeconds(10));
          for (int i = 1; i <= SCOPED_FLEET_PUSHES; i++) {
            fleetPush(pusher, cluster, ids, Build.CLOUD, scoped, scopedCpu, "scoped " + i + "/" + SCOPED_FLEET_PUSHES);
            quiet(procs, 0.3, Duration.ofSeconds(5));
          }
        }
      }
    }
    ObjectNode r = MessageCodec.mapper().createObjectNode();
    r.put("gateways", n);
    r.put("cores", cores);
    r.put("allUpMs", upMs);
    boolean met = true;
    if (gatewayBuild) {
      ObjectNode g = fleetFigures(pushes.get(Build.GATEWAY), cpu.get(Build.GATEWAY));
      long compileP50 = Stats.median(uncontendedCompile);
      double floor = floorMs(compileP50, n, cores);
      List<Long> all = pushes.get(Build.GATEWAY).stream().map(Push::allMs).toList();
      g.put("uncontendedCompileP50Ms", compileP50);
      g.put("uncontendedCompileP99Ms", Stats.percentile(uncontendedCompile, 99));
      g.put("uncontendedPublishToAppliedP50Ms", Stats.median(uncontendedLatency));
      g.put("uncontendedCpuP50Ms", Stats.median(uncontendedCpu));
      g.put("floorMs", Math.round(floor));
      g.put("ratioP50", round2(ratio(Stats.median(all), floor)));
      g.put("ratioP99", round2(ratio(Stats.percentile(all, 99), floor)));
      g.put("ratioTarget", FLEET_RATIO_TARGET);
      boolean gm = ratio(Stats.median(all), floor) <= FLEET_RATIO_TARGET;
      g.put("targetsMet", gm);
      g.set("uncontendedCompileMs", MessageCodec.mapper().valueToTree(uncontendedCompile));
      r.set("gateway", g);
      timeline.log("fleet (gateway build): all applied p50 %d ms, max %d ms; compile alone p50 %d ms -> floor %d x %d"
              + " / %d cores = %d ms; ratio %.2f (target <= %.1f); measured CPU floor p50 %d ms, ratio %.2f",
          Stats.median(all), Stats.max(all), compileP50, compileP50, n, cores, Math.round(floor),
          ratio(Stats.median(all), floor), FLEET_RATIO_TARGET, g.get("measuredCpuFloorP50Ms").asLong(),
          g.get("measuredCpuRatioP50").asDouble());
      if (!cloudBuild) {
        met = gm;
      }
    }
    if (cloudBuild) {
      ObjectNode c = fleetFigures(pushes.get(Build.CLOUD), cpu.get(Build.CLOUD));
      List<Long> all = pushes.get(Build.CLOUD).stream().map(Push::allMs).toList();
      c.put("targetMs", FLEET_CLOUD_TARGET_MS);
      boolean cm = Stats.median(all) <= FLEET_CLOUD_TARGET_MS;
      c.put("targetsMet", cm);
      if (!scoped.isEmpty()) {
        c.set("withGatewayScopes", fleetFigures(scoped, scopedCpu));
      }
      r.set("cloud", c);
      timeline.log("fleet (cloud build): publish -> all applied p50 %d ms, max %d ms (target <= %d ms); pusher compile"
              + " p50 %d ms; command -> all applied p50 %d ms", Stats.median(all), Stats.max(all),
          FLEET_CLOUD_TARGET_MS, c.get("precompileP50Ms").asLong(), c.get("commandToAllAppliedP50Ms").asLong());
      met = cm;
    }
    r.put("targetsMet", met);
    return r;
  }

  /** One global push to the whole fleet, with the CPU each gateway used for it. */
  private void fleetPush(Pusher pusher, LocalCluster cluster, List<String> ids, Build b, List<Push> series,
      List<Map<String, Long>> cpuSeries, String which) throws InterruptedException {
    Map<String, Long> before = cpuMillis(cluster, ids);
    Push p = pusher.push(Subjects.GLOBAL_SCOPE, PushBundles::bundle, Set.copyOf(ids), FLEET_OUTCOMES, b);
    Map<String, Long> after = cpuMillis(cluster, ids);
    Map<String, Long> used = new LinkedHashMap<>();
    ids.forEach(id -> used.put(id, after.get(id) - before.get(id)));
    series.add(p);
    cpuSeries.add(used);
    long sumCpu = used.values().stream().mapToLong(Long::longValue).sum();
    timeline.log("fleet push %s (%s build): global v%d all %d applied after %5d ms (pusher compile %d ms);"
            + " gateway compile/load p50 %d ms max %d ms; gateway CPU %d ms in total (%.0f ms per core)", which, b,
        p.version(), ids.size(), p.allMs(), p.precompileMs(), Stats.median(compiles(List.of(p))),
        Stats.max(compiles(List.of(p))), sumCpu, (double) sumCpu / cores);
  }

  private ObjectNode fleetFigures(List<Push> pushes, List<Map<String, Long>> cpu) {
    List<Long> all = pushes.stream().map(Push::allMs).toList();
    List<Long> command = pushes.stream().map(p -> p.allMs() + p.precompileMs()).toList();
    List<Long> pre = pushes.stream().map(Push::precompileMs).toList();
    List<Long> fleetCompile = compiles(pushes);
    List<Long> cpuPerGateway = new ArrayList<>();
    List<Long> cpuFloors = new ArrayList<>();
    List<Double> cpuRatios = new ArrayList<>();
    for (int i = 0; i < pushes.size(); i++) {
      cpuPerGateway.addAll(cpu.get(i).values());
      long floor = Math.round(floorMs(cpu.get(i).values().stream().mapToLong(Long::longValue).sum(), 1, cores));
      cpuFloors.add(floor);
      cpuRatios.add(ratio(pushes.get(i).allMs(), floor));
    }
    ObjectNode r = MessageCodec.mapper().createObjectNode();
    r.put("pushes", pushes.size());
    r.put("allAppliedFirstMs", all.get(0));
    r.put("allAppliedP50Ms", Stats.median(all));
    r.put("allAppliedP99Ms", Stats.percentile(all, 99));
    r.put("allAppliedMaxMs", Stats.max(all));
    r.put("allAppliedMinMs", Stats.min(all));
    r.put("precompileP50Ms", Stats.median(pre));
    r.put("precompileMaxMs", Stats.max(pre));
    r.put("commandToAllAppliedP50Ms", Stats.median(command));
    r.put("commandToAllAppliedMaxMs", Stats.max(command));
    r.put("fleetCompileP50Ms", Stats.median(fleetCompile));
    r.put("fleetCompileP99Ms", Stats.percentile(fleetCompile, 99));
    r.put("fleetCompileMaxMs", Stats.max(fleetCompile));
    r.put("measuredCpuPerGatewayP50Ms", Stats.median(cpuPerGateway));
    r.put("measuredCpuFloorP50Ms", Stats.median(cpuFloors));
    r.put("measuredCpuRatioP50", round2(medianOf(cpuRatios)));
    ArrayNode list = r.putArray("perPush");
    for (int i = 0; i < pushes.size(); i++) {
      Push p = pushes.get(i);
      ObjectNode o = list.addObject();
      o.put("version", p.version());
      o.put("precompileMs", p.precompileMs());
      o.put("precompiledRuleSets", p.precompiled());
      o.put("allAppliedMs", p.allMs());
      o.put("firstAppliedMs", p.received().keySet().stream().mapToLong(p::latencyMs).min().orElse(0));
      o.put("compileP50Ms", Stats.median(compiles(List.of(p))));
      o.put("compileMaxMs", Stats.max(compiles(List.of(p))));
      o.put("gatewayCpuTotalMs", cpu.get(i).values().stream().mapToLong(Long::longValue).sum());
      o.put("measuredCpuFloorMs", cpuFloors.get(i));
      ObjectNode per = o.putObject("gateways");
      for (String id : p.received().keySet()) {
        ObjectNode g = per.putObject(id);
        g.put("appliedMs", p.latencyMs(id));
        g.put("compileMs", p.outcome(id).compileMillis());
        g.put("applyMs", p.outcome(id).applyMillis());
        g.put("cpuMs", cpu.get(i).get(id));
      }
    }
    return r;
  }

  // ---------------------------------------------------------------- leak

  private ObjectNode leak(Settings s, Build build, PolicyBundles.SigningKey key, List<String> trust, Path dir)
      throws Exception {
    timeline.log("leak (%s build): one gateway, %d pushes; heap and metaspace after a full GC every %d pushes", build,
        s.leakPushes(), LEAK_BASELINE_PUSH);
    ObjectNode r = MessageCodec.mapper().createObjectNode();
    r.put("build", build.name());
    ArrayNode checkpoints = r.putArray("checkpoints");
    Map<Integer, JvmMemory> mem = new LinkedHashMap<>();
    List<Push> pushes = new ArrayList<>();
    try (LocalCluster cluster = LocalCluster.start(launcher, dir, timeline, null);
        Pusher pusher = new Pusher(cluster.nats(), key)) {
      long since = System.nanoTime();
      Process gw = cluster.startGateway(SINGLE_GW, trust);
      pusher.awaitStatus(List.of(SINGLE_GW), cluster, since, UP);
      mem.put(0, JvmMemory.afterFullGc(gw.pid()));
      for (int i = 1; i <= s.leakPushes(); i++) {
        pushes.add(pusher.push(Subjects.GLOBAL_SCOPE, PushBundles::bundle, Set.of(SINGLE_GW), ONE_OUTCOME, build));
        if (i % LEAK_BASELINE_PUSH == 0 || i == s.leakPushes()) {
          JvmMemory m = JvmMemory.afterFullGc(gw.pid());
          mem.put(i, m);
          timeline.log("leak: after push %3d: heap %.1f MB, metaspace %.1f MB, %d class loaders, %d classes", i,
              m.heapUsedKb() / 1024.0, m.metaspaceUsedKb() / 1024.0, m.classLoaders(), m.classes());
        }
      }
    }
    mem.forEach((push, m) -> {
      ObjectNode o = checkpoints.addObject();
      o.put("afterPush", push);
      o.put("heapUsedKb", m.heapUsedKb());
      o.put("metaspaceUsedKb", m.metaspaceUsedKb());
      o.put("classLoaders", m.classLoaders());
      o.put("classes", m.classes());
    });
    JvmMemory base = mem.get(LEAK_BASELINE_PUSH);
    JvmMemory end = mem.get(s.leakPushes());
    double heapGrowth = growthMb(base.heapUsedKb(), end.heapUsedKb());
    double metaGrowth = growthMb(base.metaspaceUsedKb(), end.metaspaceUsedKb());
    r.put("pushes", s.leakPushes());
    r.put("fromPush", LEAK_BASELINE_PUSH);
    r.put("toPush", s.leakPushes());
    r.put("heapGrowthMb", round2(heapGrowth));
    r.put("metaspaceGrowthMb", round2(metaGrowth));
    r.put("targetMb", LEAK_TARGET_MB);
    r.put("targetsMet", heapGrowth <= LEAK_TARGET_MB && metaGrowth <= LEAK_TARGET_MB);
    ObjectNode lat = r.putObject("publishToApplied");
    figures(lat, pushes, SINGLE_GW);
    timeline.log("leak (%s build): push %d -> %d: heap %+.2f MB, metaspace %+.2f MB (target <= %.0f MB each)", build,
        LEAK_BASELINE_PUSH, s.leakPushes(), heapGrowth, metaGrowth, LEAK_TARGET_MB);
    return r;
  }

  // ---------------------------------------------------------------- pure computations

  /** The wall time {@code gateways} compilations of {@code perGatewayMs} CPU need at best on {@code cores} cores. */
  static double floorMs(long perGatewayMs, int gateways, int cores) {
    if (gateways < 1 || cores < 1 || perGatewayMs < 0) {
      throw new IllegalArgumentException("need gateways >= 1, cores >= 1, perGatewayMs >= 0; got " + gateways + ", "
          + cores + ", " + perGatewayMs);
    }
    return (double) perGatewayMs * gateways / cores;
  }

  /** {@code measuredMs / floorMs}; infinite for a zero floor. */
  static double ratio(long measuredMs, double floorMs) {
    return floorMs <= 0 ? Double.POSITIVE_INFINITY : measuredMs / floorMs;
  }

  /** Growth from {@code fromKb} to {@code toKb} in MB (negative if it shrank). */
  static double growthMb(long fromKb, long toKb) {
    return (toKb - fromKb) / 1024.0;
  }

  private static double medianOf(List<Double> values) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get((sorted.size() - 1) / 2);
  }

  private static double round2(double v) {
    return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : v;
  }

  // ---------------------------------------------------------------- helpers

  private static void figures(ObjectNode o, List<Push> pushes, String gw) {
    List<Long> lat = latencies(pushes, gw);
    List<Long> comp = pushes.stream().map(p -> p.outcome(gw).compileMillis()).toList();
    List<Long> apply = pushes.stream().map(p -> p.outcome(gw).applyMillis()).toList();
    o.put("p50Ms", Stats.median(lat));
    o.put("p99Ms", Stats.percentile(lat, 99));
    o.put("maxMs", Stats.max(lat));
    o.put("minMs", Stats.min(lat));
    o.put("compileP50Ms", Stats.median(comp));
    o.put("compileP99Ms", Stats.percentile(comp, 99));
    o.put("applyP50Ms", Stats.median(apply));
    o.put("applyP99Ms", Stats.percentile(apply, 99));
    List<Long> pre = pushes.stream().map(Push::precompileMs).toList();
    List<Long> command = pushes.stream().map(p -> p.precompileMs() + p.latencyMs(gw)).toList();
    o.put("precompileP50Ms", Stats.median(pre));
    o.put("precompileP99Ms", Stats.percentile(pre, 99));
    o.put("commandToAppliedP50Ms", Stats.median(command));
    o.put("commandToAppliedP99Ms", Stats.percentile(command, 99));
  }

  private static ArrayNode pushes(List<Push> pushes, String gw) {
    ArrayNode a = MessageCodec.mapper().createArrayNode();
    for (Push p : pushes) {
      ObjectNode o = a.addObject();
      o.put("version", p.version());
      o.put("ms", p.latencyMs(gw));
      o.put("compileMs", p.outcome(gw).compileMillis());
      o.put("applyMs", p.outcome(gw).applyMillis());
      o.put("precompileMs", p.precompileMs());
    }
    return a;
  }

  private static List<Long> latencies(List<Push> pushes, String gw) {
    return pushes.stream().map(p -> p.latencyMs(gw)).toList();
  }

  private static List<Long> compiles(List<Push> pushes) {
    List<Long> out = new ArrayList<>();
    pushes.forEach(p -> p.received().values().forEach(r -> out.add(r.outcome().compileMillis())));
    return out;
  }

  private static Map<String, Long> cpuMillis(LocalCluster cluster, List<String> ids) {
    Map<String, Long> m = new HashMap<>();
    for (String id : ids) {
      m.put(id, cpuMillis(cluster.process(id)));
    }
    return m;
  }

  /** CPU time (user + system) the process used so far; -1 if the platform does not tell. */
  private static long cpuMillis(Process p) {
    return p.info().totalCpuDuration().map(Duration::toMillis).orElse(-1L);
  }

  /**
   * Waits until {@code procs} together use less than {@code cores} cores over half a second, or
   * {@code max} passed: start-up and garbage collection should not be billed to the next push.
   */
  private static void quiet(List<Process> procs, double cores, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    long before = procs.stream().mapToLong(PolicyPushBenchmark::cpuMillis).sum();
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      long now = procs.stream().mapToLong(PolicyPushBenchmark::cpuMillis).sum();
      if (now - before < cores * 500) {
        return;
      }
      before = now;
    }
  }

  private static void stop(LocalCluster cluster, String name) throws InterruptedException {
    Process p = cluster.process(name);
    p.destroy();
    if (!p.waitFor(15, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }

  private static void positive(int v, String name) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + v);
    }
  }

  /** One publish and the outcomes it produced, by gateway. */
  private record Push(long version, Map<String, PolicyRollout.Outcome> received, long precompileMs, int precompiled) {
    long latencyMs(String gw) {
      return received.get(gw).millis();
    }

    PolicyOutcome outcome(String gw) {
      return received.get(gw).outcome();
    }

    long allMs() {
      return received.keySet().stream().mapToLong(this::latencyMs).max().orElse(0);
    }
  }

  /** Signs, publishes and checks outcomes through one {@link PolicyRollout}: every push must be APPLIED. */
  private static final class Pusher implements AutoCloseable {
    private final PolicyRollout rollout;
    private final PolicyBundles.SigningKey key;

    Pusher(Connection nats, PolicyBundles.SigningKey key) throws Exception {
      this.rollout = PolicyRollout.open(nats);
      this.key = key;
    }

    /**
     * Waits for a status from every gateway in {@code ids} received after {@code sinceNanos};
     * fails at once if one of their processes exits.
     */
    void awaitStatus(List<String> ids, LocalCluster cluster, long sinceNanos, Duration timeout)
        throws InterruptedException {
      try {
        rollout.awaitStatuses(ids, sinceNanos, timeout, () -> {
          for (String id : ids) {
            Process p = cluster.process(id);
            if (p != null && !p.isAlive()) {
              throw new IllegalStateException("gateway " + id + " exited with code " + p.exitValue()
                  + " before reporting its status; see " + cluster.runDir().resolve(id + ".log"));
            }
          }
        });
      } catch (TimeoutException e) {
        throw new IllegalStateException(e.getMessage() + "; see their logs in the run directory", e);
      }
    }

    /**
     * Signs {@code files.apply(version)} as the next version of {@code scope}, publishes it and
     * waits for APPLIED from each of {@code gws}; any other outcome fails the benchmark.
     */
    Push push(String scope, LongFunction<List<PolicyBundle.RuleFile>> files, Set<String> gws, Duration timeout,
        Build build) throws InterruptedException {
      long version;
      try {
        version = rollout.nextVersion(scope).version();
      } catch (PolicyRollout.NoNextVersion e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
      PolicyBundle b = PolicyBundles.sign(scope, version, "bench", System.currentTimeMillis(), files.apply(version),
          Map.of(), key);
      long precompileMs = 0;
      int precompiled = 0;
      if (build == Build.CLOUD) {
        try {
          PolicyRollout.Artifacts done = rollout.precompile(b, "bench", key);
          precompiled = done.count();
          precompileMs = done.millis();
        } catch (PolicyArtifacts.CompileFailed e) {
          throw new IllegalStateException(b.label() + " does not compile: " + e.errors(), e);
        }
      }
      PolicyRollout.Outcomes outcomes = rollout.awaitOutcomes(rollout.publish(b), gws, timeout);
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while waiting for the outcomes of " + b.label());
      }
      Map<String, PolicyRollout.Outcome> got = new LinkedHashMap<>();
      PolicyOutcome.Build expected = build == Build.CLOUD ? PolicyOutcome.Build.ARTIFACT : PolicyOutcome.Build.COMPILED;
      for (PolicyRollout.Outcome r : outcomes.received().values()) {
        PolicyOutcome o = r.outcome();
        if (!gws.contains(o.gatewayId())) {
          continue;
        }
        if (o.state() != PolicyOutcome.State.APPLIED) {
          throw new IllegalStateException(b.label() + " was " + o.state() + " by " + o.gatewayId() + ": " + o.reason()
              + (o.errors().isEmpty() ? "" : " " + o.errors()));
        }
        if (o.build() != expected) {
          throw new IllegalStateException(b.label() + " was built as " + o.build() + " by " + o.gatewayId() + ", not "
              + expected + (o.buildNote() == null ? "" : ": " + o.buildNote()));
        }
        got.put(o.gatewayId(), r);
      }
      if (!outcomes.silent().isEmpty()) {
        throw new IllegalStateException(b.label() + ": no outcome within " + timeout.toSeconds() + " s from "
            + outcomes.silent().size() + " gateway(s): " + outcomes.silent());
      }
      return new Push(version, got, precompileMs, precompiled);
    }

    @Override
    public void close() {
      rollout.close();
    }
  }
}
