package io.fogwise.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.testbed.bench.MiningBenchmark;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fogwise bench mining}: the cloud pattern miner's rules and thresholds, mined and scored on a held-out fleet. */
@Command(name = "mining", mixinStandardHelpOptions = true,
    description = {"Publishes the simulated TRAINING fleet (seed 16001) to a real hub, reads it back from the",
        "streams, runs one mining pass (heartbeat thresholds per class, failure-precursor rules), then scores the",
        "generated DRL and parameters on the HELD-OUT fleet (seed 16002) replayed through the gateway's engine,",
        "next to a threshold baseline tuned on the same training data; heartbeat thresholds against a fixed timeout",
        "of equal mean detection time; one pass over the 1M-reading speed fleet (seed 16003).",
        "Exit code 3 when it cannot measure."})
final class BenchMiningCommand implements Callable<Integer> {
  private static final String ENGINE_LOG_LEVEL = "org.slf4j.simpleLogger.log.io.fogwise.gateway.core";

  @Option(names = "--quick", description = "Smaller fleets (40 slots, 90 min; a 30-slot speed fleet), for tests.")
  boolean quick;

  @Option(names = "--part", defaultValue = "quality,heartbeat,speed",
      description = "Parts to run, comma-separated: quality, heartbeat, speed. Default: ${DEFAULT-VALUE}.")
  String part;

  @Option(names = "--json", defaultValue = "bench-results/mining.json",
      description = "Result file. Default: ${DEFAULT-VALUE}.")
  Path json;

  @Override
  public Integer call() throws Exception {
    // the replay runs the gateway's engine, which logs every decision at INFO for an operator;
    // here the tables are the output (a user's -D setting still wins)
    if (System.getProperty(ENGINE_LOG_LEVEL) == null) {
      System.setProperty(ENGINE_LOG_LEVEL, "warn");
    }
    MiningBenchmark.Settings settings;
    try {
      settings = new MiningBenchmark.Settings(quick, MiningBenchmark.parts(part));
    } catch (IllegalArgumentException e) {
      System.err.println("fogwise bench mining: " + e.getMessage());
      return 2;
    }
    Timeline timeline = new Timeline(System.out);
    ObjectNode result;
    try {
      result = new MiningBenchmark(System.out).run(settings);
    } catch (IllegalStateException e) {
      System.err.println("fogwise bench mining: cannot measure: " + e.getMessage());
      return 3;
    }
    BenchCommand.write(json, result, timeline);
    return 0;
  }
}
