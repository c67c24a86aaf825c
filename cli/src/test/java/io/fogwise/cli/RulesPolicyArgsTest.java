package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.identity.IdentityHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Argument handling of the policy subcommands: everything here fails before NATS is contacted. */
class RulesPolicyArgsTest {
  /** Nothing listens here: a command that got as far as connecting would exit 3, not 2. */
  private static final String NO_NATS = "nats://127.0.0.1:1";

  @TempDir Path dir;
  private Path drl;

  @BeforeEach
  void files() throws Exception {
    drl = Files.writeString(dir.resolve("a.drl"), "package p;\n");
  }

  private Path keygen(String name) {
    CliRun r = fogwise("rules", "keygen", "--out", dir.resolve("keys").toString(), "--name", name);
    assertEquals(0, r.exit(), r.toString());
    return dir.resolve("keys").resolve(name + ".key");
  }

  private CliRun push(String... extra) {
    List<String> args = new ArrayList<>(List.of("rules", "push", "--nats", NO_NATS));
    args.addAll(List.of(extra));
    return fogwise(args.toArray(String[]::new));
  }

  @Test
  void keygenWritesAPrivateKeyOnlyTheOwnerCanReadAndItsPublicKey() throws Exception {
    Path key = keygen("ops");
    Path pub = key.resolveSibling("ops.pub");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    String id = PolicyBundles.keyId(PolicyBundles.decodePublic(Files.readString(pub)));
    PolicyBundles.SigningKey sk = PolicyCommands.signingKey(key);
    assertEquals(id, sk.keyId());
    CliRun again = fogwise("rules", "keygen", "--out", key.getParent().toString(), "--name", "other");
    assertTrue(again.out().startsWith("key id "), again.toString());
  }

  @Test
  void keygenPrintsTheKeyIdAndRefusesToOverwrite() throws Exception {
    CliRun r = fogwise("rules", "keygen", "--out", dir.toString(), "--name", "ops");
    assertEquals(0, r.exit(), r.toString());
    String id = PolicyBundles.keyId(PolicyBundles.decodePublic(Files.readString(dir.resolve("ops.pub"))));
    assertTrue(r.out().contains("key id " + id), r.toString());
    String before = Files.readString(dir.resolve("ops.key"));

    CliRun again = fogwise("rules", "keygen", "--out", dir.toString(), "--name", "ops");
    assertEquals(2, again.exit(), again.toString());
    assertTrue(again.err().contains("exists; not overwriting"), again.toString());
    assertEquals(before, Files.readString(dir.resolve("ops.key")));

    Files.delete(dir.resolve("ops.key"));
    CliRun pubOnly = fogwise("rules", "keygen", "--out", dir.toString(), "--name", "ops");
    assertEquals(2, pubOnly.exit(), "an existing .pub alone also blocks: " + pubOnly);
    assertFalse(Files.exists(dir.resolve("ops.key")));
  }

