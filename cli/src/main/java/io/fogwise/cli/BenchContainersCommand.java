package io.fogwise.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.testbed.bench.ContainerBenchmark;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fogwise bench containers}: container start, planned moves per adapter, device loss with containers. */
@Command(name = "containers", mixinStandardHelpOptions = true,
    description = {"Services as containers on this machine's Docker engine (images from images/build.sh; the tag from",
        "FOGWISE_IMAGE_TAG, default latest), measured from outside (own NATS subscriptions, the engine's events):",
        "  start     START to a docker-runtime agent -> container started / heartbeat RUNNING / first message,",
        "            and a plain docker create + start of the same image for reference;",
        "  moves     planned moves with hand-over for the process and docker runtimes (gap, lost, duplicated), and",
        "            Swarm relocate start-first against stop-first on the (one-node) Swarm;",
        "  failover  SIGKILL of the agent + docker kill of its containers -> DEVICE_LOST -> first new message.",
        "Prints median / p95 / max. Exit code 3 if a hand-over move lost or duplicated a message."})
final class BenchContainersCommand implements Callable<Integer> {
  /** Runs of {@code --quick}: enough to see every part work, not to measure. */
  static final int QUICK_RUNS = 2;

  @Option(names = "--runs", defaultValue = "10", description = "Measurements per part. Default: ${DEFAULT-VALUE}.")
  int runs;

  @Option(names = "--quick", description = "A smoke run: " + QUICK_RUNS + " runs per part (overrides --runs).")
  boolean quick;

  @Option(names = "--rate", defaultValue = "100", description = "Publisher rate, messages/s. Default: ${DEFAULT-VALUE}.")
  int rate;

  @Option(names = "--part", split = ",", description = "Only these parts, of start, process, docker, swarm, failover, "
      + "failover-spares (the failover with one warm spare per image; e.g. --part start,docker). Default: all.")
  java.util.List<String> parts;

  @Option(names = "--no-swarm", description = "Skip the Swarm relocations (the engine is no Swarm manager).")
  boolean noSwarm;

  @Option(names = "--json", defaultValue = "bench-results/containers.json", description = "Result file. Default: ${DEFAULT-VALUE}.")
  Path json;

  private java.util.Set<String> chosen() {
    java.util.Set<String> chosen = new java.util.LinkedHashSet<>(
        parts == null || parts.isEmpty() ? ContainerBenchmark.Settings.PARTS : parts);
    if (noSwarm) {
      chosen.remove("swarm");
    }
    return chosen;
  }

  @Override
  public Integer call() throws Exception {
    Timeline timeline = new Timeline(System.out);
    Path runDir = Files.createTempDirectory("fogwise-bench-containers-");
    ContainerBenchmark.Settings settings = new ContainerBenchmark.Settings(quick ? QUICK_RUNS : runs, rate,
        chosen());
    timeline.log("container benchmark: %d runs per part at %d msg/s, logs in %s", settings.runs(), rate, runDir);
    ObjectNode result = new ContainerBenchmark(BenchCommand.launcher(), timeline).run(settings, runDir);
    BenchCommand.write(json, result, timeline);
    System.out.print(ContainerBenchmark.table(result));
    long bad = 0;
    for (String adapter : new String[] {"process", "docker"}) {
      var s = result.path("moves").path(adapter).path("summary");
      bad += s.path("lost").asLong() + s.path("duplicated").asLong();
    }
    return bad == 0 ? 0 : 3;
  }
}
