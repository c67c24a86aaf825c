package io.fogwise.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.testbed.bench.CacheBenchmark;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fogwise bench cache}: the gateway's cache of cloud data against direct cloud reads over an emulated link. */
@Command(name = "cache", mixinStandardHelpOptions = true,
    description = {"A hub, the cloud service on a cloud NATS behind an emulated link (leaf node through the link",
        "emulator), and a gateway, each its own process; readers next to the gateway. Measures read latency (hit vs",
        "a direct cloud read over the link), hit ratio under Zipf beside the ideal, reads/s one gateway serves, and",
        "the share of stale hits with refresh-ahead. Exit code 3 when it cannot measure."})
final class BenchCacheCommand implements Callable<Integer> {
  @Option(names = "--keys", defaultValue = "10000", description = "Items in the cloud. Default: ${DEFAULT-VALUE}.")
  int keys;

  @Option(names = "--cache-items", defaultValue = "1000",
      description = "Items the gateway's cache holds (its --cache-max-bytes is set to fit them). Default: ${DEFAULT-VALUE}.")
  int cacheItems;

  @Option(names = "--value-bytes", defaultValue = "1024", description = "Bytes per item. Default: ${DEFAULT-VALUE}.")
  int valueBytes;

  @Option(names = "--exponent", defaultValue = "1.0", description = "Zipf exponent. Default: ${DEFAULT-VALUE}.")
  double exponent;

  @Option(names = "--rtt", paramLabel = "DURATION", defaultValue = "4ms", converter = PolicyCommands.DelayConverter.class,
      description = "Emulated cloud link round trip. Default: ${DEFAULT-VALUE}.")
  Duration rtt;

  @Option(names = "--rtt-ms", hidden = true, description = "Deprecated: --rtt in milliseconds.")
  Long rttMs;

  @Option(names = "--zipf-requests", defaultValue = "100000", description = "Measured Zipf reads. Default: ${DEFAULT-VALUE}.")
  int zipfRequests;

  @Option(names = "--refresh-run", paramLabel = "DURATION", defaultValue = "60s", converter = PolicyCommands.DurationConverter.class,
      description = "Length of the refresh-ahead run. Default: ${DEFAULT-VALUE}.")
  Duration refreshRun;

  @Option(names = "--refresh-seconds", hidden = true, description = "Deprecated: --refresh-run in seconds.")
  Long refreshSeconds;

  @Option(names = "--seed", defaultValue = "1", description = "Random seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", defaultValue = "bench-results/cache.json", description = "Result file. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Timeline timeline = new Timeline(System.out);
    CacheBenchmark.Settings d = CacheBenchmark.Settings.defaults();
    Duration link = rttMs != null ? Duration.ofMillis(rttMs) : rtt;
    Duration refresh = refreshSeconds != null ? Duration.ofSeconds(refreshSeconds) : refreshRun;
    CacheBenchmark.Settings s = new CacheBenchmark.Settings(keys, valueBytes, cacheItems, exponent,
        link, d.latencySamples(), d.missSamples(), Math.max(10_000, zipfRequests * 3 / 10),
        zipfRequests, d.zipfReaders(), d.readerCounts(), d.throughputTime(), refresh,
        d.refreshAfter(), d.freshFor(), d.coldReadInterval(), seed);
    Path runDir = Files.createTempDirectory("fogwise-bench-cache-");
    timeline.log("cache benchmark: Zipf %.2f over %d keys, cache of %d items, %.1f ms link; logs in %s", exponent, keys,
        cacheItems, link.toNanos() / 1e6, runDir);
    ObjectNode result;
    try {
      result = new CacheBenchmark(BenchCommand.launcher(), timeline).run(s, runDir);
    } catch (IllegalStateException | java.io.UncheckedIOException e) {
      System.err.println("fogwise bench cache: cannot measure: " + e.getMessage() + " (logs in " + runDir + ")");
      return 3;
    }
    result.put("logs", runDir.toString());
    BenchCommand.write(out, result, timeline);
    return 0;
  }
}
