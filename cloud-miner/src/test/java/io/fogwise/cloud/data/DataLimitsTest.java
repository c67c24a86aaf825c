package io.fogwise.cloud.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where items go by size, the hard limit, and guessed content types. */
class DataLimitsTest {

  @Test
  void smallItemsStayInKvLargeOnesGoToTheObjectStoreAndTooLargeOnesAreRefused() {
    DataLimits limits = DataLimits.DEFAULT;
    assertEquals(DataLimits.Placement.INLINE, limits.placement("k", 0));
    assertEquals(DataLimits.Placement.INLINE, limits.placement("k", 512 * 1024));
    assertEquals(DataLimits.Placement.OBJECT_STORE, limits.placement("k", 512 * 1024 + 1));
    assertEquals(DataLimits.Placement.OBJECT_STORE, limits.placement("k", 16L * 1024 * 1024));
    ItemTooLargeException e = assertThrows(ItemTooLargeException.class,
        () -> limits.placement("models/big", 16L * 1024 * 1024 + 1));
    assertEquals("item 'models/big' is 16777217 bytes, over the limit of 16 MiB per item (16777216 bytes)",
        e.getMessage());
    assertEquals(16L * 1024 * 1024, e.limit());
  }

  @Test
  void theLimitIsConfigurable() {
    DataLimits small = DataLimits.DEFAULT.withMaxItemBytes(1000);
    assertThrows(ItemTooLargeException.class, () -> small.placement("k", 1001));
    assertTrue(ItemTooLargeException.moreThan("k", 1000).getMessage().startsWith("item 'k' is more than 1000 bytes"));
  }

  @Test
  void anInlineLimitThatCannotFitAKvValueIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DataLimits(1024 * 1024, DataLimits.DEFAULT_MAX_ITEM_BYTES));
    assertTrue(e.getMessage().contains("base64"), e.getMessage());
    // the default leaves room: 512 KiB in base64 is 683 KiB, under the 1 MiB value limit
    assertTrue((DataLimits.DEFAULT_INLINE_MAX_BYTES + 2) / 3 * 4 < JetStreamDataStore.KV_MAX_VALUE_BYTES - 4096);
  }

  @ParameterizedTest
  @CsvSource({
      "stations.json, application/json",
      "dir.v2/readings.CSV, text/csv",
      "notes.txt, text/plain",
      "model.onnx, application/octet-stream",
      "README, application/octet-stream",
      ".json, application/octet-stream",
      "dir.json/file, application/octet-stream",
      "trailing., application/octet-stream"})
  void contentTypesAreGuessedFromTheExtension(String file, String type) {
    assertEquals(type, ContentTypes.guess(file));
  }
}
