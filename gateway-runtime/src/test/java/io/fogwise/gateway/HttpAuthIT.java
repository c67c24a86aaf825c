package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.http.ApiTokens;
import io.fogwise.gateway.http.ApiTokens.Entry;
import io.fogwise.gateway.http.ApiTokens.Role;
import io.fogwise.gateway.http.GatewayHttpServer.Settings;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.testsupport.NatsServer;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API of a real gateway bound to every interface (0.0.0.0) with an API tokens file and
 * TLS (a self-signed certificate made here): 401 without a known token, 403 for a read token
 * that writes, revocation by editing the file, no plain HTTP; and a gateway with the defaults
 * reachable on loopback only, and one bound beyond loopback without protection refused.
 */
class HttpAuthIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String SPEC = """
      {"name":"auth-it","kind":"publisher","replicas":1,"placement":{"layer":"EDGE"}}""";

  @TempDir static Path dir;
  private static NatsServer hub;
  private static Gateway secured;
  private static Path tokensFile;
  private static HttpClient https;
  private static final HttpClient PLAIN = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String OPS = ApiTokens.newToken();
  private static final String READ = ApiTokens.newToken();
  private static final String DOOMED = ApiTokens.newToken();
  /** This host's addresses other hosts could use (IPv4, up, not loopback or link-local); maybe none. */
  private static List<InetAddress> external;

  @BeforeAll
  static void startSecuredGateway() throws Exception {
    external = externalAddresses();
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    X509Certificate certificate = selfSigned(cert, key);
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("gateway", certificate);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    https = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();

    tokensFile = dir.resolve("api-tokens");
    ApiTokens.add(tokensFile, Entry.of("ops", Role.OPERATOR, OPS));
    ApiTokens.add(tokensFile, Entry.of("grafana", Role.READ, READ));
    ApiTokens.add(tokensFile, Entry.of("doomed", Role.READ, DOOMED));

    hub = NatsServer.start();
    secured = Gateway.start(SecureHub.gatewayConfig(hub, "gw-auth").httpPort(0)
        .http(Settings.builder().host("0.0.0.0").apiTokens(tokensFile).tlsCert(cert).tlsKey(key).build()).build());
  }

  @AfterAll
  static void stop() {
    if (secured != null) {
      secured.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  @Test
  void withoutATokenEveryRouteIs401SayingHowToGetOne() throws Exception {
    assertEquals("https://0.0.0.0:" + secured.httpPort() + "/", secured.httpUrl().orElseThrow());
    for (String path : List.of("/health", "/metrics", "/services", "/devices", "/events", "/cache/a")) {
      HttpResponse<String> r = send("GET", path, null, null);
      assertEquals(401, r.statusCode(), path);
      assertTrue(error(r).contains("Authorization: Bearer <token>"), r.body());
      assertTrue(error(r).contains("--api-tokens"), r.body());
    }
    assertEquals(401, send("DELETE", "/services/auth-it", null, null).statusCode());
    assertEquals(401, send("GET", "/metrics", ApiTokens.newToken(), null).statusCode());
  }

  @Test
  void aReadTokenMayGetEverythingButNotChangeAnything() throws Exception {
    for (String path : List.of("/health", "/metrics", "/services", "/devices", "/events")) {
      assertEquals(200, send("GET", path, READ, null).statusCode(), path);
    }
    assertTrue(send("GET", "/metrics", READ, null).body().contains("fogwise_"), "the Prometheus text");
    HttpResponse<String> post = send("POST", "/services", READ, SPEC);
    assertEquals(403, post.statusCode());
    assertEquals("POST /services needs role operator; token 'grafana' has role read (GET only)", error(post));
    assertEquals(403, send("DELETE", "/services/auth-it", READ, null).statusCode());
    assertEquals(403, send("POST", "/services/auth-it/move", READ, "{\"toLayer\":\"FOG\"}").statusCode());
  }

  @Test
  void anOperatorTokenMayApplyAndDelete() throws Exception {
    assertEquals(200, send("POST", "/services", OPS, SPEC).statusCode());
    assertEquals(200, send("GET", "/services/auth-it", READ, null).statusCode());
    assertEquals(200, send("DELETE", "/services/auth-it", OPS, null).statusCode());
    assertEquals(404, send("DELETE", "/services/auth-it", OPS, null).statusCode(), "past authentication: gone");
  }

  @Test
  void aTokenRemovedFromTheFileStopsWorkingWithoutARestart() throws Exception {
    assertEquals(200, send("GET", "/metrics", DOOMED, null).statusCode());
    assertTrue(ApiTokens.remove(tokensFile, "doomed"));
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> send("GET", "/metrics", DOOMED, null).statusCode() == 401);
    assertEquals(200, send("GET", "/metrics", READ, null).statusCode(), "the others still work");
  }

  @Test
  void plainHttpToTheTlsPortFails() {
    HttpRequest plain = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + secured.httpPort() + "/health"))
        .header("Authorization", "Bearer " + READ).timeout(Duration.ofSeconds(10)).build();
    assertThrows(IOException.class, () -> PLAIN.send(plain, HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void boundToEveryInterfaceItIsReachedOnThisHostsOtherAddresses() throws Exception {
    for (InetAddress a : external) {
      HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://" + a.getHostAddress() + ":"
          + secured.httpPort() + "/health")).header("Authorization", "Bearer " + READ)
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), a.toString());
    }
  }

  @Test
  void byDefaultTheApiIsOnLoopbackOnlyAndOpenToLocalCallers() throws Exception {
    try (Gateway local = Gateway.start(SecureHub.gatewayConfig(hub, "gw-local").httpPort(0).build())) {
      int port = local.httpPort();
      assertEquals("http://127.0.0.1:" + port + "/", local.httpUrl().orElseThrow());
      HttpResponse<String> r = PLAIN.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), "a local operator needs no token without a tokens file");
      for (InetAddress a : external) {
        HttpRequest outside = HttpRequest.newBuilder(URI.create("http://" + a.getHostAddress() + ":" + port + "/health"))
            .timeout(Duration.ofSeconds(10)).build();
        assertThrows(ConnectException.class, () -> PLAIN.send(outside, HttpResponse.BodyHandlers.ofString()),
            "not listening on " + a);
      }
    }
  }

  @Test
  void beyondLoopbackWithoutTokensAndTlsTheGatewayDoesNotStart() {
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.builder("gw-open", hub.url()).httpPort(0).http(Settings.builder().host("0.0.0.0").build())
            .build());
    assertEquals("the HTTP API bound to 0.0.0.0 is reachable from other hosts, so it needs API tokens and TLS:"
        + " missing --api-tokens FILE, --http-tls-cert FILE, --http-tls-key FILE (or bind it to loopback with"
        + " --http-host 127.0.0.1, or serve it unprotected with --insecure-http)", none.getMessage());
    IllegalArgumentException noTls = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.builder("gw-open", hub.url()).httpPort(0)
            .http(Settings.builder().host("0.0.0.0").apiTokens(tokensFile).build()).build());
    assertTrue(noTls.getMessage().contains("missing --http-tls-cert FILE, --http-tls-key FILE ("), noTls.getMessage());
    assertFalse(noTls.getMessage().contains("\n"));
    // the same settings with --insecure-http are accepted (and warned about at start)
    GatewayConfig.builder("gw-open", hub.url()).httpPort(0).auth(io.fogwise.protocol.auth.NatsAuth.insecure())
        .http(Settings.builder().host("0.0.0.0").insecure(true).build()).build();
  }

  private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + secured.httpPort() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return https.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String error(HttpResponse<String> r) throws IOException {
    return MessageCodec.mapper().readTree(r.body()).get("error").asText();
  }

  /** A self-signed EC certificate for 127.0.0.1, localhost and this host's other addresses, and its PKCS#8 key, as PEM. */
  private static X509Certificate selfSigned(Path certFile, Path keyFile) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    KeyPair pair = gen.generateKeyPair();
    X500Name name = new X500Name("CN=fogwise HttpAuthIT");
    long now = System.currentTimeMillis();
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now),
        new Date(now - 60_000), new Date(now + 86_400_000), name, pair.getPublic());
    List<GeneralName> sans = new ArrayList<>();
    sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
    for (InetAddress a : external) {
      sans.add(new GeneralName(GeneralName.iPAddress, a.getHostAddress()));
    }
    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
    X509Certificate cert = new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    Files.writeString(certFile, pem(cert));
    Files.writeString(keyFile, pem(new JcaPKCS8Generator(pair.getPrivate(), null)));
    return cert;
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  private static List<InetAddress> externalAddresses() throws IOException {
    List<InetAddress> found = new ArrayList<>();
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress()) {
          found.add(a);
        }
      }
    }
    return found;
  }
}
