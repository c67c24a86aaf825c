package io.fogwise.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.testbed.bench.PolicyPushBenchmark;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fogwise bench policy-push}: publish → APPLIED of signed policy bundles, one gateway and a fleet. */
@Command(name = "policy-push", mixinStandardHelpOptions = true,
    description = {"Push signed 20-rule policy bundles to gateway processes and time publish -> APPLIED.",
        "single: one gateway, cold (first push after start) and warm; fleet: N gateways at once, time until all",
        "applied against the CPU floor of their compilations; leak: heap and metaspace after full GCs over many pushes.",
        "Exit code 3 if a target is missed (warm p99 <= 500 ms; fleet all applied <= 2 s with cloud-compiled artifacts,",
        "<= 1.5x the CPU floor when only gateway compilation is measured; memory growth <= 5 MB)."})
final class BenchPolicyPushCommand implements Callable<Integer> {
  @Option(names = "--mode", defaultValue = "all", description = "all, single, fleet or leak. Default: ${DEFAULT-VALUE}.")
  String mode;

  @Option(names = "--cold-runs", defaultValue = "20",
      description = "Cold pushes, one per gateway start. Default: ${DEFAULT-VALUE}.")
  int coldRuns;

  @Option(names = "--warm-pushes", defaultValue = "100",
      description = "Consecutive pushes to one running gateway. Default: ${DEFAULT-VALUE}.")
  int warmPushes;

  @Option(names = "--gateways", defaultValue = "20", description = "Gateway processes in the fleet. Default: ${DEFAULT-VALUE}.")
  int gateways;

  @Option(names = "--fleet-pushes", defaultValue = "20", description = "Global pushes to the fleet. Default: ${DEFAULT-VALUE}.")
  int fleetPushes;

  @Option(names = "--leak-pushes", defaultValue = "200",
      description = "Pushes in the leak run (memory read after push 50 and every 50). Default: ${DEFAULT-VALUE}.")
  int leakPushes;

  @Option(names = "--build", defaultValue = "both",
      description = {"gateway (each gateway compiles), cloud (the pusher compiles once and stores a signed artifact",
          "the gateways load) or both, each on its own series of pushes. Default: ${DEFAULT-VALUE}."})
  String build;

  @Option(names = "--out", defaultValue = "bench-results/policy-push.json", description = "Result file. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Set<PolicyPushBenchmark.Mode> modes = modes(mode);
    var settings = new PolicyPushBenchmark.Settings(coldRuns, warmPushes, gateways, fleetPushes, leakPushes,
        builds(build));
    Timeline timeline = new Timeline(System.out);
    Path runDir = Files.createTempDirectory("fogwise-bench-policy-");
    timeline.log("policy-push benchmark (%s), logs in %s", modes, runDir);
    ObjectNode result = new PolicyPushBenchmark(BenchCommand.launcher(), timeline).run(modes, settings, runDir);
    BenchCommand.write(out, result, timeline);
    return result.get("targetsMet").asBoolean() ? 0 : 3;
  }

  static Set<PolicyPushBenchmark.Build> builds(String build) {
    if ("both".equals(build)) {
      return EnumSet.allOf(PolicyPushBenchmark.Build.class);
    }
    try {
      return EnumSet.of(PolicyPushBenchmark.Build.valueOf(build.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--build must be gateway, cloud or both, got '" + build + "'");
    }
  }

  static Set<PolicyPushBenchmark.Mode> modes(String mode) {
    if ("all".equals(mode)) {
      return EnumSet.allOf(PolicyPushBenchmark.Mode.class);
    }
    try {
      return EnumSet.of(PolicyPushBenchmark.Mode.valueOf(mode.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--mode must be all, single, fleet or leak, got '" + mode + "'");
    }
  }
}
