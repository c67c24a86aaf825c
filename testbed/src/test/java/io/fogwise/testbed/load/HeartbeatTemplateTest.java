package io.fogwise.testbed.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeartbeatTemplateTest {
  @Test
  void rendersExactlyWhatTheCodecEncodes() {
    Heartbeat proto = new Heartbeat("syn-0042", "gw-load", 0, 0, 200, Layer.EDGE, null, Map.of("zone", "a"), List.of());
    HeartbeatTemplate t = new HeartbeatTemplate(proto);
    for (long[] v : new long[][] {{0, 0}, {1, 9}, {10, 1_764_000_000_000L}, {123_456, 1_764_600_000_123L},
        {Long.MAX_VALUE, Long.MAX_VALUE}}) {
      Heartbeat hb = new Heartbeat(proto.deviceId(), proto.gatewayId(), v[0], v[1], 200, Layer.EDGE, null,
          Map.of("zone", "a"), List.of());
      assertArrayEquals(MessageCodec.encode(hb), t.render(v[0], v[1]), "seq " + v[0] + ", sentAtMillis " + v[1]);
    }
  }
}
