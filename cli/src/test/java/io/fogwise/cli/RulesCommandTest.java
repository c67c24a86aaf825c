package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesCommandTest {
  @TempDir Path dir;

  private List<String> writePacks() throws IOException {
    List<String> paths = new ArrayList<>();
    for (RuleSource s : RuleSet.builtInPacks()) {
      paths.add(Files.writeString(dir.resolve(s.fileName()), s.drl()).toString());
    }
    return paths;
  }

  @Test
  void theBuiltInPacksCheckOk() throws IOException {
    List<String> args = new ArrayList<>(List.of("rules", "check"));
    args.addAll(writePacks());
    CliRun r = fogwise(args.toArray(String[]::new));
    assertEquals(0, r.exit(), r.err());
    int files = RuleSet.builtInPacks().size();
    assertTrue(r.out().matches("ok: \\d+ rules in " + files + " files?\\R"), r.out());
  }

  @Test
  void thePacksDirectoryOfTheSourceTreeChecksOk() {
    Path packs = Path.of("..", "rules", "src", "main", "resources", "packs");
    CliRun r = fogwise("rules", "check", packs.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().startsWith("ok: "), r.out());
  }

  @Test
  void aBrokenFileGetsItsExactPositionAndExit1() throws IOException {
    Path broken = Files.writeString(dir.resolve("broken.drl"), """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;

        rule "Shells out"
        when
            $d : Device()
        then
            actions.alert("about to");
            String s = "x" +
                  java.lang.Runtime.getRuntime().exec("id").toString();
        end
        """);
    CliRun r = fogwise("rules", "check", broken.toString());
    assertEquals(1, r.exit(), r.out() + r.err());
    assertTrue(r.err().startsWith(broken + ":11:11: rule \"Shells out\": calls java.lang.Runtime.getRuntime()"), r.err());
    assertEquals("", r.out());
  }

  @Test
  void theSalienceSideDoorIsRefusedWithItsPositionAndExit1() throws IOException {
    Path marker = dir.resolve("pwned");
    Path evil = Files.writeString(dir.resolve("salience.drl"), """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;

        rule "Looks harmless"
            salience ( java.lang.Runtime.getRuntime().exec("touch %s") == null ? 1 : 2 )
        when
            $d : Device()
        then
            actions.alert("hello");
        end
        """.formatted(marker));
    CliRun r = fogwise("rules", "check", evil.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().startsWith(evil + ":6:16: rule \"Looks harmless\": calls java.lang.Runtime.getRuntime(), not"
        + " allowed in a rule's salience"), r.err());
    assertEquals("", r.out());
    assertTrue(Files.notExists(marker), "the check ran nothing of the rule");
  }

  @Test
  void aHugeFormatWidthIsRefusedWithItsPosition() throws IOException {
    Path evil = Files.writeString(dir.resolve("format.drl"), """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;
        rule "Pads a lot"
        when
            $d : Device()
        then
            String s = String.format("%0900000000d", 1);
        end
        """);
    CliRun r = fogwise("rules", "check", evil.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().startsWith(evil + ":8:30: rule \"Pads a lot\": calls String.format: format specifier"
        + " %0900000000d asks for a width above the limit of 1000 characters"), r.err());
  }

  @Test
  void aDrlSyntaxErrorIsPositionedToo() throws IOException {
    Path broken = Files.writeString(dir.resolve("syntax.drl"), "package t\nrule \"R\"\nwhen\n  Foo(\nthen\nend\n");
    CliRun r = fogwise("rules", "check", broken.toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().startsWith(broken + ":6:1: "), r.err());
  }

  @Test
  void unreadableInputExits2() {
    CliRun r = fogwise("rules", "check", dir.resolve("missing.drl").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("missing.drl"), r.err());
  }
}
