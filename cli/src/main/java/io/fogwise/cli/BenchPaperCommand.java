package io.fogwise.cli;

import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.paper.PaperBenchmark;
import io.fogwise.testbed.paper.PaperReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "paper", mixinStandardHelpOptions = true,
    description = {"The paper's experiment: hub and publisher in the cloud, subscribers in the cloud and at the edge;",
        "after --messages the hub moves to the gateway ('fogwise hub move'), after as many more the publisher moves",
        "to the other edge device. Writes Table I's shape beside the paper's values, both migration gaps, loss,",
        "duplicates and order per phase, and a latency plot (Fig. 4). Exit 3 if a message was lost or duplicated",
        "or a gap exceeded 50 ms."})
final class BenchPaperCommand implements Callable<Integer> {
  @Option(names = "--messages", defaultValue = "10000", description = "Messages per phase. Default: ${DEFAULT-VALUE}.")
  int messages;

  @Option(names = "--quick", description = "1,000 messages per phase (overrides --messages).")
  boolean quick;

  @Option(names = "--rate", defaultValue = "100", description = "Publisher rate, msg/s. Default: ${DEFAULT-VALUE}.")
  int rate;

  @Option(names = "--cloud-rtt", paramLabel = "DURATION", defaultValue = "4ms", converter = PolicyCommands.DelayConverter.class,
      description = "Cloud <-> gateway round trip. Default: ${DEFAULT-VALUE}.")
  Duration cloudRtt;

  @Option(names = "--edge-rtt", paramLabel = "DURATION", defaultValue = "0.8ms", converter = PolicyCommands.DelayConverter.class,
      description = "Gateway <-> edge round trip without jitter. Default: ${DEFAULT-VALUE}.")
  Duration edgeRtt;

  @Option(names = "--edge-jitter", paramLabel = "DURATION", defaultValue = "0.3ms", converter = PolicyCommands.DelayConverter.class,
      description = "Gateway <-> edge extra delay, uniform 0..this each way. Default: ${DEFAULT-VALUE}.")
  Duration edgeJitter;

  @Option(names = "--cloud-rtt-ms", hidden = true, description = "Deprecated: --cloud-rtt in milliseconds.")
  Double cloudRttMs;

  @Option(names = "--edge-rtt-ms", hidden = true, description = "Deprecated: --edge-rtt in milliseconds.")
  Double edgeRttMs;

  @Option(names = "--edge-jitter-ms", hidden = true, description = "Deprecated: --edge-jitter in milliseconds.")
  Double edgeJitterMs;

  @Option(names = "--seed", defaultValue = "1", description = "The link emulators' seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", defaultValue = "docs/paper-reproduction.md",
      description = "The document; the plot and a JSON summary go beside it. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Override
  public Integer call() throws Exception {
    int n = quick ? 1000 : messages;
    Duration cloud = cloudRttMs != null ? micros(cloudRttMs) : cloudRtt;
    Duration edge = edgeRttMs != null ? micros(edgeRttMs) : edgeRtt;
    Duration jitter = edgeJitterMs != null ? micros(edgeJitterMs) : edgeJitter;
    var settings = new PaperBenchmark.Settings(n, rate, cloud.dividedBy(2), edge.dividedBy(2), jitter, seed);
    String command = "./fogwise bench paper --messages " + n + " --rate " + rate + " --cloud-rtt " + ms(cloud)
        + " --edge-rtt " + ms(edge) + " --edge-jitter " + ms(jitter) + " --seed " + seed + " --out " + out;
    Timeline timeline = new Timeline(System.out);
    Path runDir = Files.createTempDirectory("fogwise-bench-paper-");
    timeline.log("paper benchmark: %s; logs in %s", command, runDir);
    PaperBenchmark.Run run = new PaperBenchmark(BenchCommand.launcher(), timeline).run(settings, runDir);
    PaperReport.Summary s = PaperReport.write(run, out, command);
    timeline.log("hub move: gap %d ms at the observer (%d / %d ms at the subscribers), %d ms in all; publisher move:"
        + " gap %d ms (%d / %d ms), %d ms in all; lost or duplicated: %d", s.hubGapObserverMs(), s.hubGapCloudMs(),
        s.hubGapEdgeMs(), s.hubMoveMs(), s.pubGapObserverMs(), s.pubGapCloudMs(), s.pubGapEdgeMs(), s.pubMoveMs(),
        s.lostOrDuplicated());
    timeline.log("written: %s, %s, %s", s.markdown(), s.plot(), s.json());
    return s.lostOrDuplicated() == 0 && s.worstGapMs() <= PaperReport.GOAL_GAP_MS ? 0 : 3;
  }

  private static Duration micros(double ms) {
    return Duration.ofNanos(Math.round(ms * 1_000_000));
  }

  /** {@code 4ms}, {@code 0.8ms}: as the options take it. */
  private static String ms(Duration d) {
    return java.math.BigDecimal.valueOf(d.toNanos(), 6).stripTrailingZeros().toPlainString() + "ms";
  }
}
