package io.fogwise.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MessageCodecTest {

  static Stream<Arguments> goldens() {
    return Stream.of(
        Arguments.of("heartbeat.json", Heartbeat.class,
            new Heartbeat("edge-1", "gw-1", 42, 1_767_225_600_000L, 200, Layer.EDGE, "rpi3", Map.of("pub", "true"),
                List.of(new InstanceReport("publisher", "publisher", 3, InstanceReport.InstanceState.RUNNING, 0)))),
        Arguments.of("heartbeat-kinds.json", Heartbeat.class,
            new Heartbeat("edge-1", "gw-1", 43, 1_767_225_600_200L, 200, Layer.EDGE, "rpi3", Map.of("pub", "true"),
                List.of(), List.of("publisher", "subscriber"))),
        Arguments.of("heartbeat-sensor.json", Heartbeat.class,
            new Heartbeat("py-1", "gw-1", 7, 1_767_225_600_000L, 1000, Layer.EDGE, "esp32",
                Map.of(Heartbeat.SENSOR_LABEL, "true"), List.of())),
        Arguments.of("telemetry.json", Telemetry.class,
            new Telemetry("edge-1", "gw-1", 1_767_225_600_000L, 0.25, 1_048_576, 4_194_304, 87.5, 41.0,
                Map.of("rssi", -60.0))),
        Arguments.of("command-start.json", Command.class,
            Command.start("gw-1-17", "publisher", "publisher", 4,
                Map.of("app", "demo", "channel", "readings", "rateHz", "100"))),
        Arguments.of("command-reply-handover.json", CommandReply.class,
            CommandReply.handedOver("gw-1-18", "cloud-1", 10_000L)),
        Arguments.of("command-activate.json", Command.class, Command.activate("gw-1-19", "publisher", 5, 10_000)),
        Arguments.of("command-attach.json", Command.class, Command.attach("hub-move-2", "publisher", 5)),
        Arguments.of("command-hub-moved.json", Command.class, Command.hubMoved("hub-move-1")),
        Arguments.of("service-move.json", ServiceRequest.class, ServiceRequest.moveToLayer("publisher", Layer.EDGE)),
        Arguments.of("command-reply-error.json", CommandReply.class,
            CommandReply.error("gw-1-17", "edge-1", "unknown service kind 'teleporter'")),
        Arguments.of("event-device-lost.json", AdaptationEvent.class,
            new AdaptationEvent("gw-1", 7, 1_767_225_600_800L, AdaptationEvent.Type.DEVICE_LOST, "edge-1", null, 0,
                "Device lost when its suspicion exceeds the threshold", "no heartbeat for 812 ms (phi 3.4 > 3.0)",
                Map.of("phi", "3.4"))),
        Arguments.of("status.json", GatewayStatus.class,
            new GatewayStatus("gw-1", 1_767_225_601_000L, 1_767_225_600_000L, Map.of("ALIVE", 4, "LOST", 1), 3, 3,
                "global v0")),
        Arguments.of("app-message.json", AppMessage.class,
            new AppMessage("edge-1", "publisher", 2, 10_000, 1_767_225_600_123_456_789L)),
        Arguments.of("service-spec.json", ServiceSpec.class,
            new ServiceSpec("publisher", "publisher", null, "1", 1,
                new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")), Map.of("rateHz", "100"), Map.of(), true,
                20L)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldens")
  void encodesAndDecodesTheGoldenJson(String file, Class<?> type, Object expected) throws Exception {
    byte[] golden = golden(file);
    assertEquals(expected, MessageCodec.decode(golden, type), "decode " + file);
    JsonNode want = MessageCodec.mapper().readTree(golden);
    JsonNode got = MessageCodec.mapper().readTree(MessageCodec.encode(expected));
    assertEquals(want, got, "encode " + file);
  }

  @Test
  void decodesASensorsTelemetryWithoutCustomReadings() throws Exception {
    assertEquals(new Telemetry("py-1", "gw-1", 1_767_225_600_000L, 0, 0, 0, 71.5, 23.5, Map.of()),
        MessageCodec.decode(golden("telemetry-sensor.json"), Telemetry.class));
  }

  @Test
  void rejectsOversizedMessagesUnread() {
    byte[] big = new byte[MessageCodec.MAX_MESSAGE_BYTES + 1];
    var e = assertThrows(RejectedMessageException.class, () -> MessageCodec.decode(big, Heartbeat.class));
    assertEquals(RejectReason.OVERSIZED, e.reason());
  }

  @Test
  void rejectsNonJson() {
    assertReject(RejectReason.MALFORMED, "{not json", Heartbeat.class);
    assertReject(RejectReason.MALFORMED, "", Heartbeat.class);
    assertReject(RejectReason.MALFORMED, "[1,2]", Heartbeat.class);
    assertReject(RejectReason.MALFORMED,
        "{\"requestId\":\"r1\",\"action\":\"STOP\",\"service\":\"s\",\"epoch\":1} trailing", Command.class);
  }

  @Test
  void rejectsUnknownFieldsNamingThem() {
    var e = assertReject(RejectReason.UNKNOWN_FIELD,
        "{\"requestId\":\"r1\",\"action\":\"STOP\",\"service\":\"s\",\"epoch\":1,\"sudo\":true}", Command.class);
    assertTrue(e.getMessage().contains("'sudo'"), e.getMessage());
  }

  @Test
  void rejectsMissingFieldsNamingThem() {
    var e = assertReject(RejectReason.MISSING_FIELD,
        "{\"gatewayId\":\"gw\",\"seq\":1,\"sentAtMillis\":1,\"intervalMs\":200,\"layer\":\"EDGE\"}", Heartbeat.class);
    assertTrue(e.getMessage().contains("'deviceId'"), e.getMessage());
  }

  @Test
  void missingPrimitiveFieldsAreMissingNotZero() {
    var e = assertReject(RejectReason.MISSING_FIELD,
        "{\"deviceId\":\"e\",\"gatewayId\":\"gw\",\"sentAtMillis\":1,\"intervalMs\":200,\"layer\":\"EDGE\"}",
        Heartbeat.class);
    assertTrue(e.getMessage().contains("'seq'"), e.getMessage());
  }

  @Test
  void rejectsInvalidValues() {
    assertReject(RejectReason.INVALID_FIELD,
        "{\"deviceId\":\"edge.1\",\"gatewayId\":\"gw\",\"seq\":1,\"sentAtMillis\":1,\"intervalMs\":200,\"layer\":\"EDGE\"}",
        Heartbeat.class);
    assertReject(RejectReason.INVALID_FIELD,
        "{\"deviceId\":\"e\",\"gatewayId\":\"gw\",\"seq\":-1,\"sentAtMillis\":1,\"intervalMs\":200,\"layer\":\"EDGE\"}",
        Heartbeat.class);
    assertReject(RejectReason.INVALID_FIELD,
        "{\"deviceId\":\"e\",\"gatewayId\":\"gw\",\"seq\":\"many\",\"sentAtMillis\":1,\"intervalMs\":200,\"layer\":\"EDGE\"}",
        Heartbeat.class);
    assertReject(RejectReason.INVALID_FIELD,
        "{\"deviceId\":\"e\",\"gatewayId\":\"gw\",\"atMillis\":1,\"cpuLoad\":7.5,\"memUsedBytes\":1,\"memMaxBytes\":1}",
        Telemetry.class);
  }

  @Test
  void aHeartbeatWithoutKindsDoesNotAnnounceAny() throws Exception {
    Heartbeat hb = MessageCodec.decode(golden("heartbeat.json"), Heartbeat.class);
    assertEquals(List.of(), hb.kinds());
    assertTrue(!MessageCodec.encodeToString(hb).contains("kinds"), "an empty list is left out");
  }

  @Test
  void rejectsAnnouncedKindsThatAreNotIds() {
    var e = assertReject(RejectReason.INVALID_FIELD,
        "{\"deviceId\":\"e\",\"gatewayId\":\"gw\",\"seq\":1,\"sentAtMillis\":1,\"intervalMs\":200,"
            + "\"layer\":\"EDGE\",\"kinds\":[\"publisher\",\"no spaces\"]}", Heartbeat.class);
    assertEquals("kinds[1]", e.field(), e.getMessage());
  }

  @Test
  void invalidNestedFieldsAreNamedByTheirPath() {
    var e = assertReject(RejectReason.INVALID_FIELD,
        "{\"op\":\"APPLY\",\"spec\":{\"name\":\"pub\",\"kind\":\"publisher\",\"replicas\":-1}}",
        ServiceRequest.class);
    assertEquals("spec.replicas", e.field(), e.getMessage());
    var layer = assertReject(RejectReason.UNKNOWN_TYPE,
        "{\"op\":\"APPLY\",\"spec\":{\"name\":\"pub\",\"kind\":\"publisher\",\"replicas\":1,"
            + "\"placement\":{\"layer\":\"MOON\"}}}", ServiceRequest.class);
    assertEquals("spec.placement.layer", layer.field(), layer.getMessage());
    var missing = assertReject(RejectReason.MISSING_FIELD, "{\"op\":\"MOVE\",\"name\":\"pub\"}", ServiceRequest.class);
    assertEquals("toLayer", missing.field());
    var unknown = assertReject(RejectReason.UNKNOWN_FIELD,
        "{\"op\":\"APPLY\",\"spec\":{\"name\":\"pub\",\"kind\":\"publisher\",\"replicaz\":1}}",
        ServiceRequest.class);
    assertEquals("spec.replicaz", unknown.field());
  }

  @Test
  void activateNeedsANumberAndStandbyOnlyGoesWithStart() {
    assertReject(RejectReason.MISSING_FIELD,
        "{\"requestId\":\"r1\",\"action\":\"ACTIVATE\",\"service\":\"s\",\"epoch\":1}", Command.class);
    assertReject(RejectReason.INVALID_FIELD,
        "{\"requestId\":\"r1\",\"action\":\"STOP\",\"service\":\"s\",\"epoch\":1,\"standby\":true}",
        Command.class);
  }

  @Test
  void onlyAHubMoveForTheWholeDeviceMayNameNoService() {
    assertReject(RejectReason.MISSING_FIELD,
        "{\"requestId\":\"r1\",\"action\":\"ATTACH\",\"epoch\":1}", Command.class);
    assertReject(RejectReason.INVALID_FIELD,
        "{\"requestId\":\"r1\",\"action\":\"HUB_MOVED\",\"service\":\"a b\",\"epoch\":0}", Command.class);
  }

  @Test
  void rejectsUnknownCommandActionsAsUnknownType() {
    assertReject(RejectReason.UNKNOWN_TYPE,
        "{\"requestId\":\"r1\",\"action\":\"REBOOT\",\"service\":\"s\",\"epoch\":1}", Command.class);
  }

  @Test
  void rejectionsAreCountedByKindAndReason() {
    MessageRejections r = new MessageRejections("test");
    for (int i = 0; i < 3; i++) {
      try {
        MessageCodec.decode("nope".getBytes(StandardCharsets.UTF_8), Heartbeat.class);
      } catch (RejectedMessageException e) {
        r.reject("heartbeat", "fw.hb.gw.x", e);
      }
    }
    assertEquals(3, r.count("heartbeat", RejectReason.MALFORMED));
    assertEquals(3, r.total());
  }

  private static RejectedMessageException assertReject(RejectReason reason, String json, Class<?> type) {
    var e = assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(json.getBytes(StandardCharsets.UTF_8), type), json);
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  private static byte[] golden(String name) throws IOException {
    try (InputStream in = MessageCodecTest.class.getResourceAsStream("/golden/" + name)) {
      return in.readAllBytes();
    }
  }
}
