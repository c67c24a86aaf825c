package io.fogwise.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ServiceSubjectsTest {

  @ParameterizedTest
  @ValueSource(strings = {"$KV.fw-desired-gw-1.state", "$JS.API.STREAM.DELETE.KV_fw-rules", "$SYS.REQ.SERVER.PING",
      "_INBOX.abc", "fw.gw.gw-1.svc", "fw.cmd.edge-1", "fw.hb.gw-1.edge-1", "fw.tm.gw-1.edge-1", "fw.ev.gw-1",
      "$kv.fw-desired-gw-1.state", "fw.stats.other", "fw.data.otherapp.readings", "fw.stats.sub.*", "fw.stats..x",
      "fw.stats.sub >"})
  void aSpecNamingASubjectOutsideItsOwnSpaceIsRefusedWithTheField(String subject) {
    String json = "{\"name\":\"sub\",\"kind\":\"subscriber\",\"config\":{\"app\":\"demo\",\"statsSubject\":"
        + quote(subject) + "}}";
    RejectedMessageException e = assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(json.getBytes(StandardCharsets.UTF_8), ServiceSpec.class));
    assertEquals("config.statsSubject", e.field(), e.getMessage());
    assertEquals(RejectReason.INVALID_FIELD, e.reason());
  }

  @Test
  void theServicesOwnSubjectsAreAccepted() {
    ServiceSpec.of("sub", "subscriber", null, Map.of("app", "demo", "statsSubject", "fw.stats.sub"));
    ServiceSpec.of("sub", "subscriber", null, Map.of("app", "demo", "statsSubject", "fw.stats.sub.extra"));
    ServiceSpec.of("pub", "publisher", null, Map.of("app", "demo", "outSubject", "fw.data.demo.readings"));
    ServiceSpec.of("pub", "publisher", null, Map.of("channel", "x"));
  }

  @Test
  void theAgentSideCheckNamesServiceAndKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServiceSubjects.require("sub", "statsSubject", "$KV.fw-desired-gw-1.state", "demo"));
    assertTrue(e.getMessage().startsWith("service 'sub' config 'statsSubject' names the reserved subject space $KV."),
        e.getMessage());
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
