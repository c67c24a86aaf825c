package io.fogwise.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.testbed.bench.DetectionLoadBenchmark;
import io.fogwise.testbed.bench.FailoverBenchmark;
import io.fogwise.testbed.bench.FalseDetectionBenchmark;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks; each writes JSON to bench-results/ (summarised in docs/benchmarks.md).",
    subcommands = {BenchCommand.Failover.class, BenchCommand.FalseDetection.class, BenchCommand.DetectionLoad.class,
        BenchChaosCommand.class, BenchPolicyPushCommand.class, BenchCacheCommand.class,
        BenchContainersCommand.class, BenchPaperCommand.class, BenchMiningCommand.class})
final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static ComponentLauncher launcher() {
    return ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of());
  }

  static void write(Path out, ObjectNode result, Timeline timeline) throws Exception {
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    MessageCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
    timeline.log("results written to %s", out);
  }

  @Command(name = "failover", mixinStandardHelpOptions = true,
      description = "SIGKILL the publisher's device repeatedly; median and max detection and recovery.")
  static final class Failover implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "20", description = "Failovers to measure. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--rate", defaultValue = "100", description = "Publisher rate, messages/s. Default: ${DEFAULT-VALUE}.")
    int rate;

    @Option(names = "--mode", defaultValue = "kill",
        description = "kill: SIGKILL the publisher's device; move: planned migrations CLOUD <-> EDGE. Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--out", description = "Result file. Default: bench-results/failover.json (kill) or failover-move.json (move).")
    Path out;

    @Option(names = "--insecure", description = "Hub and components without authentication and TLS (to measure their cost).")
    boolean insecure;

    @Override
    public Integer call() throws Exception {
      Timeline timeline = new Timeline(System.out);
      Path runDir = Files.createTempDirectory("fogwise-bench-failover-");
      if ("move".equals(mode)) {
        timeline.log("planned-migration benchmark: %d moves at %d msg/s%s, logs in %s", runs, rate,
            insecure ? " (INSECURE hub)" : " (TLS and identities)", runDir);
        ObjectNode result = new FailoverBenchmark(launcher(), timeline).insecure(insecure).runMoves(runs, rate, runDir);
        var s = result.get("summary");
        timeline.log("hand-over gap median %d ms, max %d ms; lost %d, duplicated %d (target: max <= 50 ms, 0 lost, 0 duplicated)",
            s.get("gapMedianMs").asLong(), s.get("gapMaxMs").asLong(), s.get("lost").asLong(), s.get("duplicated").asLong());
        write(out != null ? out : Path.of("bench-results/failover-move.json"), result, timeline);
        return s.get("targetsMet").asBoolean() ? 0 : 3;
      }
      if (!"kill".equals(mode)) {
        throw new IllegalArgumentException("--mode must be kill or move, got '" + mode + "'");
      }
      out = out != null ? out : Path.of("bench-results/failover.json");
      timeline.log("failover benchmark: %d runs%s, logs in %s", runs, insecure ? " (INSECURE hub)" : " (TLS and identities)",
          runDir);
      ObjectNode result = new FailoverBenchmark(launcher(), timeline).insecure(insecure).run(runs, rate, runDir);
      var s = result.get("summary");
      timeline.log("detect median %d ms, max %d ms; recover median %d ms, max %d ms (targets: detect max <= 1000, recover max <= 2000)",
          s.get("detectMedianMs").asLong(), s.get("detectMaxMs").asLong(), s.get("recoverMedianMs").asLong(),
          s.get("recoverMaxMs").asLong());
      write(out, result, timeline);
      return s.get("targetsMet").asBoolean() ? 0 : 3;
    }
  }

  @Command(name = "false-detection", mixinStandardHelpOptions = true,
      description = "Healthy devices behind link emulators with injected heartbeat gaps and loaded cores; counts false detections.")
  static final class FalseDetection implements Callable<Integer> {
    @Option(names = "--devices", defaultValue = "20", description = "Devices. Default: ${DEFAULT-VALUE}.")
    int devices;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10m", converter = PolicyCommands.LongDurationConverter.class,
        description = "How long it runs. Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--minutes", hidden = true, description = "Deprecated: --duration in minutes.")
    Double minutes;

    @Option(names = "--max-pause", paramLabel = "DURATION", defaultValue = "400ms", converter = PolicyCommands.DurationConverter.class,
        description = "Longest injected link pause; heartbeat gaps reach pause + one interval. Default: ${DEFAULT-VALUE}.")
    Duration maxPause;

    @Option(names = "--max-pause-ms", hidden = true, description = "Deprecated: --max-pause in milliseconds.")
    Long maxPauseMs;

    @Option(names = "--load-threads", defaultValue = "2", description = "Busy threads loading the cores. Default: ${DEFAULT-VALUE}.")
    int loadThreads;

    @Option(names = "--out", defaultValue = "bench-results/false-detection.json", description = "Result file. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Override
    public Integer call() throws Exception {
      Timeline timeline = new Timeline(System.out);
      Path runDir = Files.createTempDirectory("fogwise-bench-fd-");
      Duration length = minutes != null ? Duration.ofMillis((long) (minutes * 60_000)) : duration;
      Duration pause = maxPauseMs != null ? Duration.ofMillis(maxPauseMs) : maxPause;
      timeline.log("false-detection benchmark: %d devices for %.1f min, logs in %s", devices, length.toMillis() / 60_000.0,
          runDir);
      ObjectNode result = new FalseDetectionBenchmark(launcher(), timeline).run(devices, length, pause, loadThreads,
          runDir);
      timeline.log("heartbeat gaps p99 %d ms, max %d ms, %d over 500 ms; false detections: %d",
          result.get("gapP99Ms").asLong(), result.get("gapMaxMs").asLong(), result.get("gapsOver500Ms").asLong(),
          result.get("falseDetections").asLong());
      write(out, result, timeline);
      return result.get("falseDetections").asLong() == 0 ? 0 : 3;
    }
  }

  @Command(name = "detection-load", mixinStandardHelpOptions = true,
      description = {"Synthetic devices heartbeat a fresh gateway process (burst: all join at once; sigstop: the gateway",
          "is frozen for --pause); then --kill devices are silenced. An outside subscriber counts false DEVICE_LOST",
          "and times each silenced device's detection from the later of its silencing and SIGCONT.",
          "Exit code 3 if a target is missed (0 false detections, every silenced device detected within 2 s)."})
  static final class DetectionLoad implements Callable<Integer> {
    @Option(names = "--scenario", defaultValue = "both", description = "burst, sigstop or both. Default: ${DEFAULT-VALUE}.")
    String scenario;

    @Option(names = "--devices", defaultValue = "10000", description = "Synthetic devices. Default: ${DEFAULT-VALUE}.")
    int devices;

    @Option(names = "--heartbeat", paramLabel = "DURATION", defaultValue = "200ms", converter = PolicyCommands.DurationConverter.class,
        description = "Their heartbeat interval. Default: ${DEFAULT-VALUE}.")
    Duration heartbeat;

    @Option(names = "--heartbeat-ms", hidden = true, description = "Deprecated: --heartbeat in milliseconds.")
    Long heartbeatMs;

    @Option(names = "--kill", defaultValue = "50", description = "Devices silenced after the disturbance. Default: ${DEFAULT-VALUE}.")
    int kill;

    @Option(names = "--pause", paramLabel = "DURATION", defaultValue = "1s", converter = PolicyCommands.DurationConverter.class,
        description = "SIGSTOP length (sigstop). Default: ${DEFAULT-VALUE}.")
    Duration pause;

    @Option(names = "--pause-ms", hidden = true, description = "Deprecated: --pause in milliseconds.")
    Long pauseMs;

    @Option(names = "--gateway-heap", defaultValue = "1g", description = "The gateway JVM's -Xmx. Default: ${DEFAULT-VALUE}.")
    String gatewayHeap;

    @Option(names = "--out", defaultValue = "bench-results/detection-load.json", description = "Result file. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Override
    public Integer call() throws Exception {
      List<DetectionLoadBenchmark.Scenario> scenarios = switch (scenario) {
        case "both" -> List.of(DetectionLoadBenchmark.Scenario.BURST, DetectionLoadBenchmark.Scenario.SIGSTOP);
        case "burst" -> List.of(DetectionLoadBenchmark.Scenario.BURST);
        case "sigstop" -> List.of(DetectionLoadBenchmark.Scenario.SIGSTOP);
        default -> throw new IllegalArgumentException("--scenario must be burst, sigstop or both, got '" + scenario + "'");
      };
      DetectionLoadBenchmark.Settings base = DetectionLoadBenchmark.Settings.issueScale();
      Duration interval = heartbeatMs != null ? Duration.ofMillis(heartbeatMs) : heartbeat;
      Duration stop = pauseMs != null ? Duration.ofMillis(pauseMs) : pause;
      var settings = new DetectionLoadBenchmark.Settings(devices, interval, kill,
          stop, base.joinTimeout(), base.settle(), base.detectTimeout(), base.tail(), gatewayHeap);
      Timeline timeline = new Timeline(System.out);
      Path runDir = Files.createTempDirectory("fogwise-bench-load-");
      timeline.log("detection-load benchmark %s: %d devices every %d ms, %d silenced, logs in %s", scenarios, devices,
          interval.toMillis(), kill, runDir);
      ObjectNode result = new DetectionLoadBenchmark(launcher(), timeline).run(scenarios, settings, runDir);
      write(out, result, timeline);
      boolean met = result.get("targetsMet").asBoolean();
      timeline.log(met ? "all targets met" : "TARGETS MISSED (see \"misses\" in %s)", out);
      return met ? 0 : 3;
    }
  }
}
