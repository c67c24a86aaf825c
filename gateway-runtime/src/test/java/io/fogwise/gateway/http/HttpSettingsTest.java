package io.fogwise.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.http.GatewayHttpServer.Settings;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where the HTTP API may listen with what protection, and the one line that says what is missing. */
class HttpSettingsTest {
  private static final Path TOKENS = Path.of("api-tokens");
  private static final Path CERT = Path.of("cert.pem");
  private static final Path KEY = Path.of("key.pem");

  @Test
  void theDefaultIsLoopbackWithoutTokensOrTls() {
    assertEquals("127.0.0.1", Settings.DEFAULT.host());
    assertTrue(Settings.DEFAULT.loopback());
    assertEquals(Optional.empty(), Settings.DEFAULT.apiTokens());
    assertFalse(Settings.DEFAULT.tls());
    assertEquals(Optional.empty(), Settings.DEFAULT.refusal());
  }

  @Test
  void loopbackIsLocalhost127Slash8AndColonColon1() {
    for (String h : List.of("localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1")) {
      assertTrue(Settings.builder().host(h).build().loopback(), h);
    }
    for (String h : List.of("0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "128.0.0.1", "127.0.0.256", "fe80::1",
        "gateway.example", "localhost.example")) {
      assertFalse(Settings.builder().host(h).build().loopback(), h);
    }
  }

  @Test
  void beyondLoopbackTheMissingFlagsAreNamedInOneLine() {
    assertEquals("the HTTP API bound to 0.0.0.0 is reachable from other hosts, so it needs API tokens and TLS:"
        + " missing --api-tokens FILE, --http-tls-cert FILE, --http-tls-key FILE (or bind it to loopback with"
        + " --http-host 127.0.0.1, or serve it unprotected with --insecure-http)",
        Settings.builder().host("0.0.0.0").build().refusal().orElseThrow());
    assertTrue(Settings.builder().host("0.0.0.0").apiTokens(TOKENS).build().refusal().orElseThrow()
        .contains("missing --http-tls-cert FILE, --http-tls-key FILE ("));
    assertTrue(Settings.builder().host("10.0.0.1").tlsCert(CERT).tlsKey(KEY).build().refusal().orElseThrow()
        .contains("missing --api-tokens FILE ("));
    assertEquals(Optional.empty(),
        Settings.builder().host("0.0.0.0").apiTokens(TOKENS).tlsCert(CERT).tlsKey(KEY).build().refusal());
    assertEquals(Optional.empty(), Settings.builder().host("0.0.0.0").insecure(true).build().refusal());
    assertFalse(Settings.builder().host("0.0.0.0").build().refusal().orElseThrow().contains("\n"));
  }

  @Test
  void aCertificateNeedsItsKeyWhereverBound() {
    assertEquals("TLS for the HTTP API needs both --http-tls-cert and --http-tls-key: missing --http-tls-key FILE",
        Settings.builder().tlsCert(CERT).build().refusal().orElseThrow());
    assertEquals("TLS for the HTTP API needs both --http-tls-cert and --http-tls-key: missing --http-tls-cert FILE",
        Settings.builder().host("0.0.0.0").insecure(true).tlsKey(KEY).build().refusal().orElseThrow());
  }

  @Test
  void aBlankHostIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Settings.builder().host(" "));
    assertThrows(IllegalArgumentException.class, () -> Settings.builder().host("a b"));
  }
}
