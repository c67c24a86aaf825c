package io.fogwise.policy;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Creating, signing, encoding and verifying {@link PolicyBundle}s with the JDK's own Ed25519.
 * The canonical content is the bundle without {@code sha256}, {@code keyId} and
 * {@code signature}, as JSON with sorted keys and no whitespace, sources sorted by file name.
 */
public final class PolicyBundles {
  /** Bundles larger than this (encoded) are refused. */
  public static final int MAX_BUNDLE_BYTES = 512 * 1024;

  /** Sorted keys, no whitespace: the form that is hashed and signed. */
  static final ObjectMapper CANONICAL = JsonMapper.builder()
      .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .build();
  /** Strict decoding: unknown fields and missing primitives are errors. */
  static final ObjectMapper JSON = JsonMapper.builder()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .build();

  private PolicyBundles() {}

  /** The bytes that are hashed and signed. */
  public static byte[] canonical(PolicyBundle b) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scope", b.scope());
    m.put("version", b.version());
    m.put("author", b.author());
    m.put("createdAtMillis", b.createdAtMillis());
    List<PolicyBundle.RuleFile> sources = new ArrayList<>(b.sources());
    sources.sort(Comparator.comparing(PolicyBundle.RuleFile::fileName));
    m.put("sources", sources);
    m.put("parameters", b.parameters());
    try {
      return CANONICAL.writeValueAsBytes(m);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Hex SHA-256 of the canonical content. */
  public static String sha256(PolicyBundle b) {
    return sha256(canonical(b));
  }

  /** Hex SHA-256 of {@code data}. */
  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Base64 Ed25519 signature of {@code content} with {@code key}. */
  static String sign(byte[] content, SigningKey key) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key.privateKey());
      s.update(content);
      return Base64.getEncoder().encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with key " + key.keyId() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code signature} (base64) is {@code key}'s Ed25519 signature of {@code content}.
   *
   * @throws IllegalArgumentException if the signature is not readable (not base64, wrong length)
   */
  static boolean verifies(byte[] content, String signature, PublicKey key) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(content);
      return s.verify(Base64.getDecoder().decode(signature));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** A signed bundle of {@code sources} and {@code parameters} as {@code scope} version {@code version}. */
  public static PolicyBundle sign(String scope, long version, String author, long createdAtMillis,
      List<PolicyBundle.RuleFile> sources, Map<String, PolicyBundle.Param> parameters, SigningKey key) {
    PolicyBundle unsigned = new PolicyBundle(scope, version, author, createdAtMillis, sources, parameters, null, null, null);
    String sig = sign(canonical(unsigned), key);
    return new PolicyBundle(scope, version, author, createdAtMillis, sources, parameters, sha256(unsigned), key.keyId(),
        sig);
  }

  /** Encodes a bundle for the KV store. */
  public static byte[] encode(PolicyBundle b) {
    try {
      return JSON.writeValueAsBytes(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Decodes a bundle, or says why it cannot be read. */
  public static PolicyBundle decode(byte[] data) throws PolicyRejected {
    if (data == null || data.length == 0) {
      throw new PolicyRejected(PolicyRejected.Reason.MALFORMED, "empty bundle");
    }
    if (data.length > MAX_BUNDLE_BYTES) {
      throw new PolicyRejected(PolicyRejected.Reason.OVERSIZED,
          "bundle of " + data.length + " bytes exceeds the limit of " + MAX_BUNDLE_BYTES);
    }
    try {
      return JSON.readValue(data, PolicyBundle.class);
    } catch (IOException e) {
      Throwable t = e;
      while (t.getCause() != null) {
        t = t.getCause();
      }
      throw new PolicyRejected(PolicyRejected.Reason.MALFORMED, "unreadable bundle: " + t.getMessage());
    }
  }

  /**
   * Checks that {@code b} is signed by a trusted key over exactly its content, for the scope
   * and version it is stored under.
   */
  public static void verify(PolicyBundle b, TrustedKeys trusted, String expectedScope, long expectedVersion)
      throws PolicyRejected {
    Objects.requireNonNull(trusted, "trusted");
    if (b.signature() == null || b.signature().isBlank() || b.keyId() == null) {
      throw new PolicyRejected(PolicyRejected.Reason.UNSIGNED, b.label() + " is not signed");
    }
    PublicKey key = trusted.get(b.keyId());
    if (key == null) {
      throw new PolicyRejected(PolicyRejected.Reason.UNKNOWN_KEY,
          b.label() + " is signed with key " + b.keyId() + ", which this gateway does not trust");
    }
    byte[] content = canonical(b);
    if (!sha256(b).equals(b.sha256())) {
      throw new PolicyRejected(PolicyRejected.Reason.TAMPERED,
          b.label() + ": content does not match its SHA-256 (tampered or corrupted)");
    }
    try {
      if (!verifies(content, b.signature(), key)) {
        throw new PolicyRejected(PolicyRejected.Reason.BAD_SIGNATURE,
            b.label() + ": the signature does not verify with key " + b.keyId());
      }
    } catch (IllegalArgumentException e) {
      throw new PolicyRejected(PolicyRejected.Reason.BAD_SIGNATURE, b.label() + ": unreadable signature: " + e.getMessage());
    }
    if (!b.scope().equals(expectedScope)) {
      throw new PolicyRejected(PolicyRejected.Reason.WRONG_SCOPE,
          b.label() + " was signed for scope " + b.scope() + " but published as " + expectedScope + " (replayed?)");
    }
    if (b.version() != expectedVersion) {
      throw new PolicyRejected(PolicyRejected.Reason.WRONG_VERSION,
          b.label() + " was published as version " + expectedVersion + " (replayed?)");
    }
  }

  /** A private key with its id. */
  public record SigningKey(String keyId, PrivateKey privateKey) {}

  /** Generates an Ed25519 key pair. */
  public static KeyPair generateKeyPair() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable", e);
    }
  }

  /** The id of a public key: the first 16 hex digits of the SHA-256 of its encoding. */
  public static String keyId(PublicKey key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded())).substring(0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Encodes a private key as base64 PKCS#8 text. */
  public static String encodePrivate(PrivateKey k) {
    return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(k.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /** Encodes a public key as base64 X.509 text. */
  public static String encodePublic(PublicKey k) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(k.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** Reads a private key written by {@link #encodePrivate}. */
  public static SigningKey decodePrivate(String text, PublicKey publicKey) throws GeneralSecurityException {
    PrivateKey pk = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pem(text)));
    return new SigningKey(keyId(publicKey), pk);
  }

  /** Reads a public key written by {@link #encodePublic}. */
  public static PublicKey decodePublic(String text) throws GeneralSecurityException {
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(pem(text)));
  }

  private static byte[] pem(String text) {
    String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(body);
  }
}
