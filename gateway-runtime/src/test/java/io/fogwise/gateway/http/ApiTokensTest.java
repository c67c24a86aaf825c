package io.fogwise.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.http.ApiTokens.Entry;
import io.fogwise.gateway.http.ApiTokens.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file: its format, its errors (file:line), hashing, lookup, and adding and removing tokens. */
class ApiTokensTest {
  /** SHA-256("abc"), the FIPS 180-2 example. */
  private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @TempDir Path dir;

  @Test
  void hashIsLowerCaseHexSha256OfTheUtf8Token() {
    assertEquals(ABC, ApiTokens.hash("abc"));
  }

  @Test
  void newTokensArePrefixedUrlSafeAndDistinct() {
    String a = ApiTokens.newToken();
    String b = ApiTokens.newToken();
    assertTrue(a.matches("fwt_[A-Za-z0-9_-]{43}"), a);
    assertNotEquals(a, b);
  }

  @Test
  void parsesNamesRolesAndHashesSkippingCommentsAndBlankLines() {
    ApiTokens t = ApiTokens.parse("""
        # who  role  sha256(token)
        grafana read %s

          ops@site-1	operator   %s
        """.formatted(ABC, ABC.toUpperCase().replace('A', 'b')), "tokens");
    assertEquals(List.of(new Entry("grafana", Role.READ, ABC),
        new Entry("ops@site-1", Role.OPERATOR, ABC.toUpperCase().replace('A', 'b').toLowerCase())), t.entries());
    assertEquals(ABC, t.entries().get(0).sha256());
  }

  @Test
  void findsTheEntryOfAPresentedTokenAndNothingForAnyOther() {
    String token = ApiTokens.newToken();
    ApiTokens t = ApiTokens.parse("ci read " + ABC + "\nme operator " + ApiTokens.hash(token) + "\n", "tokens");
    assertEquals(Optional.of(new Entry("me", Role.OPERATOR, ApiTokens.hash(token))), t.find(token));
    assertEquals("ci", t.find("abc").orElseThrow().name());
    assertEquals(Optional.empty(), t.find(token + "x"));
    assertEquals(Optional.empty(), t.find(""));
    assertEquals(Optional.empty(), t.find(null));
    assertEquals(Optional.empty(), t.find(ApiTokens.hash(token)), "the hash is not the token");
  }

  @Test
  void readMayOnlyGetAndOperatorMayDoAnything() {
    assertTrue(Role.READ.permits("GET"));
    assertTrue(Role.READ.permits("HEAD"));
    for (String m : List.of("POST", "PUT", "DELETE", "PATCH")) {
      assertFalse(Role.READ.permits(m), m);
      assertTrue(Role.OPERATOR.permits(m), m);
    }
  }

  @Test
  void aMalformedLineIsRefusedWithItsFileAndLine() {
    assertEquals("tokens.txt:3: expected '<name> <role> <sha256-hex>', got 2 fields",
        refused("# ok\nci read " + ABC + "\nci2 read\n"));
    assertEquals("tokens.txt:1: unknown role 'admin'; roles are read and operator", refused("ci admin " + ABC));
    assertEquals("tokens.txt:2: token hash must be 64 hex digits (SHA-256), got 'fwt_abc'",
        refused("\nci read fwt_abc"));
    assertTrue(refused("-ci read " + ABC).startsWith("tokens.txt:1: token name must be 1-64 of"));
    assertEquals("tokens.txt:2: token name 'ci' is used twice", refused("ci read " + ABC + "\nci operator " + ABC));
    assertEquals("tokens.txt:1: expected '<name> <role> <sha256-hex>', got 4 fields",
        refused("ci read " + ABC + " extra"));
  }

  @Test
  void loadNamesTheFileInItsErrors() throws Exception {
    Path file = dir.resolve("api-tokens");
    Files.writeString(file, "ci read " + ABC + "\nops operator nothex\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiTokens.load(file));
    assertEquals(file + ":2: token hash must be 64 hex digits (SHA-256), got 'nothex'", e.getMessage());
  }

  @Test
  void addCreatesTheFileForItsOwnerOnlyAndAppends() throws Exception {
    Path file = dir.resolve("api-tokens");
    String ops = ApiTokens.newToken();
    ApiTokens.add(file, Entry.of("ops", Role.OPERATOR, ops));
    ApiTokens.add(file, Entry.of("grafana", Role.READ, "abc"));
    assertEquals("ops operator " + ApiTokens.hash(ops) + "\ngrafana read " + ABC + "\n", Files.readString(file));
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
    assertEquals("ops", ApiTokens.load(file).find(ops).orElseThrow().name());
    IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
        () -> ApiTokens.add(file, Entry.of("ops", Role.READ, "x")));
    assertEquals(file + " already has a token named 'ops'; revoke it first or choose another name", dup.getMessage());
    try (var listing = Files.list(dir)) {
      assertEquals(List.of(file), listing.toList(), "no temporary file left behind");
    }
  }

  @Test
  void addAfterALastLineWithoutNewlineStartsANewLine() throws Exception {
    Path file = dir.resolve("api-tokens");
    Files.writeString(file, "# hand-written\nci read " + ABC);
    ApiTokens.add(file, Entry.of("ops", Role.OPERATOR, "abc"));
    assertEquals("# hand-written\nci read " + ABC + "\nops operator " + ABC + "\n", Files.readString(file));
  }

  @Test
  void removeDropsOnlyThatTokenKeepingCommentsAndOrder() throws Exception {
    Path file = dir.resolve("api-tokens");
    Files.writeString(file, "# site 1\nci read " + ABC + "\n\n# people\nops operator " + ABC + "\nme read " + ABC + "\n");
    assertTrue(ApiTokens.remove(file, "ops"));
    assertEquals("# site 1\nci read " + ABC + "\n\n# people\nme read " + ABC + "\n", Files.readString(file));
    assertFalse(ApiTokens.remove(file, "ops"), "already gone");
    assertFalse(ApiTokens.remove(dir.resolve("none"), "ops"), "no file, no token");
    assertTrue(ApiTokens.remove(file, "ci"));
    assertTrue(ApiTokens.remove(file, "me"));
    assertEquals("# site 1\n\n# people\n", Files.readString(file));
    assertEquals(List.of(), ApiTokens.load(file).entries());
  }

  @Test
  void aFileThisClassCannotReadIsNotRewritten() throws Exception {
    Path file = dir.resolve("api-tokens");
    Files.writeString(file, "ci reader " + ABC + "\n");
    assertThrows(IllegalArgumentException.class, () -> ApiTokens.remove(file, "ci"));
    assertThrows(IllegalArgumentException.class, () -> ApiTokens.add(file, Entry.of("x", Role.READ, "x")));
    assertEquals("ci reader " + ABC + "\n", Files.readString(file));
  }

  @Test
  void anOversizedFileIsRefused() throws Exception {
    Path file = dir.resolve("api-tokens");
    Files.write(file, new byte[(int) ApiTokens.MAX_FILE_BYTES + 1]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiTokens.load(file));
    assertTrue(e.getMessage().contains("more than a tokens file may hold"), e.getMessage());
  }

  private static String refused(String text) {
    return assertThrows(IllegalArgumentException.class, () -> ApiTokens.parse(text, "tokens.txt")).getMessage();
  }
}
