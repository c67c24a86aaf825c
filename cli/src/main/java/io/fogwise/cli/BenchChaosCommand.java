package io.fogwise.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.testbed.chaos.ChaosBenchmark;
import io.fogwise.testbed.chaos.InvariantMonitor;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fogwise bench chaos}: the paper's app through seeded kills, restarts and link cuts, invariants checked from outside. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = {"Run the paper's app (publisher + subscribers) on a hub, a gateway and four agents behind link emulators,",
        "and SIGKILL agents, the gateway and the hub (each restarted under its own id, state and port) and cut links,",
        "at times drawn from --seed (at least 5 of each kind in 10 minutes, one of each at least). An outside observer",
        "checks: never two primaries longer than one decision cycle plus a stop round trip; every service placed and",
        "running within 2 s of an eligible device being available with the gateway and hub up. Stops at the first breach.",
        "Exit code 3 on a breach."})
final class BenchChaosCommand implements Callable<Integer> {
  /** The paper's app as the docs declare it. */
  static final List<String> DEFAULT_SPECS = List.of("docs/examples/publisher.yaml", "docs/examples/subscribers.yaml",
      "docs/examples/durable.yaml");

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10m", converter = PolicyCommands.LongDurationConverter.class,
      description = "Length of the chaos phase. Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(names = "--minutes", hidden = true, description = "Deprecated: --duration in minutes.")
  Double minutes;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the fault schedule. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--keep-going", description = "Record every breach and finish the run instead of stopping at the first.")
  boolean keepGoing;

  @Option(names = "--spec", paramLabel = "FILE",
      description = "Spec files of the app (exactly one core publisher; durable publishers and subscribers are accounted"
          + " for from their stream). Default: docs/examples/publisher.yaml, subscribers.yaml and durable.yaml.")
  List<Path> specFiles;

  @Option(names = "--out", defaultValue = "bench-results/chaos.json", description = "Result file. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Timeline timeline = new Timeline(System.out);
    Path runDir = Files.createTempDirectory("fogwise-bench-chaos-");
    Duration length = minutes != null ? Duration.ofMillis((long) (minutes * 60_000)) : duration;
    timeline.log("chaos benchmark: %.1f min, seed %d, logs in %s", length.toMillis() / 60_000.0, seed, runDir);
    ObjectNode result = run(specs(specFiles), length, seed, keepGoing, timeline, runDir);
    BenchCommand.write(out, result, timeline);
    return result.get("passed").asBoolean() ? 0 : 3;
  }

  static ObjectNode run(List<ServiceSpec> specs, Duration run, long seed, boolean keepGoing, Timeline timeline,
      Path runDir) throws Exception {
    timeline.log("invariants: double primary <= %d ms, placed and running within %d ms",
        InvariantMonitor.DOUBLE_PRIMARY_ALLOWANCE.toMillis(), InvariantMonitor.RECOVERY_BUDGET.toMillis());
    return new ChaosBenchmark(BenchCommand.launcher(), timeline).run(specs,
        new ChaosBenchmark.Settings(run, seed, keepGoing), runDir);
  }

  /** The app's specs from files, or the paper's app from docs/examples under FOGWISE_HOME (or here). */
  static List<ServiceSpec> specs(List<Path> files) throws SpecFiles.InvalidSpecs {
    List<Path> paths = files;
    if (paths == null || paths.isEmpty()) {
      Path root = Path.of(System.getenv().getOrDefault("FOGWISE_HOME", ".")).toAbsolutePath().normalize();
      paths = DEFAULT_SPECS.stream().map(root::resolve).toList();
    }
    return SpecFiles.read(paths).stream().map(SpecFiles.Document::spec).toList();
  }
}
