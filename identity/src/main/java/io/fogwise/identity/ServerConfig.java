package io.fogwise.identity;

import io.fogwise.protocol.auth.NatsAuth;
import java.nio.file.Path;

/** The text of nats-server's configuration part that serves Fogwise's identities, hub or site. */
final class ServerConfig {
  private ServerConfig() {}

  /**
   * Operator, system account, the full resolver in {@code resolverDir} (account updates pushed
   * to it apply at once and survive a restart) with both accounts preloaded, and TLS.
   */
  static String text(String source, Path operatorJwt, String fleetAccount, String fleetJwt, String systemAccount,
      String systemJwt, Path resolverDir, Path cert, Path key) {
    return "# written by Fogwise from " + source + "\n"
        + "operator: " + quote(operatorJwt) + "\n"
        + "system_account: " + systemAccount + "\n"
        + "max_control_line: " + NatsAuth.MAX_CONTROL_LINE + "\n"
        + "resolver: { type: full, dir: " + quote(resolverDir) + ", allow_delete: false, interval: \"2m\", timeout: \"5s\" }\n"
        + "resolver_preload: {\n"
        + "  " + fleetAccount + ": \"" + fleetJwt + "\"\n"
        + "  " + systemAccount + ": \"" + systemJwt + "\"\n"
        + "}\n"
        + "tls: { cert_file: " + quote(cert) + ", key_file: " + quote(key) + ", timeout: 2 }\n";
  }

  static String quote(Path p) {
    return "\"" + p.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
