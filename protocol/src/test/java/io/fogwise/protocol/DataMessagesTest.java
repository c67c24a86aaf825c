package io.fogwise.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cloud data messages: keys, content types, replies, and their JSON. */
class DataMessagesTest {

  @Test
  void anItemRoundTripsWithItsValueInBase64() throws Exception {
    DataItem item = new DataItem("models/battery.v2", 3, "application/json", 1_767_225_600_000L,
        "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    String json = new String(MessageCodec.encode(item), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"value\":\"eyJhIjoxfQ==\""), json);
    DataItem back = MessageCodec.decode(MessageCodec.encode(item), DataItem.class);
    assertEquals("models/battery.v2", back.key());
    assertArrayEquals(item.value(), back.value());
    DataReply r = MessageCodec.decode(MessageCodec.encode(DataReply.found(item, true, 1500)), DataReply.class);
    assertTrue(r.stale());
    assertEquals(1500, r.ageMs());
    assertTrue(MessageCodec.decode(MessageCodec.encode(DataReply.notFound("x")), DataReply.class).isNotFound());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".hidden", "a..b", "a//b", "trailing/", "has space", "star*", "gt>"})
  void badKeysAreRefusedNamingTheField(String key) {
    ProtocolViolation e = assertThrows(ProtocolViolation.class, () -> new DataRequest(key));
    assertEquals("key", e.field());
  }

  @Test
  void aContentTypeMustLookLikeOne() {
    ProtocolViolation e = assertThrows(ProtocolViolation.class,
        () -> new DataItem("k", 1, "json please", 0, new byte[0]));
    assertEquals("contentType", e.field());
  }

  @Test
  void aReplyHasAnItemOrAnErrorNotBoth() {
    assertThrows(ProtocolViolation.class, () -> new DataReply("k", null, false, 0, null));
  }
}
