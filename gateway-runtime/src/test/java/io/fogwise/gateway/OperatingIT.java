package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Operating the loop on a real nats-server: planned moves, stalled services, metrics. */
class OperatingIT extends GatewayItBase {

  @Override
  GatewayConfig.Builder config() {
    return super.config().httpPort(0);
  }

  private static ServiceSpec publisher(Layer layer, Map<String, String> extra) {
    Map<String, String> config = new java.util.HashMap<>(Map.of("app", "it", "channel", "readings", "rateHz", "100"));
    config.putAll(extra);
    return ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(layer), config);
  }

  @Test
  void aPlannedMoveContinuesTheNumberingWithNothingLostOrDuplicated() throws Exception {
    agent("c1", Layer.CLOUD, Map.of());
    agent("e1", Layer.EDGE, Map.of());
    awaitAlive(2);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(publisher(Layer.CLOUD, Map.of())))).ok());
    await().atMost(WAIT).until(() -> data.size() >= 100);

    var moved = request(MessageCodec.encode(ServiceRequest.moveToLayer("publisher", Layer.EDGE)));
    assertTrue(moved.ok(), moved.error());
    await().atMost(WAIT).until(() -> data.stream().filter(m -> m.epoch() == 2).count() >= 100);
    await().atMost(WAIT).until(() -> agents.get("c1").instances().isEmpty());

    List<AppMessage> seen = List.copyOf(data);
    long first = seen.get(0).number();
    for (int i = 0; i < seen.size(); i++) {
      assertEquals(first + i, seen.get(i).number(), "message " + i + " of " + seen.size() + ": " + seen.get(i));
    }
    AppMessage lastOld = seen.stream().filter(m -> m.epoch() == 1).reduce((a, b) -> b).orElseThrow();
    AppMessage firstNew = seen.stream().filter(m -> m.epoch() == 2).findFirst().orElseThrow();
    assertEquals(lastOld.number() + 1, firstNew.number(), "the new epoch continues the numbering");
    assertEquals("c1", lastOld.publisherId());
    assertEquals("e1", firstNew.publisherId());
    assertTrue(seen.stream().dropWhile(m -> m.epoch() == 1).allMatch(m -> m.epoch() == 2), "no old-epoch message after the hand-over");
    System.out.printf("planned move: hand-over gap %.1f ms (publisher clock)%n",
        (firstNew.epochNanos() - lastOld.epochNanos()) / 1e6);

    assertEquals(1, events.stream().filter(e -> e.type() == AdaptationEvent.Type.MIGRATION_COMPLETED).count());
    List<Placement> placed = placementsOf("publisher");
    assertEquals(1, placed.size());
    assertEquals("e1", placed.get(0).deviceId());
    assertEquals(2, placed.get(0).epoch());
  }

  @Test
  void aServiceWhoseOutputStallsOnAHealthyDeviceIsMovedByRule() throws Exception {
    agent("e1", Layer.EDGE, Map.of());
    agent("e2", Layer.EDGE, Map.of());
    awaitAlive(2);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(publisher(Layer.EDGE, Map.of("stallAfter", "150"))))).ok());
    await().atMost(WAIT).until(() -> data.size() >= 150);
    String first = data.get(0).publisherId();

    await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DEVICE_EXCLUDED
        && first.equals(e.deviceId())));
    AdaptationEvent ex = events.stream().filter(e -> e.type() == AdaptationEvent.Type.DEVICE_EXCLUDED).findFirst().orElseThrow();
    assertEquals("Stalled instance is moved to another device", ex.rule());
    assertTrue(ex.reason().contains("no output"), ex.reason());
    await().atMost(WAIT).until(() -> data.stream().anyMatch(m -> m.epoch() == 2));
    String second = data.stream().filter(m -> m.epoch() == 2).findFirst().orElseThrow().publisherId();
    assertFalse(second.equals(first), "moved to the other device");
    assertTrue(events.stream().noneMatch(e -> e.type() == AdaptationEvent.Type.DEVICE_LOST), "the device stayed healthy");
    await().atMost(WAIT).until(() -> agents.get(first).instances().isEmpty());
  }

  @Test
  void prometheusMetricsNameDevicesDetectionsFailoversTimersActionsAndRejections() throws Exception {
    agent("e1", Layer.EDGE, Map.of());
    agent("e2", Layer.EDGE, Map.of());
    awaitAlive(2);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(publisher(Layer.EDGE, Map.of())))).ok());
    await().atMost(WAIT).until(() -> placementsOf("publisher").stream().anyMatch(p -> p.state() == Placement.State.RUNNING));
    String host = placementsOf("publisher").get(0).deviceId();
    client.publish(Subjects.heartbeat(GW, "e1"), "garbage".getBytes(StandardCharsets.UTF_8));
    agents.remove(host).close();
    await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.INSTANCE_STARTED
        && e.epoch() == 2));

    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + gateway.httpPort();
    await().atMost(WAIT).untilAsserted(() -> {
      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String series : List.of(
          "fogwise_devices{gateway=\"gw-it\",state=\"ALIVE\"} 1.0",
          "fogwise_devices{gateway=\"gw-it\",state=\"LOST\"} 1.0",
          "fogwise_detections_total{gateway=\"gw-it\"} 1.0",
          "fogwise_failovers_total{gateway=\"gw-it\"} 1.0",
          "fogwise_detection_seconds_count{gateway=\"gw-it\"} 1",
          "fogwise_recovery_seconds_count{gateway=\"gw-it\"} 1",
          "fogwise_reconcile_actions_total{action=\"start\",gateway=\"gw-it\"} 2.0",
          "fogwise_rejected_messages_total{gateway=\"gw-it\",reason=\"malformed\",subject=\"heartbeat\"} 1.0")) {
        assertTrue(metrics.contains(series), "missing " + series + " in\n" + metrics);
      }
    });
    var health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode());
    assertTrue(health.body().contains("\"UP\""), health.body());
    var devices = http.send(HttpRequest.newBuilder(URI.create(base + "/devices")).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(devices.body().contains("\"LOST\""), devices.body());
    var invalid = http.send(HttpRequest.newBuilder(URI.create(base + "/services"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"kind\":\"publisher\",\"replicas\":-1}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, invalid.statusCode());
    assertTrue(invalid.body().contains("\"replicas\""), invalid.body());
  }
}
