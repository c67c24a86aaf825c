package io.fogwise.identity;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Fogwise's own certificate authority for TLS on every listener (the hub, and the gateway's
 * HTTP API when it is bound beyond loopback): ECDSA P-256, a CA valid {@link #CA_VALIDITY},
 * leaf certificates valid {@link #LEAF_VALIDITY} for server and client authentication.
 */
public final class CertificateAuthority {
  /** Ten years: the CA is replaced on purpose, not by surprise. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** About thirteen months, the ceiling browsers accept; re-issue with {@code fogwise identity tls}. */
  public static final Duration LEAF_VALIDITY = Duration.ofDays(397);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey key;

  private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** A new CA named {@code name}. */
  public static CertificateAuthority create(String name) {
    try {
      KeyPair pair = newKeyPair();
      X500Name subject = new X500Name("CN=" + name + ",O=Fogwise");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minusSeconds(300)), Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the certificate authority: " + e.getMessage(), e);
    }
  }

  /**
   * Loads a CA written by {@link #save}.
   *
   * @throws IllegalArgumentException naming the file that is missing or unreadable
   */
  public static CertificateAuthority load(Path certPem, Path keyPem) {
    try {
      return new CertificateAuthority(readCertificate(certPem), readKey(keyPem));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the certificate authority (" + certPem + ", " + keyPem + "): "
          + e.getMessage(), e);
    }
  }

  /** Writes the certificate (public) and the key (owner-only). */
  public void save(Path certPem, Path keyPem) throws IOException {
    Files.writeString(certPem, pem(certificate), StandardCharsets.UTF_8);
    Secrets.write(keyPem, pem(key));
  }

  /** The CA certificate, PEM. */
  public String certificatePem() {
    return pem(certificate);
  }

  /**
   * A certificate for {@code commonName}, valid for the DNS names and IP addresses in
   * {@code names} (an entry that parses as an IP literal becomes an IP SAN), for TLS servers
   * and clients. Writes the chain-less certificate and its owner-only key.
   */
  public void issue(String commonName, List<String> names, Path certPem, Path keyPem) throws IOException {
    Objects.requireNonNull(commonName, "commonName");
    try {
      KeyPair pair = newKeyPair();
      Instant now = Instant.now();
      X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(),
          Date.from(now.minusSeconds(300)), Date.from(now.plus(LEAF_VALIDITY)),
          new X500Name("CN=" + commonName + ",O=Fogwise"), pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      List<GeneralName> sans = new ArrayList<>();
      for (String n : names) {
        sans.add(isIpLiteral(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
      }
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      X509Certificate cert = sign(b, key);
      Files.writeString(certPem, pem(cert), StandardCharsets.UTF_8);
      Secrets.write(keyPem, pem(pair.getPrivate()));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
    }
  }

  /** The names a hub on this machine answers to: localhost, loopback addresses and the host name. */
  public static List<String> localNames() {
    List<String> names = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));
    try {
      String host = InetAddress.getLocalHost().getHostName();
      if (!names.contains(host)) {
        names.add(host);
      }
    } catch (IOException e) {
      // no resolvable host name: loopback names only
    }
    return names;
  }

  private static boolean isIpLiteral(String n) {
    return n.matches("[0-9.]+") || n.contains(":");
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
    X509CertificateHolder holder = b.build(s);
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  private static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return w.toString();
  }

  private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
    try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      if (!(o instanceof X509CertificateHolder h)) {
        throw new IOException(file + " holds no certificate");
      }
      return new JcaX509CertificateConverter().getCertificate(h);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      JcaPEMKeyConverter c = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) {
        return c.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return c.getKeyPair(pair).getPrivate();
      }
      throw new IOException(file + " holds no private key");
    }
  }
}
