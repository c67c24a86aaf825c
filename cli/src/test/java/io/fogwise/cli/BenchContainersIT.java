package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import io.fogwise.containers.Images;
import io.fogwise.containers.Labels;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.testsupport.DockerEngine;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise bench containers --quick} against the real engine and its one-node Swarm: every
 * part runs and writes its numbers, the hand-over moves lose and duplicate nothing, and nothing
 * the benchmark created is left on the engine. No timing is asserted (the numbers belong in
 * docs/benchmarks.md, not in a test on a loaded machine).
 */
class BenchContainersIT {
  private static final int QUICK = BenchContainersCommand.QUICK_RUNS;

  @Test
  void quickRunMeasuresEveryPartAndHandsOverWithoutLossOrDuplicates(@TempDir Path dir) throws Exception {
    DockerClient docker = DockerEngine.requireSwarm();
    DockerEngine.require(Images.builtIn("publisher"));
    Path json = dir.resolve("containers.json");

    // every part but the warm-spare failover (DockerRuntimeIT covers spares), to keep CI short
    CliRun run = fogwise("bench", "containers", "--quick", "--part", "start,process,docker,swarm,failover",
        "--json", json.toString());

    assertEquals(0, run.exit(), run.toString());
    JsonNode r = MessageCodec.mapper().readTree(json.toFile());
    assertEquals(QUICK, r.at("/machine/runs").asInt(), r::toPrettyString);

    JsonNode start = r.get("start");
    assertEquals(QUICK, start.get("runs").size(), start::toPrettyString);
    assertEquals(QUICK, start.get("reference").size(), start::toPrettyString);
    for (String q : List.of("commandAnsweredMs", "heartbeatRunningMs", "firstMessageMs", "refCreateStartMs",
        "refFirstMessageMs")) {
      assertQuantity(start.get("summary"), q, QUICK);
    }

    for (String adapter : List.of("process", "docker")) {
      JsonNode move = r.at("/moves/" + adapter);
      assertEquals(QUICK, move.get("runs").size(), move::toPrettyString);
      assertQuantity(move.get("summary"), "gapMs", QUICK);
      assertEquals(0, move.at("/summary/lost").asLong(-1), move::toPrettyString);
      assertEquals(0, move.at("/summary/duplicated").asLong(-1), move::toPrettyString);
      for (JsonNode m : move.get("runs")) {
        assertEquals(0, m.get("lost").asLong(-1), m::toPrettyString);
        assertEquals(0, m.get("duplicated").asLong(-1), m::toPrettyString);
        assertTrue(m.get("newEpoch").asLong() > m.get("oldEpoch").asLong(), m::toPrettyString);
      }
    }

    JsonNode swarm = r.at("/moves/swarm");
    for (String order : List.of("startFirst", "stopFirst")) {
      assertEquals(QUICK, swarm.at("/" + order + "/runs").size(), swarm::toPrettyString);
      assertQuantity(swarm.at("/" + order + "/summary"), "firstNewMessageMs", QUICK);
      assertQuantity(swarm.at("/" + order + "/summary"), "gapMs", QUICK);
    }

    JsonNode failover = r.get("failover");
    assertEquals(QUICK, failover.get("runs").size(), failover::toPrettyString);
    for (String q : List.of("detectMs", "recoverMs", "outageMs")) {
      assertQuantity(failover.get("summary"), q, QUICK);
    }
    for (JsonNode f : failover.get("runs")) {
      assertTrue(f.get("newEpoch").asLong() > f.get("oldEpoch").asLong(), f::toPrettyString);
      assertTrue(!f.get("newDevice").asText().equals(f.get("device").asText()), f::toPrettyString);
    }

    // nothing left behind: the benchmark's containers and Swarm services carry its gateways' labels
    assertTrue(docker.listContainersCmd().withShowAll(true).exec().stream()
        .noneMatch(c -> c.getLabels() != null && c.getLabels().getOrDefault(Labels.GATEWAY, "").startsWith("gw-ctr-")),
        "a container of the benchmark is left");
    assertTrue(docker.listServicesCmd().exec().stream().noneMatch(s -> s.getSpec() != null && s.getSpec().getLabels() != null
        && s.getSpec().getLabels().getOrDefault(Labels.GATEWAY, "").startsWith("gw-ctr-")), "a Swarm service of the benchmark is left");
  }

  private static void assertQuantity(JsonNode summary, String name, int n) {
    JsonNode q = summary.get(name);
    assertTrue(q != null && q.isObject(), () -> name + " missing in " + summary.toPrettyString());
    for (String f : List.of("median", "p95", "max")) {
      assertTrue(q.get(f) != null && q.get(f).isIntegralNumber(), () -> name + "." + f + " in " + summary.toPrettyString());
    }
    assertTrue(q.get("median").asLong() <= q.get("p95").asLong() && q.get("p95").asLong() <= q.get("max").asLong(),
        () -> name + ": median <= p95 <= max in " + summary.toPrettyString());
    assertEquals(n, q.get("n").asInt(), () -> name + " measured every run: " + summary.toPrettyString());
  }

}
