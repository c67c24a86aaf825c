package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.http.GatewayHttpServer.Settings;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code fogwise gateway --http-host/--api-tokens/--http-tls-*}: loopback by default, refused beyond it unprotected. */
class GatewayHttpOptionsTest {

  private static Settings parse(String... args) {
    GatewayCommand command = new GatewayCommand();
    new CommandLine(command).parseArgs(args);
    return command.httpSettings();
  }

  @Test
  void byDefaultLoopbackWithoutTokens() {
    Settings s = parse();
    // FW_HTTP_HOST would change the default; the build does not set it
    assertEquals(System.getenv().getOrDefault("FW_HTTP_HOST", "127.0.0.1"), s.host());
    assertEquals(Optional.empty(), s.apiTokens());
    assertFalse(s.tls());
  }

  @Test
  void eachOptionSetsItsSetting() {
    Settings s = parse("--http-host", "0.0.0.0", "--api-tokens", "t", "--http-tls-cert", "c.pem", "--http-tls-key",
        "k.pem", "--insecure-http");
    assertEquals("0.0.0.0", s.host());
    assertEquals(Optional.of(Path.of("t")), s.apiTokens());
    assertTrue(s.tls());
    assertTrue(s.insecure());
  }

  @Test
  void beyondLoopbackWithoutTokensAndTlsTheGatewayRefusesBeforeNatsIsContacted() {
    CliRun r = CliRun.fogwise("gateway", "--nats", "nats://127.0.0.1:1", "--http-host", "0.0.0.0");
    assertEquals(2, r.exit(), r.toString());
    assertEquals("fogwise gateway: the HTTP API bound to 0.0.0.0 is reachable from other hosts, so it needs API"
        + " tokens and TLS: missing --api-tokens FILE, --http-tls-cert FILE, --http-tls-key FILE (or bind it to"
        + " loopback with --http-host 127.0.0.1, or serve it unprotected with --insecure-http)", r.err().strip());
    CliRun noKey = CliRun.fogwise("gateway", "--nats", "nats://127.0.0.1:1", "--http-host", "0.0.0.0",
        "--api-tokens", "t", "--http-tls-cert", "c.pem");
    assertEquals(2, noKey.exit(), noKey.toString());
    assertEquals("fogwise gateway: TLS for the HTTP API needs both --http-tls-cert and --http-tls-key: missing"
        + " --http-tls-key FILE", noKey.err().strip());
  }
}
