package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.testbed.chaos.ChaosSchedule;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, acceptance 3: a chaos run of 60 s on real processes (hub, gateway, four agents behind
 * link emulators, the paper's app from docs/examples) with a fixed seed and at least one fault of
 * each kind; no invariant may be breached. The run stops at the first breach and the failure
 * message says which invariant, when, and with which seed to reproduce it
 * ({@code ./fogwise bench chaos --duration 1m --seed 11}); the processes' logs stay in
 * {@code cli/target/chaos-it/}.
 */
class ChaosIT {
  private static final long SEED = 11;
  private static final Duration RUN = Duration.ofSeconds(60);

  @Test
  void thePaperAppSurvivesAMinuteOfKillsRestartsAndLinkCuts() throws Exception {
    // kept after the run (not a @TempDir): every process's log, to read a breach by
    Path dir = Path.of("target", "chaos-it");
    if (Files.exists(dir)) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(dir);
    List<Path> specs = BenchChaosCommand.DEFAULT_SPECS.stream().map(p -> Path.of("..").resolve(p)).toList();
    ObjectNode result = BenchChaosCommand.run(BenchChaosCommand.specs(specs), RUN, SEED, false,
        new Timeline(System.out), dir);

    JsonNode breaches = result.get("breaches");
    assertEquals(0, breaches.size(), () -> "seed " + SEED + ": first breach " + breaches.get(0) + "\n" + result.toPrettyString());
    for (ChaosSchedule.Kind k : ChaosSchedule.Kind.values()) {
      assertTrue(result.get("faultsDone").get(k.name()).asInt() >= 1, k + " injected at least once: " + result.get("faultsDone"));
    }
    assertTrue(result.get("passed").asBoolean(), result::toPrettyString);
    // the durable channel of docs/examples/durable.yaml: nothing acknowledged to its publisher is lost
    var durable = result.at("/messages/durable/0");
    assertTrue(durable.get("stored").asLong() > 0, result::toPrettyString);
    assertEquals(0, durable.get("lost").asLong(-1), result::toPrettyString);
    assertEquals(0, durable.get("storedTwice").asLong(-1), result::toPrettyString);
  }
}
