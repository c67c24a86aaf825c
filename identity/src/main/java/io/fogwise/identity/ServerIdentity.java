package io.fogwise.identity;

import java.nio.file.Path;

/**
 * What a nats-server needs to serve Fogwise's identities: the configuration part naming the
 * operator, the accounts and TLS, and the files and keys a leaf node links with. The cloud hub
 * is served from the whole {@link IdentityHome}; a site on another machine from a
 * {@link SiteHome}, an export that holds none of the fleet's private keys.
 */
public interface ServerIdentity {
  /** The directory the files live in. */
  Path dir();

  /**
   * The configuration part: operator, system account, the full resolver in
   * {@code resolverDir} with both accounts preloaded, TLS with this server's certificate.
   */
  String serverConfig(Path resolverDir);

  /** This server's TLS certificate (PEM). */
  Path serverCert();

  /** Its private key (PEM, owner-only). */
  Path serverKey();

  /** The CA certificate every client trusts. */
  Path caFile();

  /** The fleet account's public key. */
  String fleetAccount();

  /** The system account's public key. */
  String systemAccount();

  /** The credentials file of identity {@code id} of role {@code role}. */
  Path credsFile(Role role, String id);

  /** The credentials a site's leaf node links its system account with. */
  Path siteSystemCreds(String gatewayId);
}
