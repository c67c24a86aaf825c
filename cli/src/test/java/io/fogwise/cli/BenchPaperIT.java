package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.protocol.MessageCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise bench paper --quick}: the paper's experiment end to end with a real secure hub,
 * the gateway's own NATS as a leaf node, three agents behind link emulators, the hub moved by
 * {@code fogwise hub move} and the publisher by a planned migration. Asserts that no message was
 * lost or duplicated in any phase at either subscriber or the observer, that both migrations'
 * gaps were measured, and the document's shape. No timing is asserted: on a loaded machine the
 * gaps belong in the document, not in a test.
 */
class BenchPaperIT {
  @Test
  void quickRunLosesAndDuplicatesNothingAcrossBothMigrationsAndWritesTheDocument(@TempDir Path dir) throws Exception {
    Path md = dir.resolve("paper-reproduction.md");

    CliRun run = fogwise("bench", "paper", "--quick", "--out", md.toString());

    // 0: every goal met; 3: a gap above 50 ms (or a loss, checked below); anything else is a failure
    assertTrue(run.exit() == 0 || run.exit() == 3, run.toString());
    JsonNode r = MessageCodec.mapper().readTree(dir.resolve("paper-reproduction.json").toFile());
    assertEquals(1000, r.get("messagesPerPhase").asInt(), r::toPrettyString);
    JsonNode phases = r.get("phases");
    assertEquals(3, phases.size(), r::toPrettyString);
    for (JsonNode p : phases) {
      for (String who : List.of("cloudSubscriber", "edgeSubscriber")) {
        JsonNode s = p.get(who);
        assertEquals(1000, s.get("received").asLong(), () -> who + " in " + p.get("phase") + ": " + s);
        assertEquals(0, s.get("lost").asLong(-1), () -> who + " in " + p.get("phase") + ": " + s);
        assertEquals(0, s.get("duplicated").asLong(-1), () -> who + " in " + p.get("phase") + ": " + s);
        assertTrue(s.get("min").asLong() > 0 && s.get("max").asLong() >= s.get("p99").asLong()
            && s.get("p99").asLong() >= s.get("p50").asLong(), () -> who + ": " + s);
      }
      JsonNode o = p.get("observer");
      assertEquals(1000, o.get("received").asLong(), o::toString);
      assertEquals(0, o.get("lost").asLong(-1), o::toString);
      assertEquals(0, o.get("duplicated").asLong(-1), o::toString);
    }
    assertEquals(0, r.get("lostOrDuplicated").asLong(-1), r::toPrettyString);
    // both gaps measured at all three vantage points (a gap is at least 0 ms, -1 means not seen)
    for (String move : List.of("hubMove", "publisherMove")) {
      for (String gap : List.of("gapObserverMs", "gapCloudSubscriberMs", "gapEdgeSubscriberMs", "durationMs")) {
        assertTrue(r.at("/" + move + "/" + gap).asLong(-1) >= 0, () -> move + "." + gap + ": " + r.get(move));
      }
    }
    // the hub move was the user's command, and it moved all three instances
    assertTrue(r.at("/hubMove/commandOutput").asText().contains("moved 3 instance(s)"), r::toPrettyString);

    String doc = Files.readString(md);
    for (String heading : List.of("## Table I: end-to-end latency (µs)", "## The migrations",
        "## Lost, duplicated, out of order", "## Latency per transmission")) {
      assertTrue(doc.contains(heading), () -> "missing " + heading + " in\n" + doc);
    }
    for (String phase : List.of("| Cloud |", "| Fog |", "| Edge |")) {
      assertEquals(2, doc.split(java.util.regex.Pattern.quote(phase), -1).length - 1, () -> phase + " twice in\n" + doc);
    }
    // the paper's values beside ours, and the command that reproduces the run
    assertTrue(doc.contains("(2052.6)") && doc.contains("(13318.9)") && doc.contains("298 ms")
        && doc.contains("537 ms"), doc);
    assertTrue(doc.contains("./fogwise bench paper --messages 1000"), doc);
    Path png = dir.resolve("paper-reproduction-latency.png");
    byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 8);
    assertEquals("\u0089PNG", new String(head, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1), png::toString);
  }
}
