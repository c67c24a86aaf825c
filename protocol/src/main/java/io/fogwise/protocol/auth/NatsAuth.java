package io.fogwise.protocol.auth;

import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How one connection authenticates: a user's {@link Credentials} and the certificate
 * authority the hub's TLS certificate must chain to. Secure is the only ordinary form;
 * {@link #insecure()} exists for {@code --insecure} and says so wherever it is used.
 */
public final class NatsAuth {
  /** The longest protocol line: a user JWT with least-privilege permissions runs to several KiB. */
  public static final int MAX_CONTROL_LINE = 32 * 1024;

  private static final NatsAuth INSECURE = new NatsAuth(null, null, null);

  private final Credentials credentials;
  private final SSLContext tls;
  private final Path caFile;

  private NatsAuth(Credentials credentials, SSLContext tls, Path caFile) {
    this.credentials = credentials;
    this.tls = tls;
    this.caFile = caFile;
  }

  /** No credentials and no TLS: only for a hub started with {@code --insecure}. */
  public static NatsAuth insecure() {
    return INSECURE;
  }

  /**
   * Authenticates as {@code credentials} over TLS checked against the CA certificate(s) in
   * {@code caPem}.
   *
   * @throws IllegalArgumentException naming the file if the CA cannot be read
   */
  public static NatsAuth of(Credentials credentials, Path caPem) {
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(caPem, "caPem");
    return new NatsAuth(credentials, trusting(caPem), caPem);
  }

  /** As {@link #of(Credentials, Path)} with the credentials read from a {@code .creds} file. */
  public static NatsAuth files(Path credsFile, Path caPem) {
    return of(Credentials.read(credsFile), caPem);
  }

  /** Whether this is the {@code --insecure} form. */
  public boolean isInsecure() {
    return credentials == null;
  }

  /** The credentials, absent when insecure. */
  public Optional<Credentials> credentials() {
    return Optional.ofNullable(credentials);
  }

  /** The CA file, absent when insecure. */
  public Optional<Path> caFile() {
    return Optional.ofNullable(caFile);
  }

  /**
   * Adds credentials, TLS and this identity's own inbox prefix to {@code builder}; nothing
   * when insecure.
   */
  public Options.Builder applyTo(Options.Builder builder) {
    if (credentials != null) {
      builder.authHandler(Nats.staticCredentials(credentials.jwt().toCharArray(), credentials.seed()))
          .inboxPrefix(credentials.inboxPrefix())
          // a gateway's JWT lists its bucket API subjects: its CONNECT line outgrows jnats' 4 KiB default
          .maxControlLine(MAX_CONTROL_LINE)
          .sslContext(tls);
    }
    return builder;
  }

  /** An SSL context that trusts exactly the certificates in {@code caPem}. */
  public static SSLContext trusting(Path caPem) {
    if (!Files.isRegularFile(caPem)) {
      throw new IllegalArgumentException("CA certificate " + caPem + " does not exist; it is written by "
          + "'fogwise identity init' (ca.pem in the identity home)");
    }
    try (InputStream in = Files.newInputStream(caPem)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("CA file " + caPem + " holds no certificate");
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read CA certificate " + caPem + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return credentials == null ? "INSECURE (no authentication, no TLS)" : credentials + " over TLS (CA " + caFile + ")";
  }
}
