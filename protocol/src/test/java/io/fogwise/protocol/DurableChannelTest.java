package io.fogwise.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurableChannelTest {

  @Test
  void aConfigWithoutDurableOrWithFalseIsCoreNats() {
    assertEquals(Optional.empty(), DurableChannel.fromConfig(Map.of("app", "demo")));
    assertEquals(Optional.empty(), DurableChannel.fromConfig(Map.of("durable", "false", "app", "Upper.Case")));
    assertEquals(Optional.empty(), DurableChannel.fromConfig(Map.of("durable", " ")));
  }

  @Test
  void defaultsAreADayAnd256MiBOfTheDefaultApp() {
    DurableChannel d = DurableChannel.fromConfig(Map.of("durable", "true")).orElseThrow();
    assertEquals(new DurableChannel("demo", Duration.ofHours(24), 256L * 1024 * 1024), d);
    assertEquals("fwd_demo", d.stream());
    assertEquals("fw.data.demo.>", d.subjects());
  }

  @ParameterizedTest
  @CsvSource({"30m,1800", "24h,86400", "90s,90", "7d,604800", "60000ms,60"})
  void maxAgeTakesAUnit(String text, long seconds) {
    DurableChannel d = DurableChannel.fromConfig(Map.of("durable", "TRUE", "app", "plant", "durableMaxAge", text))
        .orElseThrow();
    assertEquals(Duration.ofSeconds(seconds), d.maxAge());
  }

  @ParameterizedTest
  @CsvSource({"1048576,1048576", "64MiB,67108864", "2GiB,2147483648", "4096KiB,4194304", "2097152B,2097152"})
  void maxBytesTakesAnOptionalBinaryUnit(String text, long bytes) {
    DurableChannel d = DurableChannel.fromConfig(Map.of("durable", "true", "durableMaxBytes", text)).orElseThrow();
    assertEquals(bytes, d.maxBytes());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "durable|yes|config.durable|must be true or false, got 'yes'",
      "durableMaxAge|24|config.durableMaxAge|must be a duration such as 24h, 30m, 90s or 7d, got '24'",
      "durableMaxAge|-1h|config.durableMaxAge|must be a duration",
      "durableMaxAge|30s|config.durableMaxAge|must be at least 1m, got '30s'",
      "durableMaxBytes|1000|config.durableMaxBytes|of at least 1 MiB, got '1000'",
      "durableMaxBytes|1TB|config.durableMaxBytes|must be a size in bytes",
      "durableMaxBytes|99999999999999999999|config.durableMaxBytes|must be a size in bytes",
      "durableMaxBytes|9999999999999GiB|config.durableMaxBytes|must be a size in bytes",
      "app|Plant|config.app|must be lower-case letters, digits, '-' or '_'"})
  void aBadValueIsRefusedNamingItsKey(String key, String value, String field, String fragment) {
    Map<String, String> config = new java.util.HashMap<>(Map.of("durable", "true"));
    config.put(key, value);
    ProtocolViolation e = assertThrows(ProtocolViolation.class, () -> DurableChannel.fromConfig(config));
    assertEquals(field, e.field());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void limitsAreCheckedEvenWhileTheChannelIsNotDurable() {
    ProtocolViolation e = assertThrows(ProtocolViolation.class,
        () -> DurableChannel.fromConfig(Map.of("durableMaxAge", "a day")));
    assertEquals("config.durableMaxAge", e.field());
  }

  @Test
  void aSpecWithABadDurableKeyIsRejectedWithTheField() {
    String json = "{\"name\":\"pub\",\"kind\":\"publisher\",\"config\":{\"app\":\"demo\",\"durable\":\"true\","
        + "\"durableMaxAge\":\"forever\"}}";
    RejectedMessageException e = assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(json.getBytes(StandardCharsets.UTF_8), ServiceSpec.class));
    assertEquals("config.durableMaxAge", e.field(), e.getMessage());
    assertEquals(RejectReason.INVALID_FIELD, e.reason());
  }

  @Test
  void theStreamIsFileStoredLimitedByAgeAndSizeDiscardsOldAndDropsDuplicateIds() {
    StreamConfiguration c = DurableStreams.streamConfiguration(new DurableChannel("plant", Duration.ofMinutes(30), 64L << 20));
    assertEquals("fwd_plant", c.getName());
    assertEquals(List.of("fw.data.plant.>"), c.getSubjects());
    assertEquals(StorageType.File, c.getStorageType());
    assertEquals(RetentionPolicy.Limits, c.getRetentionPolicy());
    assertEquals(DiscardPolicy.Old, c.getDiscardPolicy());
    assertEquals(Duration.ofMinutes(30), c.getMaxAge());
    assertEquals(64L << 20, c.getMaxBytes());
    assertEquals(Duration.ofMinutes(2), c.getDuplicateWindow());
  }

  @Test
  void theMessageIdIsServiceEpochNumber() {
    assertEquals("sensor-pub/3/1042", DurableChannel.messageId("sensor-pub", 3, 1042));
  }

  @Test
  void directConstructionChecksItsArguments() {
    assertThrows(IllegalArgumentException.class, () -> new DurableChannel("A.B", Duration.ofHours(1), 1L << 20));
    assertThrows(IllegalArgumentException.class, () -> new DurableChannel("a", Duration.ofSeconds(1), 1L << 20));
    assertThrows(IllegalArgumentException.class, () -> new DurableChannel("a", Duration.ofHours(1), 10));
  }
}
