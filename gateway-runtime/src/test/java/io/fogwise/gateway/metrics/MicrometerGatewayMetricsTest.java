package io.fogwise.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fogwise.gateway.cache.CacheMetrics;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.RejectReason;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What {@code /metrics} shows on a gateway that has seen nothing yet. */
class MicrometerGatewayMetricsTest {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ProcessMetrics process = ProcessMetrics.bind(registry, "gateway");

  @AfterEach
  void close() {
    process.close();
  }

  private String freshScrape() {
    MicrometerGatewayMetrics m = new MicrometerGatewayMetrics(registry, "gw-1");
    m.deviceGauges(() -> Map.of("ALIVE", 0, "SUSPECTED", 0, "LOST", 0));
    m.degradedGauge(() -> 0);
    CacheMetrics cache = CacheMetrics.micrometer(registry, "gw-1");
    AsyncCache<String, String> c = Caffeine.newBuilder().recordStats().buildAsync();
    cache.monitor(c);
    return registry.scrape();
  }

  @Test
  void everySeriesHasHelpText() {
    String text = freshScrape();
    Set<String> families = new TreeSet<>();
    Set<String> helped = new TreeSet<>();
    List<String> empty = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# HELP ")) {
        String[] parts = line.substring(7).split(" ", 2);
        helped.add(parts[0]);
        if (parts.length < 2 || parts[1].isBlank()) {
          empty.add(parts[0]);
        }
      } else if (line.startsWith("# TYPE ")) {
        families.add(line.substring(7).split(" ")[0]);
      }
    }
    assertTrue(empty.isEmpty(), () -> "series with empty HELP: " + empty + "\n" + text);
    assertEquals(families, helped, "every family has a HELP line");
    for (String family : List.of("jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total", "jvm_threads_live_threads",
        "jvm_classes_loaded_classes", "process_cpu_usage", "process_uptime_seconds", "process_files_open_files",
        "fogwise_build_info", "fogwise_detection_seconds", "fogwise_recovery_seconds", "fogwise_move_gap_seconds",
        "fogwise_rules_build_seconds", "fogwise_heartbeats_total", "fogwise_events_total")) {
      assertTrue(families.contains(family), () -> family + " missing from\n" + families);
    }
  }

  @Test
  void countersExistAtZeroForEveryKnownTagValueBeforeTheFirstEvent() {
    Map<String, Double> samples = samples(freshScrape());
    List<String> expected = new ArrayList<>(List.of(
        "fogwise_detections_total{gateway=\"gw-1\"}",
        "fogwise_failovers_total{gateway=\"gw-1\"}",
        "fogwise_heartbeats_total{gateway=\"gw-1\"}",
        "fogwise_migrations_total{gateway=\"gw-1\",outcome=\"completed\"}",
        "fogwise_migrations_total{gateway=\"gw-1\",outcome=\"failed\"}",
        "fogwise_cache_stale_answers_total{gateway=\"gw-1\"}",
        "fogwise_detection_seconds_count{gateway=\"gw-1\"}",
        "fogwise_recovery_seconds_count{gateway=\"gw-1\"}",
        "fogwise_move_gap_seconds_count{gateway=\"gw-1\"}"));
    for (String kind : MicrometerGatewayMetrics.MESSAGE_KINDS) {
      for (RejectReason r : RejectReason.values()) {
        expected.add("fogwise_rejected_messages_total{gateway=\"gw-1\",reason=\"" + r.tag() + "\",subject=\"" + kind
            + "\"}");
      }
    }
    for (AdaptationEvent.Type t : AdaptationEvent.Type.values()) {
      expected.add("fogwise_events_total{gateway=\"gw-1\",type=\"" + t.name() + "\"}");
    }
    MicrometerGatewayMetrics.RECONCILE_ACTIONS.forEach(a ->
        expected.add("fogwise_reconcile_actions_total{action=\"" + a + "\",gateway=\"gw-1\"}"));
    MicrometerGatewayMetrics.HOLD_CAUSES.forEach(c ->
        expected.add("fogwise_detection_holds_total{cause=\"" + c + "\",gateway=\"gw-1\"}"));
    MicrometerGatewayMetrics.PROBLEM_KINDS.forEach(k ->
        expected.add("fogwise_problems_total{gateway=\"gw-1\",kind=\"" + k + "\"}"));
    MicrometerGatewayMetrics.RULE_BUILDS.forEach(h ->
        expected.add("fogwise_rules_build_seconds_count{gateway=\"gw-1\",how=\"" + h + "\"}"));
    for (String series : expected) {
      assertEquals(0.0, samples.get(series), () -> series + " is not present at zero in\n" + samples.keySet());
    }
  }

  @Test
  void latenciesAreHistogramsWithBucketsAndTheBuildIsNamed() {
    String text = freshScrape();
    for (String h : List.of("fogwise_detection_seconds", "fogwise_recovery_seconds", "fogwise_move_gap_seconds",
        "fogwise_migration_seconds", "fogwise_rules_build_seconds")) {
      assertTrue(text.contains("# TYPE " + h + " histogram"), h + " is a histogram");
      assertTrue(text.contains(h + "_bucket{"), h + " has buckets");
    }
    assertTrue(text.contains("fogwise_detection_seconds_bucket{gateway=\"gw-1\",le=\"0.5\"} 0"), "an SLO bucket at 500 ms");
    Matcher build = Pattern.compile("fogwise_build_info\\{commit=\"([^\"]+)\",component=\"gateway\",version=\"([^\"]+)\"} 1")
        .matcher(text);
    assertTrue(build.find(), text);
    assertTrue(build.group(2).matches("\\d+\\.\\d+\\.\\d+.*"), "a version, not a placeholder: " + build.group(2));
  }

  @Test
  void recordedValuesLandInTheirSeries() {
    MicrometerGatewayMetrics m = new MicrometerGatewayMetrics(registry, "gw-1");
    m.heartbeat();
    m.heartbeat();
    m.event(AdaptationEvent.Type.DEVICE_LOST);
    m.moveGap(40);
    m.rulesBuilt("compiled", 1_200);
    m.rejected("mqtt", RejectReason.MALFORMED);
    Map<String, Double> s = samples(registry.scrape());
    assertEquals(2.0, s.get("fogwise_heartbeats_total{gateway=\"gw-1\"}"));
    assertEquals(1.0, s.get("fogwise_events_total{gateway=\"gw-1\",type=\"DEVICE_LOST\"}"));
    assertEquals(1.0, s.get("fogwise_move_gap_seconds_bucket{gateway=\"gw-1\",le=\"0.05\"}"));
    assertEquals(0.0, s.get("fogwise_move_gap_seconds_bucket{gateway=\"gw-1\",le=\"0.01\"}"));
    assertEquals(1.2, s.get("fogwise_rules_build_seconds_sum{gateway=\"gw-1\",how=\"compiled\"}"), 1e-9);
    assertEquals(1.0, s.get("fogwise_rejected_messages_total{gateway=\"gw-1\",reason=\"malformed\",subject=\"mqtt\"}"),
        "a kind not known in advance is registered when it first occurs");
  }

  private static Map<String, Double> samples(String text) {
    Map<String, Double> out = new java.util.HashMap<>();
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!line.startsWith("#") && m.find()) {
        out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
      }
    }
    return out;
  }
}