  @Test
  void keygenRejectsABadName() {
    CliRun r = fogwise("rules", "keygen", "--out", dir.toString(), "--name", "../evil");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("--name"), r.toString());
  }

  @Test
  void pushRejectsABadScope() {
    Path key = keygen("k");
    for (String scope : List.of("gw", "gw.", "gw.a.b", "local", "gw.*", "GLOBAL")) {
      CliRun r = push(drl.toString(), "--scope", scope, "--key", key.toString());
      assertEquals(2, r.exit(), scope + ": " + r);
      assertTrue(r.err().contains("--scope"), r.toString());
    }
  }

  @Test
  void pushRejectsBadParameters() {
    Path key = keygen("k");
    for (String p : List.of("novalue", "=3", "1x=3", "a b=3")) {
      CliRun r = push(drl.toString(), "--scope", "global", "--key", key.toString(), "--param", p);
      assertEquals(2, r.exit(), p + ": " + r);
      assertTrue(r.err().contains("--param"), r.toString());
    }
    CliRun twice = push(drl.toString(), "--scope", "global", "--key", key.toString(), "--param", "a=1", "--param", "a=2");
    assertEquals(2, twice.exit(), twice.toString());
    assertTrue(twice.err().contains("given twice"), twice.toString());
  }

  @Test
  void parametersAreTypedByTheirValue() throws Exception {
    Map<String, PolicyBundle.Param> m = PolicyCommands.params(List.of("threshold=3.5", "enabled=true", "site=north",
        "url=http://x/?a=b"));
    assertEquals(new PolicyBundle.Param("number", "3.5"), m.get("threshold"));
    assertEquals(new PolicyBundle.Param("boolean", "true"), m.get("enabled"));
    assertEquals(new PolicyBundle.Param("string", "north"), m.get("site"));
    assertEquals(new PolicyBundle.Param("string", "http://x/?a=b"), m.get("url"), "only the first '=' splits");
  }

  @Test
  void pushRejectsUnreadableRuleFiles() throws Exception {
    Path key = keygen("k");
    CliRun missing = push(dir.resolve("nope.drl").toString(), "--scope", "global", "--key", key.toString());
    assertEquals(2, missing.exit(), missing.toString());
    assertTrue(missing.err().contains("nope.drl"), missing.toString());

    Path empty = Files.createDirectory(dir.resolve("empty"));
    CliRun none = push(empty.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(2, none.exit(), none.toString());
    assertTrue(none.err().contains("holds no .drl files"), none.toString());

    Path txt = Files.writeString(dir.resolve("notes.txt"), "x");
    CliRun notDrl = push(txt.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(2, notDrl.exit(), notDrl.toString());

    Path sub = Files.createDirectory(dir.resolve("sub"));
    Files.writeString(sub.resolve("a.drl"), "package q;\n");
    CliRun dup = push(drl.toString(), sub.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(2, dup.exit(), dup.toString());
    assertTrue(dup.err().contains("same name"), dup.toString());
  }

  @Test
  void pushRejectsUnreadableKeys() throws Exception {
    CliRun missing = push(drl.toString(), "--scope", "global", "--key", dir.resolve("none.key").toString());
    assertEquals(2, missing.exit(), missing.toString());

    CliRun notKey = push(drl.toString(), "--scope", "global", "--key", drl.toString());
    assertEquals(2, notKey.exit(), notKey.toString());
    assertTrue(notKey.err().contains("NAME.key"), notKey.toString());

    Path a = keygen("a");
    Path b = keygen("b");
    Files.copy(b.resolveSibling("b.pub"), a.resolveSibling("a.pub"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    CliRun mismatch = push(drl.toString(), "--scope", "global", "--key", a.toString());
    assertEquals(2, mismatch.exit(), mismatch.toString());
    assertTrue(mismatch.err().contains("not a key pair"), mismatch.toString());

    Files.writeString(b, "garbage");
    CliRun garbage = push(drl.toString(), "--scope", "global", "--key", b.toString());
    assertEquals(2, garbage.exit(), garbage.toString());
    assertTrue(garbage.err().contains("not an Ed25519 private key"), garbage.toString());
  }

  @Test
  void validInputGetsAsFarAsNats() {
    Path key = keygen("k");
    // credentials as 'fogwise identity init' writes them: the command gets as far as connecting
    Path home = IdentityHome.init(dir.resolve("home")).dir();
    CliRun r = push(drl.toString(), "--scope", "gw.gw-1", "--key", key.toString(), "--param", "x=1",
        "--home", home.toString());
    assertEquals(3, r.exit(), r.toString());
    assertTrue(r.err().contains("cannot reach NATS at " + NO_NATS), r.toString());
  }

  @Test
  void timeoutsAreDurations() {
    PolicyCommands.DurationConverter c = new PolicyCommands.DurationConverter();
    assertEquals(Duration.ofSeconds(10), c.convert("10s"));
    assertEquals(Duration.ofMillis(500), c.convert("500ms"));
    assertEquals(Duration.ofMinutes(2), c.convert("2m"));
    assertEquals(Duration.ofMillis(2500), c.convert("2.5"));
    assertEquals(Duration.ofHours(1), c.convert("1h"));
    assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("2h"));
    assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("soon"));
    assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("0s"));
    Path key = keygen("k");
    CliRun r = push(drl.toString(), "--scope", "global", "--key", key.toString(), "--timeout", "-1s");
    assertEquals(2, r.exit(), r.toString());
  }

  @Test
  void rollbackAndHistoryCheckTheirArguments() {
    Path key = keygen("k");
    CliRun badTo = fogwise("rules", "rollback", "--nats", NO_NATS, "--scope", "global", "--to", "0", "--key", key.toString());
    assertEquals(2, badTo.exit(), badTo.toString());
    CliRun badScope = fogwise("rules", "history", "--nats", NO_NATS, "--scope", "gw.a.b");
    assertEquals(2, badScope.exit(), badScope.toString());
    CliRun noScope = fogwise("rules", "history", "--nats", NO_NATS);
    assertEquals(2, noScope.exit(), noScope.toString());
  }
}
