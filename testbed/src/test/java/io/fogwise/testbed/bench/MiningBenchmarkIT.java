package io.fogwise.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mining benchmark's --quick run end to end: a real nats-server, the miner, the engine replay. Shape, not targets. */
class MiningBenchmarkIT {
  @Test
  void aQuickRunMinesRulesThatCompileAndReportsEveryPart() throws Exception {
    MiningBenchmark bench = new MiningBenchmark(System.out);

    ObjectNode json = bench.run(new MiningBenchmark.Settings(true, Set.of("quality", "heartbeat", "speed")));

    JsonNode mining = json.get("mining");
    assertTrue(mining.get("telemetryRead").asLong() > 0);
    assertTrue(mining.get("rulesCompile").asBoolean(), mining.toPrettyString());
    assertTrue(mining.get("rules").asInt() >= 1, mining.toPrettyString());
    String drl = mining.get("drl").asText();
    assertTrue(drl.contains("@support(") && drl.contains("@confidence(") && drl.contains("@window("), drl);
    List<RuleSource> sources = new ArrayList<>(RuleSet.builtInPacks());
    sources.add(new RuleSource("mined/precursors.drl", drl));
    assertTrue(RuleSet.compile("check", sources).ruleNames().stream().anyMatch(n -> n.contains("mined: failure")));
    assertTrue(mining.get("parameters").fieldNames().hasNext(), "heartbeat thresholds mined");

    for (String score : List.of("mined", "baseline")) {
      JsonNode s = json.get("quality").get(score);
      for (String field : List.of("quarantines", "precision", "failuresWithPrecursor", "caught", "recall",
          "medianLeadMs")) {
        assertTrue(s.has(field), score + " lacks " + field + ": " + s.toPrettyString());
      }
      assertTrue(s.get("failuresWithPrecursor").asInt() > 0);
    }
    for (String policy : List.of("mined", "fixedTimeout", "defaultPhi8")) {
      assertTrue(json.get("heartbeat").get(policy).has("falseDetections"), policy);
    }
    assertEquals(json.get("heartbeat").get("mined").get("meanDetectionMs").asLong(),
        json.get("heartbeat").get("fixedTimeout").get("meanDetectionMs").asLong(), "equal mean detection time");
    assertTrue(json.get("speed").get("telemetryRows").asLong() > 0);
    // the speed fleet went through the miner's own ingestor into its store: all of it, once
    assertEquals(json.get("speed").get("published").asLong(), json.get("speed").get("drained").asLong());
    assertTrue(json.get("speed").get("drainPerSecond").asLong() > 0);
    assertTrue(json.get("mining").get("readFrom").asText().contains("ingestor"));

    String report = bench.report();
    for (String heading : List.of("## Mining", "| fleet | seed |", "| rules | quarantines |",
        "| policy | false detections |", "drained from the pre-filled streams into the miner's store", "one mining pass over")) {
      assertTrue(report.contains(heading), "report lacks " + heading + ":\n" + report);
    }
    assertFalse(report.contains("null"), report);
  }
}
