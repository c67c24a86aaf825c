package io.fogwise.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.protocol.time.Clock;
import io.fogwise.protocol.time.ManualClock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

  @Test
  void defaults() {
    AgentConfig c = AgentConfig.builder().deviceId("dev-1").gatewayId("gw1").auth(NatsAuth.insecure()).build();
    assertEquals(AgentConfig.DEFAULT_NATS_URL, c.natsUrl());
    assertEquals(Layer.EDGE, c.layer());
    assertEquals("default", c.deviceClass());
    assertEquals(Map.of(), c.labels());
    assertEquals(Duration.ofMillis(200), c.heartbeatInterval());
    assertEquals(Duration.ofSeconds(1), c.telemetryInterval());
    assertEquals(Duration.ofMillis(100), c.restartBackoffBase());
    assertEquals(Duration.ofSeconds(5), c.restartBackoffMax());
    assertSame(Clock.system(), c.clock());
    assertEquals(Set.of("publisher", "subscriber"), c.services().keySet());
    assertTrue(c.sensors().batteryPct().isPresent(), "simulated sensors by default");
  }

  @Test
  void theGatewayIdIsFwGatewayIdAndTheOldNameStillWorks() {
    Map<String, String> old = Map.of("FW_DEVICE_ID", "d", "FW_GATEWAY", "fog-old", "FW_INSECURE", "true");
    assertEquals("fog-old", AgentConfig.fromEnvironment(old).build().gatewayId(), "the deprecated name is still read");
    Map<String, String> both = Map.of("FW_DEVICE_ID", "d", "FW_GATEWAY", "fog-old", "FW_GATEWAY_ID", "fog-new",
        "FW_INSECURE", "true");
    assertEquals("fog-new", AgentConfig.fromEnvironment(both).build().gatewayId(), "the one name wins");
  }

  @Test
  void readsTheEnvironment() {
    AgentConfig c =
        AgentConfig.fromEnvironment(
                Map.of(
                    "FW_NATS_URL", "nats://hub:4222",
                    "FW_DEVICE_ID", "cam-7",
                    "FW_GATEWAY_ID", "fog-a",
                    "FW_LAYER", "fog",
                    "FW_LABELS", " zone=hall.b , gpu=true",
                    "FW_DEVICE_CLASS", "rpi4",
                    "FW_HEARTBEAT_MS", "150",
                    "FW_INSECURE", "true",
                    "UNRELATED", "x"))
            .build();
    assertEquals("nats://hub:4222", c.natsUrl());
    assertEquals("cam-7", c.deviceId());
    assertEquals("fog-a", c.gatewayId());
    assertEquals(Layer.FOG, c.layer());
    assertEquals(Map.of("zone", "hall.b", "gpu", "true"), c.labels());
    assertEquals("rpi4", c.deviceClass());
    assertEquals(Duration.ofMillis(150), c.heartbeatInterval());
    assertTrue(c.auth().isInsecure());
  }

  @Test
  void withoutCredentialsTheAgentDoesNotStartAndSaysWhatToSet() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> AgentConfig.builder().deviceId("dev-1").gatewayId("gw1").build());
    assertTrue(e.getMessage().contains("FW_CREDS") && e.getMessage().contains("FW_INSECURE"), e.getMessage());
    assertMessage("FW_CA", () -> AgentConfig.fromEnvironment(Map.of("FW_CREDS", "/no/such.creds")));
  }

  @Test
  void blankEnvironmentValuesKeepDefaultsAndTheBuilderCanAddToThem() {
    ManualClock clock = new ManualClock();
    AgentConfig c =
        AgentConfig.fromEnvironment(Map.of("FW_LABELS", " ", "FW_LAYER", "", "FW_DEVICE_ID", "d1", "FW_INSECURE", "true"))
            .gatewayId("g")
            .clock(clock)
            .service("crashy", ctx -> () -> {})
            .build();
    assertEquals(Layer.EDGE, c.layer());
    assertEquals(Map.of(), c.labels());
    assertSame(clock, c.clock());
    assertEquals(Set.of("crashy", "publisher", "subscriber"), c.services().keySet());
  }

  @Test
  void badEnvironmentValuesNameTheVariable() {
    assertMessage("FW_LAYER", () -> AgentConfig.fromEnvironment(Map.of("FW_LAYER", "moon")));
    assertMessage("FW_HEARTBEAT_MS", () -> AgentConfig.fromEnvironment(Map.of("FW_HEARTBEAT_MS", "fast")));
    assertMessage("FW_LABELS", () -> AgentConfig.fromEnvironment(Map.of("FW_LABELS", "zone")));
    assertMessage("heartbeatInterval", () -> AgentConfig.fromEnvironment(Map.of("FW_HEARTBEAT_MS", "5")));
    assertMessage("deviceId", () -> AgentConfig.fromEnvironment(Map.of("FW_DEVICE_ID", "dev.1")));
  }

  @Test
  void missingIdsFailAtBuildWithAHint() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> AgentConfig.fromEnvironment(Map.of("FW_GATEWAY", "g")).build());
    assertTrue(e.getMessage().contains("FW_DEVICE_ID"), e.getMessage());
    e = assertThrows(IllegalStateException.class, () -> AgentConfig.builder().deviceId("d").build());
    assertTrue(e.getMessage().contains("FW_GATEWAY"), e.getMessage());
  }

  @Test
  void idsMustBeSubjectTokens() {
    for (String bad : new String[] {"", "a.b", "a b", "a*", "a>", "x".repeat(65), "ü"}) {
      assertThrows(IllegalArgumentException.class, () -> AgentConfig.builder().deviceId(bad), bad);
      assertThrows(IllegalArgumentException.class, () -> AgentConfig.builder().gatewayId(bad), bad);
    }
    assertThrows(NullPointerException.class, () -> AgentConfig.builder().deviceId(null));
    assertThrows(IllegalArgumentException.class, () -> AgentConfig.builder().service("my.kind", ctx -> () -> {}));
  }

  @Test
  void parsesLabels() {
    assertEquals(Map.of(), AgentConfig.parseLabels(""));
    assertEquals(Map.of("a", "1"), AgentConfig.parseLabels("a=1"));
    assertEquals(Map.of("a", "1", "b", "x.y"), AgentConfig.parseLabels("a=1, b = x.y"));
  }

  @Test
  void rejectsBadLabels() {
    assertMessage("not key=value", () -> AgentConfig.parseLabels("a"));
    assertMessage("not key=value", () -> AgentConfig.parseLabels("a=1,,b=2"));
    assertMessage("not key=value", () -> AgentConfig.parseLabels("a=1,"));
    assertMessage("label key ''", () -> AgentConfig.parseLabels("=1"));
    assertMessage("has value ''", () -> AgentConfig.parseLabels("a="));
    assertMessage("appears twice", () -> AgentConfig.parseLabels("a=1,a=2"));
    assertMessage("has value 'x=y'", () -> AgentConfig.parseLabels("a=x=y"));
    assertMessage("label key 'a b'", () -> AgentConfig.parseLabels("a b=1"));
  }

  @Test
  void validatesIntervalsAndBackoff() {
    AgentConfig.Builder b = AgentConfig.builder();
    assertThrows(IllegalArgumentException.class, () -> b.heartbeatInterval(Duration.ofMillis(9)));
    assertThrows(IllegalArgumentException.class, () -> b.telemetryInterval(Duration.ofMinutes(2)));
    assertThrows(IllegalArgumentException.class, () -> b.restartBackoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> b.restartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' should mention " + expected);
  }
}
