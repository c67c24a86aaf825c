package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.cloud.CloudConfig;
import io.fogwise.cloud.history.MinerService;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code fogwise cloud --miner-*}: parsed into the miner's settings, or refused before anything starts. */
class CloudMinerOptionsTest {

  private static CloudCommand parse(String... args) {
    CloudCommand command = new CloudCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void withoutOptionsTheMinerRunsWithTheDefaults() {
    CloudCommand c = parse();
    MinerService.Settings s = c.minerSettings();
    assertEquals(MinerService.DEFAULT_MINE_EVERY, s.mineEvery());
    assertTrue(s.store().endsWith(Path.of("fogwise", "miner")), s.store().toString());
    assertEquals(CloudConfig.defaultMinerId(), s.minerId());
    assertEquals("miner", c.minerIdentity);
  }

  @Test
  void eachOptionSetsItsSetting() {
    MinerService.Settings s = parse("--miner-store", "/srv/miner", "--miner-id", "cloud-a", "--mine-every", "30m")
        .minerSettings();
    assertEquals(Path.of("/srv/miner"), s.store());
    assertEquals("cloud-a", s.minerId());
    assertEquals(Duration.ofMinutes(30), s.mineEvery());
    assertNull(parse("--no-miner").minerSettings());
  }

  @Test
  void aBadIdOrDurationIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> parse("--miner-id", "a/b").minerSettings());
    assertTrue(e.getMessage().startsWith("miner-id must be"), e.getMessage());
    assertThrows(CommandLine.ParameterException.class, () -> parse("--mine-every", "soon"));
  }
}
