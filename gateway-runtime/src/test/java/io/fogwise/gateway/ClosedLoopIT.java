package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.fogwise.rules.model.DeviceState;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The closed loop on a real nats-server: a real gateway and real edge agents. */
class ClosedLoopIT extends GatewayItBase {

  private static final ServiceSpec PUBLISHER = ServiceSpec.of("publisher", "publisher",
      new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
      Map.of("app", "it", "channel", "readings", "rateHz", "50"));

  @Test
  void aDeadDevicesPublisherIsRestartedOnAnotherEligibleDeviceWithANewEpoch() throws Exception {
    agent("e1", Layer.EDGE, Map.of("pub", "true"));
    agent("e2", Layer.EDGE, Map.of("pub", "true"));
    agent("c1", Layer.CLOUD, Map.of("pub", "true"));
    awaitAlive(3);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(PUBLISHER))).ok());

    await().atMost(WAIT).until(() -> placementsOf("publisher").stream().anyMatch(p -> p.state() == Placement.State.RUNNING));
    String first = placementsOf("publisher").get(0).deviceId();
    assertTrue(first.startsWith("e"), "placed on an EDGE device: " + first);
    await().atMost(WAIT).until(() -> data.stream().anyMatch(m -> m.publisherId().equals(first)));

    agents.remove(first).close();

    await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DEVICE_LOST
        && first.equals(e.deviceId())));
    await().atMost(WAIT).until(() -> data.stream().anyMatch(m -> m.epoch() == 2));
    AppMessage recovered = data.stream().filter(m -> m.epoch() == 2).findFirst().orElseThrow();
    String second = first.equals("e1") ? "e2" : "e1";
    assertEquals(second, recovered.publisherId(), "the other EDGE device with pub=true, not the CLOUD one");
    AdaptationEvent lost = events.stream().filter(e -> e.type() == AdaptationEvent.Type.DEVICE_LOST).findFirst().orElseThrow();
    assertEquals("Device lost when its suspicion exceeds the threshold", lost.rule());
    assertEquals(1, events.stream().filter(e -> e.type() == AdaptationEvent.Type.DEVICE_LOST).count());
    assertEquals(DeviceState.LOST, gateway.query(e -> e.registry().get(first).getState()));
  }

  @Test
  void malformedHeartbeatsTelemetryAndRequestsAreCountedAndSkippedWithoutDisturbingTheLoop() throws Exception {
    agent("e1", Layer.EDGE, Map.of("pub", "true"));
    agent("e2", Layer.EDGE, Map.of("pub", "true"));
    awaitAlive(2);

    byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
    byte[] unknownField = ("{\"deviceId\":\"e1\",\"gatewayId\":\"" + GW + "\",\"seq\":1,\"sentAtMillis\":1,"
        + "\"intervalMs\":200,\"layer\":\"EDGE\",\"evil\":1}").getBytes(StandardCharsets.UTF_8);
    byte[] impostor = ("{\"deviceId\":\"e2\",\"gatewayId\":\"" + GW + "\",\"seq\":1,\"sentAtMillis\":1,"
        + "\"intervalMs\":200,\"layer\":\"EDGE\"}").getBytes(StandardCharsets.UTF_8);
    byte[] badTelemetry = ("{\"deviceId\":\"e1\",\"gatewayId\":\"" + GW + "\",\"atMillis\":1,\"cpuLoad\":7.5,"
        + "\"memUsedBytes\":1,\"memMaxBytes\":1}").getBytes(StandardCharsets.UTF_8);
    byte[] oversized = new byte[MessageCodec.MAX_MESSAGE_BYTES + 10];
    java.util.Arrays.fill(oversized, (byte) '{');
    for (int i = 0; i < 50; i++) {
      client.publish(Subjects.heartbeat(GW, "e1"), garbage);
      client.publish(Subjects.heartbeat(GW, "e1"), unknownField);
      client.publish(Subjects.heartbeat(GW, "e1"), impostor);
      client.publish(Subjects.heartbeat(GW, "ghost"), oversized);
      client.publish(Subjects.telemetry(GW, "e1"), garbage);
      client.publish(Subjects.telemetry(GW, "e1"), badTelemetry);
    }
    client.flush(Duration.ofSeconds(5));

    await().atMost(WAIT).until(() -> gateway.rejections().count("heartbeat", RejectReason.MALFORMED) == 50
        && gateway.rejections().count("heartbeat", RejectReason.UNKNOWN_FIELD) == 50
        && gateway.rejections().count("heartbeat", RejectReason.INVALID_FIELD) == 50
        && gateway.rejections().count("heartbeat", RejectReason.OVERSIZED) == 50
        && gateway.rejections().count("telemetry", RejectReason.MALFORMED) == 50
        && gateway.rejections().count("telemetry", RejectReason.INVALID_FIELD) == 50);
    int known = gateway.query(e -> e.registry().size());
    assertEquals(2, known, "no device invented from bad input");

    ServiceResponse bad = request(garbage);
    assertFalse(bad.ok());
    assertTrue(bad.error().contains("not valid JSON"), bad.error());
    ServiceResponse noSpec = request("{\"op\":\"APPLY\"}".getBytes(StandardCharsets.UTF_8));
    assertFalse(noSpec.ok());
    assertTrue(noSpec.error().contains("'spec'"), noSpec.error());
    assertFalse(request(MessageCodec.encode(ServiceRequest.delete("nope"))).ok());
    ServiceResponse badReplicas = request(("{\"op\":\"APPLY\",\"spec\":{\"name\":\"p\",\"kind\":\"publisher\","
        + "\"replicas\":500}}").getBytes(StandardCharsets.UTF_8));
    assertFalse(badReplicas.ok());
    assertEquals("spec.replicas", badReplicas.field());
    assertTrue(badReplicas.error().contains("[0, 100]"), badReplicas.error());
    ServiceResponse badLayer = request(("{\"op\":\"APPLY\",\"spec\":{\"name\":\"p\",\"kind\":\"publisher\","
        + "\"placement\":{\"layer\":\"MOON\"}}}").getBytes(StandardCharsets.UTF_8));
    assertEquals("spec.placement.layer", badLayer.field());
    assertTrue(request(MessageCodec.encode(ServiceRequest.list())).services().isEmpty(), "nothing applied");

    Message cmdReply = client.request(Subjects.command(GW, "e1"), garbage, Duration.ofSeconds(5));
    CommandReply reply = MessageCodec.decode(cmdReply.getData(), CommandReply.class);
    assertFalse(reply.ok());
    Message stopUnknown = client.request(Subjects.command(GW, "e1"),
        MessageCodec.encode(io.fogwise.protocol.Command.stop("it-1", "no-such-service", 1)), Duration.ofSeconds(5));
    CommandReply stopReply = MessageCodec.decode(stopUnknown.getData(), CommandReply.class);
    assertFalse(stopReply.ok());
    assertTrue(stopReply.error().contains("no-such-service"), stopReply.error());

    // the loop is undisturbed: both devices stayed alive, and a failover still happens
    int alive = gateway.query(e -> e.registry().countsByState().get(DeviceState.ALIVE));
    assertEquals(2, alive);
    assertTrue(events.stream().noneMatch(e -> e.type() == AdaptationEvent.Type.DEVICE_LOST));
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(PUBLISHER))).ok());
    await().atMost(WAIT).until(() -> placementsOf("publisher").stream().anyMatch(p -> p.state() == Placement.State.RUNNING));
    String first = placementsOf("publisher").get(0).deviceId();
    agents.remove(first).close();
    await().atMost(WAIT).until(() -> placementsOf("publisher").stream()
        .anyMatch(p -> p.state() == Placement.State.RUNNING && !p.deviceId().equals(first)));
    assertNotEquals(first, placementsOf("publisher").get(0).deviceId());
  }

  @Test
  void aRestartedGatewayResumesFromDurableStateWithoutRestartingHealthyInstances() throws Exception {
    agent("e1", Layer.EDGE, Map.of("pub", "true"));
    agent("e2", Layer.EDGE, Map.of("pub", "true"));
    awaitAlive(2);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(PUBLISHER))).ok());
    await().atMost(WAIT).until(() -> placementsOf("publisher").stream().anyMatch(p -> p.state() == Placement.State.RUNNING));
    String host = placementsOf("publisher").get(0).deviceId();

    gateway.close();
    int eventsBefore = events.size();
    gateway = Gateway.start(config().build());

    assertEquals(List.of("publisher"), request(MessageCodec.encode(ServiceRequest.list())).services().stream()
        .map(ServiceSpec::name).toList(), "specs survive the restart");
    await().atMost(WAIT).until(() -> gateway.query(e -> e.registry().countsByState().get(DeviceState.ALIVE)) == 2);
    // for two seconds of heartbeats, nothing is started, stopped or fenced
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> events.stream().skip(eventsBefore)
        .noneMatch(e -> e.type() == AdaptationEvent.Type.INSTANCE_STARTING
            || e.type() == AdaptationEvent.Type.INSTANCE_FENCED || e.type() == AdaptationEvent.Type.INSTANCE_STOPPED
            || e.type() == AdaptationEvent.Type.INSTANCE_ABANDONED));
    List<Placement> after = placementsOf("publisher");
    assertEquals(1, after.size());
    assertEquals(host, after.get(0).deviceId());
    assertEquals(1, after.get(0).epoch());
    assertEquals(1, agents.get(host).instances().get(0).epoch(), "the same instance kept running");

    // and it still fails over: the epoch counter survived, so the next epoch is 2
    agents.remove(host).close();
    await().atMost(WAIT).until(() -> data.stream().anyMatch(m -> m.epoch() == 2));
  }

  @Test
  void aKindTheDeviceDoesNotRunIsNotStartedThereAndALaterTypoIsRefused() throws Exception {
    // applied before any device said what it runs: accepted; then the only device announces its
    // kinds, and the gateway does not try to start the service there, and says why
    ServiceSpec unknownKind = ServiceSpec.of("teleporter", "teleporter", ServiceSpec.Placement.layer(Layer.EDGE), Map.of());
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(unknownKind))).ok());
    agent("e1", Layer.EDGE, Map.of());
    awaitAlive(1);
    await().atMost(WAIT).until(() -> request(MessageCodec.encode(ServiceRequest.read(ServiceRequest.Op.DESCRIBE,
        "teleporter"))).states().stream().anyMatch(st -> st.phase() == io.fogwise.protocol.ServiceState.Phase.UNPLACEABLE
            && st.reason() != null && st.reason().contains("1 not running kind 'teleporter'")));
    assertTrue(events.stream().noneMatch(e -> "teleporter".equals(e.service())
        && (e.type() == AdaptationEvent.Type.INSTANCE_STARTING || e.type() == AdaptationEvent.Type.INSTANCE_START_FAILED)),
        "never tried on a device that does not run it: " + events);
    assertTrue(placementsOf("teleporter").isEmpty());
    // now that the device announced its kinds, a kind nobody runs is refused at apply
    ServiceSpec typo = ServiceSpec.of("typo", "pubisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of());
    io.fogwise.protocol.ServiceResponse refused = request(MessageCodec.encode(ServiceRequest.apply(typo)));
    assertTrue(!refused.ok() && "kind".equals(refused.field()), refused.toString());
    assertTrue(refused.error().contains("runs kind 'pubisher'; its devices offer: publisher, subscriber"), refused.error());
  }
}
