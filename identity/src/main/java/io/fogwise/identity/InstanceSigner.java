package io.fogwise.identity;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.auth.Credentials;
import io.nats.client.NKey;
import io.nats.client.support.JsonSerializable;
import io.nats.client.support.JwtUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * A gateway's scoped signing key for the credentials of the instances it starts. The account
 * lists the key with a template ({@link Permissions#instanceTemplate}); the hub fills the
 * template from the JWT this signer writes (the service name, its data application as tag
 * {@code app}, its durable channels' stream as tag {@code stream}), so a credential reaches
 * exactly its service's subjects — and a credential signed with this key can never carry more,
 * whatever the gateway writes into it.
 */
public final class InstanceSigner {
  /** An application name the hub's lower-cased tags can carry unchanged, and a subject token. */
  private static final Pattern APP = Pattern.compile("[a-z0-9_-]{1,64}");
  /** The tag value of a service without a data application: matches no {@code fw.data} subject anyone uses. */
  static final String NO_APP = "_none";

  private final NKey key;
  private final String accountPublicKey;
  private final String gatewayId;

  InstanceSigner(NKey key, String accountPublicKey, String gatewayId) {
    this.key = key;
    this.accountPublicKey = accountPublicKey;
    this.gatewayId = gatewayId;
  }

  /**
   * Loads the key file written by {@code fogwise identity issue gateway}.
   *
   * @throws IllegalArgumentException naming the file when it is missing or malformed
   */
  public static InstanceSigner load(Path file) {
    Objects.requireNonNull(file, "file");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("instance signing key " + file + " does not exist; it is written beside "
          + "the gateway's credentials by 'fogwise identity issue gateway <id>'");
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read instance signing key " + file + ": " + e.getMessage(), e);
    }
    String seed = p.getProperty("seed", "");
    String account = p.getProperty("account", "");
    String gateway = p.getProperty("gateway", "");
    if (!seed.startsWith("SA") || !account.startsWith("A") || gateway.isBlank()) {
      throw new IllegalArgumentException("instance signing key " + file + " is malformed: it needs seed=SA..., "
          + "account=A... and gateway=<id>");
    }
    try {
      return new InstanceSigner(NKey.fromSeed(seed.toCharArray()), account, gateway);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("instance signing key " + file + ": not a valid account seed", e);
    }
  }

  /** The text of the key file. */
  String format() {
    return "# Fogwise: scoped signing key of gateway " + gatewayId + " for the credentials of its instances. Secret.\n"
        + "gateway=" + gatewayId + "\naccount=" + accountPublicKey + "\nseed=" + new String(key.getSeed()) + "\n";
  }

  /** The public key the account lists as scoped signer. */
  public String publicKey() {
    try {
      return new String(key.getPublicKey());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The gateway this key belongs to. */
  public String gatewayId() {
    return gatewayId;
  }

  /**
   * New credentials for epoch {@code epoch} of {@code service}, whose data application is
   * {@code app} (null if it has none).
   *
   * @param ttl how long they are valid; {@link Duration#ZERO} for no expiry
   * @throws IllegalArgumentException if {@code app} cannot be carried as a tag (it must be
   *     lower case letters, digits, '-' or '_': the hub lower-cases tags)
   */
  public Credentials issue(String service, String app, long epoch, Duration ttl) {
    Objects.requireNonNull(service, "service");
    String appTag = app == null || app.isBlank() ? NO_APP : app;
    if (!appTag.equals(NO_APP) && !APP.matcher(appTag).matches()) {
      throw new IllegalArgumentException("application name '" + app + "' cannot be carried in an instance "
          + "credential: use lower-case letters, digits, '-' and '_' (at most 64)");
    }
    try {
      NKey user = NKey.createUser(null);
      ObjectNode claim = JsonNodeFactory.instance.objectNode();
      claim.put("type", "user");
      claim.put("version", 2);
      claim.put("issuer_account", accountPublicKey);
      String lowerApp = appTag.toLowerCase(Locale.ROOT);
      // a template substitutes whole subject tokens only, so the stream name is a tag of its own
      claim.putArray("tags").add("app:" + lowerApp).add("epoch:" + epoch)
          .add("gateway:" + gatewayId.toLowerCase(Locale.ROOT))
          .add("stream:" + DurableChannel.STREAM_PREFIX + lowerApp);
      // no permissions or limits here: the hub refuses a scoped user that carries its own
      String jwt = JwtUtils.issueJWT(key, new String(user.getPublicKey()), service,
          ttl.isZero() ? null : ttl, JwtUtils.currentTimeSeconds() - 1, publicKey(), null, raw(claim.toString()));
      return Credentials.of(jwt, user.getSeed());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot sign instance credentials: " + e.getMessage(), e);
    }
  }

  static JsonSerializable raw(String json) {
    return () -> json;
  }
}
