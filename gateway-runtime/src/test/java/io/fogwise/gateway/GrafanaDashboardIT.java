package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.testsupport.Prometheus;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Debian's Prometheus scrapes a live gateway that has seen devices, a planned move and a
 * failover; every query of every panel of {@code docs/grafana/fogwise-gateway.json} then
 * returns data (at least one finite value) from Prometheus' HTTP API.
 */
class GrafanaDashboardIT extends GatewayItBase {
  static final Path DASHBOARD = Path.of("..", "docs", "grafana", "fogwise-gateway.json");
  static final String JOB = "fogwise-gateway";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Prometheus prometheus;

  @Override
  GatewayConfig.Builder config() {
    return super.config().httpPort(0);
  }

  @AfterEach
  void stopPrometheus() {
    if (prometheus != null) {
      prometheus.close();
    }
  }

  /** The dashboard's query with Grafana's variables as an operator with "All" selected sees them. */
  static String resolved(String expr) {
    return expr.replace("$__rate_interval", "1m").replace("$gateway", ".+").replace("$job", ".+");
  }

  @Test
  void everyPanelOfTheDashboardHasDataFromARealPrometheusScrapingALiveGateway() throws Exception {
    JsonNode dashboard = JSON.readTree(Files.readString(DASHBOARD));
    Prometheus.require();
    prometheus = Prometheus.start(JOB, List.of("127.0.0.1:" + gateway.httpPort()));
    await().atMost(WAIT).until(() -> finiteValues(prometheus.query(
        "count_over_time(up{job=\"" + JOB + "\"}[1m]) >= 3")).size() == 1);

    agent("c1", Layer.CLOUD, Map.of());
    agent("e1", Layer.EDGE, Map.of());
    agent("e2", Layer.EDGE, Map.of());
    awaitAlive(3);
    ServiceSpec publisher = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD),
        Map.of("app", "it", "channel", "readings", "rateHz", "50"));
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(publisher))).ok());
    await().atMost(WAIT).until(() -> data.size() >= 20);
    var moved = request(MessageCodec.encode(ServiceRequest.moveToLayer("publisher", Layer.EDGE)));
    assertTrue(moved.ok(), moved.error());
    await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.MIGRATION_COMPLETED));
    String host = placementsOf("publisher").stream().filter(p -> p.state() == Placement.State.RUNNING).findFirst()
        .orElseThrow().deviceId();
    agents.remove(host).close();
    await().atMost(WAIT).until(() -> timerCount("fogwise_recovery") == 1 && timerCount("fogwise_move_gap") == 1
        && timerCount("fogwise_detection") == 1);

    List<String> queried = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      String title = panel.path("title").asText();
      assertFalse(title.isBlank(), "every panel is named: " + panel);
      assertTrue(panel.path("targets").size() > 0, title + " has a query");
      for (JsonNode target : panel.path("targets")) {
        String expr = resolved(target.path("expr").asText());
        await("panel '" + title + "': " + expr).atMost(Duration.ofSeconds(60))
            .until(() -> !finiteValues(prometheus.query(expr)).isEmpty());
        queried.add(title);
      }
    }
    System.out.printf("Grafana dashboard: %d queries of %d panels returned data%n", queried.size(),
        dashboard.path("panels").size());
  }

  private long timerCount(String name) {
    Timer t = gateway.meters().find(name).timer();
    return t == null ? 0 : t.count();
  }

  /** The finite sample values of an instant query's answer (vector or scalar). */
  static List<Double> finiteValues(String answer) throws Exception {
    JsonNode root = JSON.readTree(answer);
    if (!"success".equals(root.path("status").asText())) {
      throw new AssertionError("prometheus did not answer the query: " + answer);
    }
    JsonNode data = root.path("data");
    List<Double> out = new ArrayList<>();
    if ("scalar".equals(data.path("resultType").asText())) {
      addFinite(out, data.path("result").path(1).asText());
    } else {
      for (JsonNode r : data.path("result")) {
        addFinite(out, r.path("value").path(1).asText());
      }
    }
    return out;
  }

  private static void addFinite(List<Double> out, String value) {
    double v = Double.parseDouble(value);
    if (Double.isFinite(v)) {
      out.add(v);
    }
  }
}
