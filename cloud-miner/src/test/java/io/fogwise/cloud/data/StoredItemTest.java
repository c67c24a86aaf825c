package io.fogwise.cloud.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The KV entry format: fixed JSON, and what a decoder refuses. */
class StoredItemTest {
  private static final byte[] CONTENT = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
  private static final String SHA = "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862";

  @Test
  void anInlineEntryIsFixedJson() throws Exception {
    StoredItem s = StoredItem.inline("ref/stations", 3, "application/json", 1_767_225_600_000L, CONTENT);
    String json = MessageCodec.encodeToString(s);
    assertEquals("{\"key\":\"ref/stations\",\"version\":3,\"contentType\":\"application/json\","
        + "\"updatedAtMillis\":1767225600000,\"size\":7,\"sha256\":\"" + SHA + "\",\"value\":\"eyJhIjoxfQ==\"}", json);
    StoredItem back = MessageCodec.decode(json.getBytes(StandardCharsets.UTF_8), StoredItem.class);
    assertEquals(s, back);
    assertArrayEquals(CONTENT, back.item(back.value()).value());
    assertEquals(DataLimits.Placement.INLINE, back.placement());
  }

  @Test
  void anObjectEntryHoldsAPointerAndTheHash() throws Exception {
    StoredItem s = StoredItem.inObject("models/m", 1, "application/octet-stream", 5, CONTENT, "models/m@v1-x");
    String json = MessageCodec.encodeToString(s);
    assertEquals("{\"key\":\"models/m\",\"version\":1,\"contentType\":\"application/octet-stream\","
        + "\"updatedAtMillis\":5,\"size\":7,\"sha256\":\"" + SHA + "\",\"object\":\"models/m@v1-x\"}", json);
    StoredItem back = MessageCodec.decode(json.getBytes(StandardCharsets.UTF_8), StoredItem.class);
    assertEquals(DataLimits.Placement.OBJECT_STORE, back.placement());
    assertTrue(back.matches(CONTENT));
    assertFalse(back.matches("{\"a\":2}".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new ItemInfo("models/m", 1, "application/octet-stream", 5, 7, DataLimits.Placement.OBJECT_STORE),
        back.info());
  }

  @Test
  void entriesThatAreNotTheServicesAreRefusedNamingTheField() {
    String both = "{\"key\":\"k\",\"version\":1,\"contentType\":\"text/plain\",\"updatedAtMillis\":0,\"size\":7,"
        + "\"sha256\":\"" + SHA + "\",\"value\":\"eyJhIjoxfQ==\",\"object\":\"o\"}";
    assertEquals("value", refused(both).field());
    String wrongSize = "{\"key\":\"k\",\"version\":1,\"contentType\":\"text/plain\",\"updatedAtMillis\":0,\"size\":8,"
        + "\"sha256\":\"" + SHA + "\",\"value\":\"eyJhIjoxfQ==\"}";
    assertEquals("size", refused(wrongSize).field());
    String badKey = "{\"key\":\"a..b\",\"version\":1,\"contentType\":\"text/plain\",\"updatedAtMillis\":0,\"size\":7,"
        + "\"sha256\":\"" + SHA + "\",\"object\":\"o\"}";
    assertEquals("key", refused(badKey).field());
    String version0 = "{\"key\":\"k\",\"version\":0,\"contentType\":\"text/plain\",\"updatedAtMillis\":0,\"size\":7,"
        + "\"sha256\":\"" + SHA + "\",\"object\":\"o\"}";
    assertEquals("version", refused(version0).field());
    assertThrows(RejectedMessageException.class, () -> MessageCodec.decode("hello".getBytes(), StoredItem.class));
  }

  private static RejectedMessageException refused(String json) {
    return assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(json.getBytes(StandardCharsets.UTF_8), StoredItem.class));
  }
}
