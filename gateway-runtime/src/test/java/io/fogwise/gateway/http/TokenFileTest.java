package io.fogwise.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.http.ApiTokens.Entry;
import io.fogwise.gateway.http.ApiTokens.Role;
import io.fogwise.protocol.time.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file as a gateway serves it: changes seen within one check interval of the clock, never sooner. */
class TokenFileTest {
  private final ManualClock clock = new ManualClock();
  private final String ops = ApiTokens.newToken();
  private final String ci = ApiTokens.newToken();
  @TempDir Path dir;
  private Path file;
  private TokenFile tokens;

  @BeforeEach
  void setUp() throws Exception {
    file = dir.resolve("api-tokens");
    ApiTokens.add(file, Entry.of("ops", Role.OPERATOR, ops));
    ApiTokens.add(file, Entry.of("ci", Role.READ, ci));
    tokens = TokenFile.open(file, clock);
  }

  @Test
  void aRevokedTokenStopsWorkingOnceTheCheckIntervalHasPassed() throws Exception {
    assertTrue(accepted(ci));
    ApiTokens.remove(file, "ci");
    clock.advance(TokenFile.CHECK_INTERVAL.minusMillis(1));
    assertTrue(accepted(ci), "not looked at again within the interval");
    clock.advance(Duration.ofMillis(1));
    assertEquals(false, accepted(ci));
    assertTrue(accepted(ops));
  }

  @Test
  void anAddedTokenWorksAfterTheInterval() throws Exception {
    String late = ApiTokens.newToken();
    ApiTokens.add(file, Entry.of("late", Role.READ, late));
    clock.advance(TokenFile.CHECK_INTERVAL);
    assertTrue(accepted(late));
  }

  @Test
  void aMalformedEditAcceptsNoTokenUntilFixed() throws Exception {
    String good = Files.readString(file);
    Files.writeString(file, good + "broken line\n");
    clock.advance(TokenFile.CHECK_INTERVAL);
    TokenFile.State s = tokens.current();
    assertNull(s.tokens(), "fail closed: the edit may have meant to revoke a token");
    assertEquals(file + ":3: expected '<name> <role> <sha256-hex>', got 2 fields", s.problem());
    Files.writeString(file, good);
    clock.advance(TokenFile.CHECK_INTERVAL);
    assertTrue(accepted(ops));
  }

  @Test
  void aDeletedFileAcceptsNoToken() throws Exception {
    Files.delete(file);
    clock.advance(TokenFile.CHECK_INTERVAL);
    assertEquals(file + " no longer exists", tokens.current().problem());
    ApiTokens.add(file, Entry.of("ops", Role.OPERATOR, ops));
    clock.advance(TokenFile.CHECK_INTERVAL);
    assertTrue(accepted(ops));
  }

  private boolean accepted(String token) {
    return tokens.current().tokens().find(token).isPresent();
  }
}
