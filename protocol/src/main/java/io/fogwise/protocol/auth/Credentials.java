package io.fogwise.protocol.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Objects;

/**
 * A NATS user identity: its JWT (signed by the account, naming its permissions) and its nkey
 * seed (the private key that answers the server's challenge). The text form is nats-server's
 * {@code .creds} file, so the {@code nats} CLI and other clients can use the same file.
 */
public final class Credentials {
  private static final String JWT_BEGIN = "-----BEGIN NATS USER JWT-----";
  private static final String JWT_END = "------END NATS USER JWT------";
  private static final String SEED_BEGIN = "-----BEGIN USER NKEY SEED-----";
  private static final String SEED_END = "------END USER NKEY SEED------";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String jwt;
  private final char[] seed;
  private final String publicKey;
  private final String name;
  private final String inboxPrefix;

  private Credentials(String jwt, char[] seed) {
    this.jwt = jwt;
    this.seed = seed;
    JsonNode claims = claims(jwt);
    this.publicKey = claims.path("sub").asText("");
    this.name = claims.path("name").asText("");
    String gateway = null;
    String epoch = null;
    for (JsonNode tag : claims.path("nats").path("tags")) {
      String t = tag.asText("");
      if (t.startsWith("gateway:")) {
        gateway = t.substring("gateway:".length());
      } else if (t.startsWith("epoch:")) {
        epoch = t.substring("epoch:".length());
      }
    }
    // an instance's credentials (tagged with its epoch) use the inbox of that service epoch
    this.inboxPrefix = gateway != null && epoch != null
        ? io.fogwise.protocol.Subjects.instanceInbox(gateway, name, epoch) : inboxPrefix(publicKey);
    if (!publicKey.startsWith("U")) {
      throw new IllegalArgumentException("not a NATS user JWT: its subject is '" + publicKey + "', not a user key (U...)");
    }
  }

  /**
   * Credentials from a user JWT and its seed.
   *
   * @throws IllegalArgumentException if the JWT is not a user JWT or the seed is not a user seed
   */
  public static Credentials of(String jwt, char[] seed) {
    Objects.requireNonNull(jwt, "jwt");
    Objects.requireNonNull(seed, "seed");
    if (seed.length < 2 || seed[0] != 'S' || seed[1] != 'U') {
      throw new IllegalArgumentException("not a NATS user seed (SU...)");
    }
    return new Credentials(jwt.trim(), seed.clone());
  }

  /**
   * Parses the text of a {@code .creds} file.
   *
   * @throws IllegalArgumentException saying which part is missing
   */
  public static Credentials parse(String text) {
    String jwt = between(text, JWT_BEGIN, JWT_END, "user JWT");
    String seed = between(text, SEED_BEGIN, SEED_END, "user nkey seed");
    return of(jwt, seed.toCharArray());
  }

  /**
   * Reads a {@code .creds} file.
   *
   * @throws IllegalArgumentException naming the file when it is missing or malformed
   */
  public static Credentials read(Path file) {
    Objects.requireNonNull(file, "file");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("credentials file " + file + " does not exist; issue one with "
          + "'fogwise identity issue <role> <id>'");
    }
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read credentials file " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("credentials file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The {@code .creds} text. */
  public String format() {
    return JWT_BEGIN + "\n" + jwt + "\n" + JWT_END + "\n\n"
        + "************************* IMPORTANT *************************\n"
        + "NKEY Seed printed below can be used to sign and prove identity.\n"
        + "NKEYs are sensitive and should be treated as secrets.\n\n"
        + SEED_BEGIN + "\n" + new String(seed) + "\n" + SEED_END + "\n\n"
        + "*************************************************************\n";
  }

  /** The user JWT. */
  public String jwt() {
    return jwt;
  }

  /** A copy of the seed. */
  public char[] seed() {
    return seed.clone();
  }

  /** The user's public key ({@code U...}), the JWT's subject. */
  public String publicKey() {
    return publicKey;
  }

  /** The name the JWT carries, e.g. {@code device edge-7}. */
  public String name() {
    return name;
  }

  /**
   * The inbox prefix this identity may use: {@code _INBOX.<public key>}, or for a hosted
   * instance's credentials (tagged with gateway and epoch) the inbox of its service epoch
   * ({@link io.fogwise.protocol.Subjects#instanceInbox}), which outlives renewals. Replies come
   * to subjects below it, and its permissions let it subscribe there and nowhere else under
   * {@code _INBOX}.
   */
  public String inboxPrefix() {
    return inboxPrefix;
  }

  /** The inbox prefix of the user with public key {@code userPublicKey}. */
  public static String inboxPrefix(String userPublicKey) {
    return "_INBOX." + userPublicKey;
  }

  private static String between(String text, String begin, String end, String what) {
    int b = text.indexOf(begin);
    int e = b < 0 ? -1 : text.indexOf(end, b);
    if (b < 0 || e < 0) {
      throw new IllegalArgumentException("no " + what + " (expected between '" + begin + "' and '" + end + "')");
    }
    String value = text.substring(b + begin.length(), e).trim();
    if (value.isEmpty()) {
      throw new IllegalArgumentException("empty " + what);
    }
    return value;
  }

  private static JsonNode claims(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a JWT (expected three dot-separated parts)");
    }
    try {
      return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a JWT: its claims are not base64url JSON", e);
    }
  }

  @Override
  public String toString() {
    return "credentials of " + (name.isEmpty() ? publicKey : name + " (" + publicKey + ")");
  }
}
