package io.fogwise.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A site's share of the identities, exported from the cloud's {@link IdentityHome} with
 * {@link IdentityHome#exportSite} ({@code fogwise identity export-site}): the operator's and
 * both accounts' JWTs (signed, public), the CA certificate, a certificate of the site's own for
 * its NATS server, and the credentials of the site's gateway (with its scoped instance key), its
 * leaf links and its devices. It holds no private key of the operator, the accounts or the CA,
 * so a compromised site host cannot issue identities or sign account changes; account updates
 * (revocations) reach the site's NATS through its system-account link.
 *
 * <p>Layout: {@code site.json}, {@code operator.jwt}, {@code accounts/fleet.jwt},
 * {@code accounts/sys.jwt}, {@code ca.pem}, {@code site/server.pem}, {@code site/server-key.pem},
 * {@code creds/*} as in an identity home, so components find their credentials the same way.
 */
public final class SiteHome implements ServerIdentity {
  static final String MARKER = "site.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String gatewayId;
  private final String fleetAccount;
  private final String systemAccount;

  private SiteHome(Path dir, String gatewayId, String fleetAccount, String systemAccount) {
    this.dir = dir;
    this.gatewayId = gatewayId;
    this.fleetAccount = fleetAccount;
    this.systemAccount = systemAccount;
  }

  /** Whether {@code dir} holds a site export. */
  public static boolean isSite(Path dir) {
    return Files.isRegularFile(dir.resolve(MARKER));
  }

  /**
   * Opens a site export.
   *
   * @throws IllegalArgumentException if {@code dir} holds none
   */
  public static SiteHome open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    if (!isSite(dir)) {
      throw new IllegalArgumentException(dir + " is not a site export ('fogwise identity export-site <gateway> --out "
          + dir + "' writes one)");
    }
    try {
      JsonNode s = JSON.readTree(dir.resolve(MARKER).toFile());
      return new SiteHome(dir, s.path("gateway").asText(), s.path("fleetAccount").asText(),
          s.path("systemAccount").asText());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the site export " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The gateway this site was exported for. */
  public String gatewayId() {
    return gatewayId;
  }

  @Override
  public Path dir() {
    return dir;
  }

  @Override
  public String serverConfig(Path resolverDir) {
    return ServerConfig.text("the site export " + dir.toAbsolutePath(), dir.resolve("operator.jwt"), fleetAccount,
        read("accounts/fleet.jwt"), systemAccount, read("accounts/sys.jwt"), resolverDir, serverCert(), serverKey());
  }

  @Override
  public Path serverCert() {
    return dir.resolve("site/server.pem");
  }

  @Override
  public Path serverKey() {
    return dir.resolve("site/server-key.pem");
  }

  @Override
  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  @Override
  public String fleetAccount() {
    return fleetAccount;
  }

  @Override
  public String systemAccount() {
    return systemAccount;
  }

  @Override
  public Path credsFile(Role role, String id) {
    return dir.resolve("creds").resolve(role.label() + "-" + id + ".creds");
  }

  @Override
  public Path siteSystemCreds(String gateway) {
    Path p = dir.resolve("creds/leaf-" + gateway + ".sys.creds");
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("the site export " + dir + " has no " + p.getFileName() + " (it was exported for "
          + "gateway " + gatewayId + ")");
    }
    return p;
  }

  private String read(String file) {
    try {
      return Files.readString(dir.resolve(file), StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("the site export " + dir + " lacks " + file + ": " + e.getMessage(), e);
    }
  }

}
