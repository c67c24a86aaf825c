package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.cache.CloudCache;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code fogwise gateway --cache-*}: parsed into the cache settings, or refused before anything starts. */
class GatewayCacheOptionsTest {

  private static CloudCache.Settings parse(String... args) {
    GatewayCommand command = new GatewayCommand();
    new CommandLine(command).parseArgs(args);
    return command.cacheSettings();
  }

  @Test
  void withoutOptionsTheDefaults() {
    CloudCache.Settings s = parse();
    assertEquals(CloudCache.Settings.DEFAULT_MAX_BYTES, s.maxBytes());
    assertEquals(CloudCache.Settings.DEFAULT_EXPIRE_AFTER_WRITE, s.expireAfterWrite());
    assertEquals(CloudCache.Settings.DEFAULT_REFRESH_AFTER_WRITE, s.refreshAfterWrite());
    assertEquals(CloudCache.Settings.DEFAULT_MAX_STALE, s.maxStale());
    assertEquals(CloudCache.Settings.DEFAULT_REQUEST_TIMEOUT, s.requestTimeout());
  }

  @Test
  void eachOptionSetsItsSetting() {
    CloudCache.Settings s = parse("--cache-fresh-for", "3s", "--cache-refresh-after", "500ms", "--cache-max-stale", "24h",
        "--cache-max-bytes", "1048576");
    assertEquals(Duration.ofSeconds(3), s.expireAfterWrite());
    assertEquals(Duration.ofMillis(500), s.refreshAfterWrite());
    assertEquals(Duration.ofHours(24), s.maxStale());
    assertEquals(1L << 20, s.maxBytes());
  }

  @Test
  void settingsThatDoNotFitTogetherAreRefusedInTheOptionsWordsBeforeNatsIsContacted() {
    CliRun r = CliRun.fogwise("gateway", "--nats", "nats://127.0.0.1:1", "--cache-refresh-after", "10m");
    assertEquals(2, r.exit(), r.toString());
    assertEquals("fogwise gateway: --cache-refresh-after (10m) must be shorter than --cache-fresh-for (5m), or nothing"
        + " is refreshed ahead", r.err().strip());
    CliRun stale = CliRun.fogwise("gateway", "--nats", "nats://127.0.0.1:1", "--cache-fresh-for", "2h");
    assertEquals(2, stale.exit(), stale.toString());
    assertTrue(stale.err().contains("--cache-max-stale (1h) must be at least --cache-fresh-for (2h)"), stale.toString());
    CliRun bytes = CliRun.fogwise("gateway", "--nats", "nats://127.0.0.1:1", "--cache-max-bytes", "0");
    assertEquals(2, bytes.exit(), bytes.toString());
    assertTrue(bytes.err().contains("--cache-max-bytes must be > 0, got 0"), bytes.toString());
    CliRun tooLong = CliRun.fogwise("gateway", "--cache-max-stale", "30d");
    assertEquals(2, tooLong.exit(), tooLong.toString());
    assertTrue(tooLong.err().contains("is not a duration like 10s, 500ms, 2m or 1h"), tooLong.toString());
    CliRun overAWeek = CliRun.fogwise("gateway", "--cache-max-stale", "200h");
    assertEquals(2, overAWeek.exit(), overAWeek.toString());
    assertTrue(overAWeek.err().contains("'200h' must be within (0, 168 h]"), overAWeek.toString());
  }
}
