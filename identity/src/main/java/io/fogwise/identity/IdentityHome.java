package io.fogwise.identity;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.Credentials;
import io.fogwise.protocol.auth.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.support.JwtUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Fogwise's identities on one machine — the operator's "home": the NATS operator, the fleet
 * account (where every component lives, JetStream on) and the system account (for pushing
 * account updates), the certificate authority, the hub's certificate, and a ledger of every
 * user issued and revoked. Components never need the home: each gets its own credentials file
 * and the CA certificate.
 *
 * <p>Issuing a user changes nothing at the hub (the account key signs the user's JWT, which
 * the hub checks on connect); revoking one, or adding or removing a gateway's scoped instance
 * key, re-signs the account and pushes it to the hub, which closes the affected connections at
 * once.
 *
 * <pre>
 * home/operator.jwt           ca.pem                 ledger.json
 * home/keys/{operator,fleet,sys}.nk  keys/ca-key.pem  (owner-only)
 * home/hub/server.pem, server-key.pem
 * home/creds/&lt;role&gt;-&lt;id&gt;.creds, creds/gateway-&lt;id&gt;.instance.nk, creds/sys.creds
 * </pre>
 */
public final class IdentityHome implements ServerIdentity {
  /** The operator user every home starts with, for the CLI and the testbed. */
  public static final String DEFAULT_OPERATOR = "admin";
  /** How long a push of an account update may take. */
  public static final Duration PUSH_TIMEOUT = Duration.ofSeconds(5);

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private final Path dir;
  private final NKey operator;
  private final NKey fleet;
  private final NKey sys;
  private Ledger ledger;

  /** One issued identity, as the ledger records it. */
  public record Entry(String role, String id, String gateway, String publicKey, long issuedAt, Long revokedAt,
      String instanceKey) {
    /** Whether this key was revoked. */
    public boolean revoked() {
      return revokedAt != null;
    }
  }

  /** The ledger file's content. */
  record Ledger(long lastAccountIat, List<Entry> identities) {
    Ledger {
      identities = identities == null ? new ArrayList<>() : new ArrayList<>(identities);
    }
  }

  private IdentityHome(Path dir, NKey operator, NKey fleet, NKey sys, Ledger ledger) {
    this.dir = dir;
    this.operator = operator;
    this.fleet = fleet;
    this.sys = sys;
    this.ledger = ledger;
  }

  /** Whether {@code dir} holds an initialised home. */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve("ledger.json")) && Files.isRegularFile(dir.resolve("keys/fleet.nk"));
  }

  /**
   * Opens the home in {@code dir}, creating it (operator, accounts, CA, hub certificate, the
   * system user and the operator {@value #DEFAULT_OPERATOR}) if it does not exist yet.
   */
  public static IdentityHome openOrInit(Path dir) {
    return exists(dir) ? open(dir) : init(dir);
  }

  /**
   * Opens an existing home.
   *
   * @throws IllegalArgumentException if {@code dir} holds none, saying how to create one
   */
  public static IdentityHome open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    if (!exists(dir)) {
      throw new IllegalArgumentException("no Fogwise identity home in " + dir + "; create one with 'fogwise identity init "
          + "--home " + dir + "' (or set FW_HOME)");
    }
    try {
      return new IdentityHome(dir, readKey(dir.resolve("keys/operator.nk")), readKey(dir.resolve("keys/fleet.nk")),
          readKey(dir.resolve("keys/sys.nk")), JSON.readValue(dir.resolve("ledger.json").toFile(), Ledger.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the identity home " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates a home in {@code dir} (which must not hold one).
   *
   * @throws IllegalStateException if it already does
   */
  public static IdentityHome init(Path dir) {
    Objects.requireNonNull(dir, "dir");
    if (SiteHome.isSite(dir)) {
      throw new IllegalStateException(dir + " is a site export, not an identity home: it serves a site's NATS"
          + " ('fogwise gateway --leaf --home " + dir + "') and cannot issue identities");
    }
    if (exists(dir)) {
      throw new IllegalStateException("an identity home already exists in " + dir);
    }
    try {
      Files.createDirectories(dir.resolve("keys"));
      Files.createDirectories(dir.resolve("creds"));
      Files.createDirectories(dir.resolve("hub"));
      NKey operator = NKey.createOperator(null);
      NKey fleet = NKey.createAccount(null);
      NKey sys = NKey.createAccount(null);
      Secrets.write(dir.resolve("keys/operator.nk"), new String(operator.getSeed()) + "\n");
      Secrets.write(dir.resolve("keys/fleet.nk"), new String(fleet.getSeed()) + "\n");
      Secrets.write(dir.resolve("keys/sys.nk"), new String(sys.getSeed()) + "\n");
      CertificateAuthority ca = CertificateAuthority.create("Fogwise CA");
      ca.save(dir.resolve("ca.pem"), dir.resolve("keys/ca-key.pem"));
      ca.issue("fogwise-hub", CertificateAuthority.localNames(), dir.resolve("hub/server.pem"),
          dir.resolve("hub/server-key.pem"));
      IdentityHome home = new IdentityHome(dir, operator, fleet, sys, new Ledger(0, List.of()));
      String opPub = pub(operator);
      ObjectNode claim = JsonNodeFactory.instance.objectNode();
      claim.put("type", "operator");
      claim.put("version", 2);
      claim.put("system_account", pub(sys));
      Files.writeString(dir.resolve("operator.jwt"), JwtUtils.issueJWT(operator, opPub, "fogwise", null,
          JwtUtils.currentTimeSeconds(), opPub, null, InstanceSigner.raw(claim.toString())) + "\n");
      NKey sysUser = NKey.createUser(null);
      String sysJwt = JwtUtils.issueJWT(sys, pub(sysUser), "sys", null, JwtUtils.currentTimeSeconds(), pub(sys), null,
          InstanceSigner.raw("{\"type\":\"user\",\"version\":2,\"subs\":-1,\"data\":-1,\"payload\":-1}"));
      Secrets.write(dir.resolve("creds/sys.creds"), Credentials.of(sysJwt, sysUser.getSeed()).format());
      home.save();
      home.issue(Role.OPERATOR, DEFAULT_OPERATOR, null);
      return home;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the identity home " + dir + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create keys: " + e.getMessage(), e);
    }
  }

  /** The home directory. */
  @Override
  public Path dir() {
    return dir;
  }

  /** The CA certificate every client trusts. */
  @Override
  public Path serverCert() {
    return dir.resolve("hub/server.pem");
  }

  @Override
  public Path serverKey() {
    return dir.resolve("hub/server-key.pem");
  }

  @Override
  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  /** The credentials file of identity {@code id} of role {@code role}. */
  @Override
  public Path credsFile(Role role, String id) {
    return dir.resolve("creds").resolve(role.label() + "-" + checkId(id, "id") + ".creds");
  }

  /**
   * The MQTT password file of device {@code id} (its bearer-token user JWT), written by
   * {@link #issueMqtt}.
   */
  public Path mqttPasswordFile(String id) {
    return dir.resolve("creds").resolve(Role.DEVICE.label() + "-" + checkId(id, "id") + ".mqtt.jwt");
  }

  /** The scoped instance key file of gateway {@code gatewayId}. */
  public Path instanceKeyFile(String gatewayId) {
    return dir.resolve("creds").resolve("gateway-" + checkId(gatewayId, "gateway") + ".instance.nk");
  }

  /** How a component of role {@code role} named {@code id} connects (its credentials must have been issued). */
  public NatsAuth auth(Role role, String id) {
    return NatsAuth.files(credsFile(role, id), caFile());
  }

  /** How the default operator connects. */
  public NatsAuth operatorAuth() {
    return auth(Role.OPERATOR, DEFAULT_OPERATOR);
  }

  /** The fleet account's public key. */
  @Override
  public String fleetAccount() {
    return pub(fleet);
  }

  /** Every identity issued, in order, revoked ones included. */
  public synchronized List<Entry> list() {
    return List.copyOf(ledger.identities());
  }

  /**
   * Issues new credentials for {@code id} of {@code role} and writes them to
   * {@link #credsFile}; a gateway also gets its scoped instance key ({@link #instanceKeyFile}),
   * which makes the account change (pushed to a running hub by {@link #pushAccount}).
   * Issuing again under the same id rotates: the new key works at once, the old one until
   * {@link #revoke revoked}.
   *
   * @param gatewayId the device's gateway (devices only, required for them)
   * @return the credentials file
   */
  public synchronized Path issue(Role role, String id, String gatewayId) {
    Objects.requireNonNull(role, "role");
    checkId(id, "id");
    if (role == Role.DEVICE) {
      checkId(gatewayId, "gateway");
    } else if (gatewayId != null) {
      throw new IllegalArgumentException("--gateway applies to devices only");
    }
    try {
      NKey user = NKey.createUser(null);
      String userPub = pub(user);
      Permissions permissions = switch (role) {
        case DEVICE -> Permissions.device(gatewayId, id, userPub);
        case GATEWAY -> Permissions.gateway(id, userPub);
        case CLOUD -> Permissions.cloud(userPub);
        case OPERATOR -> Permissions.operator(userPub);
        case MINER -> Permissions.miner(userPub);
        case LEAF -> Permissions.leaf(id, current(Role.GATEWAY, id).map(Entry::publicKey).orElseThrow(
            () -> new IllegalArgumentException("no gateway '" + id + "' is issued: a leaf node's credentials are issued"
                + " with its gateway's ('fogwise identity issue gateway " + id + "')")));
      };
      ObjectNode claim = permissions.toClaim();
      claim.put("type", "user");
      claim.put("version", 2);
      var tags = claim.putArray("tags").add("role:" + role.label());
      if (gatewayId != null) {
        tags.add("gateway:" + gatewayId.toLowerCase(java.util.Locale.ROOT));
      }
      long now = JwtUtils.currentTimeSeconds();
      String jwt = JwtUtils.issueJWT(fleet, userPub, role.label() + " " + id, null, now, pub(fleet), null,
          InstanceSigner.raw(claim.toString()));
      Path file = credsFile(role, id);
      Secrets.write(file, Credentials.of(jwt, user.getSeed()).format());
      String instanceKey = null;
      if (role == Role.GATEWAY) {
        InstanceSigner signer = new InstanceSigner(NKey.createAccount(null), pub(fleet), id);
        Secrets.write(instanceKeyFile(id), signer.format());
        instanceKey = signer.publicKey();
      }
      ledger.identities().add(new Entry(role.label(), id, gatewayId, userPub, now, null, instanceKey));
      save();
      if (role == Role.GATEWAY) {
        // the leaf link's grants name the gateway's inbox, so a new gateway key means a new leaf key
        issue(Role.LEAF, id, null);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write credentials for " + role.label() + " " + id + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign credentials: " + e.getMessage(), e);
    }
  }

  /**
   * Issues credentials for an MQTT device {@code id} of gateway {@code gatewayId}: a sensor that
   * logs in through the hub's MQTT listener with any user name and, as password, the bearer-token
   * user JWT written to {@link #mqttPasswordFile} (MQTT cannot sign the server's nonce, so the
   * token alone is the credential: keep it as secret as a password, and send it over TLS only).
   * It may publish its own heartbeat and telemetry and nothing else ({@link
   * Permissions#mqttDevice}). Revoked like any device ({@link #revoke revoke(DEVICE, id, ...)}).
   *
   * @return the password file
   */
  public synchronized Path issueMqtt(String id, String gatewayId) {
    checkId(id, "id");
    checkId(gatewayId, "gateway");
    try {
      NKey user = NKey.createUser(null);
      String userPub = pub(user);
      ObjectNode claim = Permissions.mqttDevice(gatewayId, id).toClaim();
      claim.put("bearer_token", true);
      claim.put("type", "user");
      claim.put("version", 2);
      claim.putArray("tags").add("role:" + Role.DEVICE.label()).add("transport:mqtt")
          .add("gateway:" + gatewayId.toLowerCase(java.util.Locale.ROOT));
      long now = JwtUtils.currentTimeSeconds();
      String jwt = JwtUtils.issueJWT(fleet, userPub, "mqtt device " + id, null, now, pub(fleet), null,
          InstanceSigner.raw(claim.toString()));
      Path file = mqttPasswordFile(id);
      Secrets.write(file, jwt + "\n");
      ledger.identities().add(new Entry(Role.DEVICE.label(), id, gatewayId, userPub, now, null, null));
      save();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the MQTT password of device " + id + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign credentials: " + e.getMessage(), e);
    }
  }

  /**
   * Revokes every key of {@code id} of {@code role} (all but the newest when
   * {@code keepNewest}, to finish a rotation); a revoked gateway's instance key is removed from
   * the account too. Call {@link #pushAccount} to make a running hub close the connections.
   *
   * @return how many keys were revoked
   * @throws IllegalArgumentException if no such identity was ever issued
   */
  public synchronized int revoke(Role role, String id, boolean keepNewest) {
    List<Entry> all = ledger.identities();
    int newest = -1;
    for (int i = 0; i < all.size(); i++) {
      if (matches(all.get(i), role, id)) {
        newest = i;
      }
    }
    if (newest < 0) {
      throw new IllegalArgumentException("no " + role.label() + " '" + id + "' was ever issued in " + dir
          + "; 'fogwise identity list' shows what was");
    }
    long now = JwtUtils.currentTimeSeconds();
    int count = 0;
    for (int i = 0; i < all.size(); i++) {
      Entry e = all.get(i);
      if (matches(e, role, id) && !e.revoked() && !(keepNewest && i == newest)) {
        all.set(i, new Entry(e.role(), e.id(), e.gateway(), e.publicKey(), e.issuedAt(), now, e.instanceKey()));
        count++;
      }
    }
    try {
      save();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (role == Role.GATEWAY && all.stream().anyMatch(e -> matches(e, Role.LEAF, id))) {
      revoke(Role.LEAF, id, keepNewest); // its leaf link goes with it
    }
    return count;
  }

  private static boolean matches(Entry e, Role role, String id) {
    return e.role().equals(role.label()) && e.id().equals(id);
  }

  /**
   * The fleet account's JWT as the ledger makes it now: JetStream on, the live gateways' scoped
   * instance keys, the revoked users. Each call signs a new one, issued later than the last.
   */
  public synchronized String accountJwt() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode claim = f.objectNode();
    claim.put("type", "account");
    claim.put("version", 2);
    ObjectNode limits = claim.putObject("limits");
    for (String k : List.of("subs", "data", "payload", "imports", "exports", "conn", "leaf", "mem_storage",
        "disk_storage", "streams", "consumer")) {
      limits.put(k, -1);
    }
    limits.put("wildcards", true);
    var keys = claim.putArray("signing_keys");
    ObjectNode revocations = f.objectNode();
    for (Entry e : ledger.identities()) {
      if (e.revoked()) {
        revocations.put(e.publicKey(), e.revokedAt());
      } else if (e.instanceKey() != null) {
        ObjectNode scope = keys.addObject();
        scope.put("kind", "user_scope");
        scope.put("key", e.instanceKey());
        scope.put("role", "instance of " + e.id());
        scope.put("description", "signs the credentials of service instances started by gateway " + e.id());
        scope.set("template", Permissions.instanceTemplate(e.id()).toClaim());
      }
    }
    if (!revocations.isEmpty()) {
      claim.set("revocations", revocations);
    }
    return signAccount(fleet, "fleet", claim);
  }

  private String systemAccountJwt() {
    ObjectNode claim = JsonNodeFactory.instance.objectNode();
    claim.put("type", "account");
    claim.put("version", 2);
    ObjectNode limits = claim.putObject("limits");
    for (String k : List.of("subs", "data", "payload", "imports", "exports", "conn", "leaf")) {
      limits.put(k, -1);
    }
    limits.put("wildcards", true);
    return signAccount(sys, "SYS", claim);
  }

  private String signAccount(NKey account, String name, ObjectNode claim) {
    try {
      // strictly later than any account JWT signed before, so the hub never keeps an older one
      long iat = Math.max(JwtUtils.currentTimeSeconds(), ledger.lastAccountIat() + 1);
      ledger = new Ledger(iat, ledger.identities());
      save();
      return JwtUtils.issueJWT(operator, pub(account), name, null, iat, pub(operator), null,
          InstanceSigner.raw(claim.toString()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign the " + name + " account: " + e.getMessage(), e);
    }
  }

  /**
   * The part of nats-server's configuration that makes a hub use these identities: the
   * operator, both accounts preloaded, the full resolver (so account updates pushed by
   * {@link #pushAccount} apply at once and survive a restart) in {@code resolverDir}, and TLS
   * with the hub's certificate.
   */
  @Override
  public String serverConfig(Path resolverDir) {
    return hubConfig(resolverDir);
  }

  /** {@link #serverConfig}: the hub's. */
  public synchronized String hubConfig(Path resolverDir) {
    return ServerConfig.text("the identity home " + dir.toAbsolutePath(), dir.resolve("operator.jwt"), pub(fleet),
        accountJwt(), pub(sys), systemAccountJwt(), resolverDir, serverCert(), serverKey());
  }

  /**
   * Sends the current fleet account JWT to the hub at {@code url} as the system user, so
   * revocations and instance-key changes apply to live connections.
   *
   * @return the hub's answer, e.g. {@code jwt updated}
   * @throws IllegalStateException if the hub cannot be reached or refuses the update
   */
  public String pushAccount(String url) {
    String jwt = accountJwt();
    NatsAuth auth = NatsAuth.files(dir.resolve("creds/sys.creds"), caFile());
    try (Connection c = Nats.connect(NatsOptions.oneShot(url, PUSH_TIMEOUT, auth).build())) {
      Message reply = c.request("$SYS.REQ.CLAIMS.UPDATE", jwt.getBytes(StandardCharsets.UTF_8), PUSH_TIMEOUT);
      if (reply == null) {
        throw new IllegalStateException("the hub at " + url + " did not answer the account update within "
            + PUSH_TIMEOUT.toMillis() + " ms");
      }
      var answer = JSON.readTree(reply.getData());
      if (answer.has("error")) {
        throw new IllegalStateException("the hub at " + url + " refused the account update: "
            + answer.path("error").path("description").asText(answer.path("error").toString()));
      }
      return answer.path("data").path("message").asText("updated");
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the hub at " + url + " to push the account update: " + e.getMessage()
          + " (the hub picks the change up when it next starts)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while pushing the account update", e);
    }
  }

  /** The system account's public key. */
  @Override
  public String systemAccount() {
    return pub(sys);
  }

  /**
   * The credentials a gateway's leaf node links its system account to the hub's with (written
   * on first use): account updates pushed to the hub, revocations included, then reach the
   * leaf's resolver too, and it closes revoked users' connections at the site.
   */
  @Override
  public synchronized Path siteSystemCreds(String gatewayId) {
    checkId(gatewayId, "gateway");
    Path file = dir.resolve("creds/leaf-" + gatewayId + ".sys.creds");
    if (Files.exists(file)) {
      return file;
    }
    try {
      NKey user = NKey.createUser(null);
      ObjectNode claim = JSON.createObjectNode();
      claim.put("type", "user");
      claim.put("version", 2);
      claim.put("subs", -1);
      claim.put("data", -1);
      claim.put("payload", -1);
      // as the hub applies it to the link: what the site's servers may send, and what reaches them
      var pubAllow = claim.putObject("pub").putArray("allow");
      for (String s : List.of("$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP", "$SYS.REQ.CLAIMS.PACK", "$SYS.REQ.CLAIMS.LIST",
          "_INBOX.>")) {
        pubAllow.add(s);
      }
      var subAllow = claim.putObject("sub").putArray("allow");
      for (String s : List.of("$SYS.REQ.CLAIMS.UPDATE", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE",
          "$SYS.ACCOUNT.*.CLAIMS.UPDATE", "$SYS.REQ.CLAIMS.PACK", "_INBOX.>")) {
        subAllow.add(s);
      }
      String jwt = JwtUtils.issueJWT(sys, pub(user), "leaf " + gatewayId + " system link", null,
          JwtUtils.currentTimeSeconds(), pub(sys), null, InstanceSigner.raw(claim.toString()));
      Secrets.write(file, Credentials.of(jwt, user.getSeed()).format());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign the leaf's system credentials: " + e.getMessage(), e);
    }
  }

  /**
   * Writes a {@link SiteHome} for gateway {@code gatewayId} to {@code out}: what its site needs
   * to run its NATS as a leaf node and its gateway and devices to connect, and none of the
   * operator's, the accounts' or the CA's private keys. The site's server certificate is issued
   * now for {@code hostNames} (plus this machine's loopback names).
   *
   * @return the files written
   * @throws IllegalArgumentException if the gateway is not issued, or {@code out} is not empty
   */
  public synchronized java.util.List<Path> exportSite(String gatewayId, Path out, java.util.List<String> hostNames) {
    checkId(gatewayId, "gateway");
    if (current(Role.GATEWAY, gatewayId).isEmpty()) {
      throw new IllegalArgumentException("no gateway '" + gatewayId + "' is issued in " + dir
          + "; 'fogwise identity issue gateway " + gatewayId + "' first");
    }
    try {
      if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
        throw new IllegalArgumentException(out + " exists and is not empty: export a site into a new directory");
      }
      if (current(Role.LEAF, gatewayId).isEmpty()) {
        issue(Role.LEAF, gatewayId, null);
      }
      Files.createDirectories(out.resolve("accounts"));
      Files.createDirectories(out.resolve("creds"));
      Files.createDirectories(out.resolve("site"));
      java.util.List<Path> written = new java.util.ArrayList<>();
      ObjectNode marker = JSON.createObjectNode();
      marker.put("gateway", gatewayId);
      marker.put("fleetAccount", pub(fleet));
      marker.put("systemAccount", pub(sys));
      marker.put("exportedAt", java.time.Instant.now().toString());
      written.add(write(out.resolve(SiteHome.MARKER), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(marker)));
      written.add(write(out.resolve("operator.jwt"), Files.readString(dir.resolve("operator.jwt"))));
      written.add(write(out.resolve("accounts/fleet.jwt"), accountJwt() + "\n"));
      written.add(write(out.resolve("accounts/sys.jwt"), systemAccountJwt() + "\n"));
      written.add(write(out.resolve("ca.pem"), Files.readString(caFile())));
      java.util.List<String> names = new java.util.ArrayList<>(CertificateAuthority.localNames());
      for (String h : hostNames) {
        if (!names.contains(h)) {
          names.add(h);
        }
      }
      CertificateAuthority.load(caFile(), dir.resolve("keys/ca-key.pem"))
          .issue("fogwise-site-" + gatewayId, names, out.resolve("site/server.pem"), out.resolve("site/server-key.pem"));
      written.add(out.resolve("site/server.pem"));
      written.add(out.resolve("site/server-key.pem"));
      java.util.List<Path> creds = new java.util.ArrayList<>(java.util.List.of(credsFile(Role.GATEWAY, gatewayId),
          instanceKeyFile(gatewayId), credsFile(Role.LEAF, gatewayId), siteSystemCreds(gatewayId)));
      for (Entry e : ledger.identities()) {
        if (e.role().equals(Role.DEVICE.label()) && gatewayId.equals(e.gateway()) && !e.revoked()) {
          // an agent's credentials, an MQTT device's password, or both
          for (Path c : java.util.List.of(credsFile(Role.DEVICE, e.id()), mqttPasswordFile(e.id()))) {
            if (Files.exists(c) && !creds.contains(c)) {
              creds.add(c);
            }
          }
        }
      }
      for (Path c : creds) {
        Path target = out.resolve("creds").resolve(c.getFileName());
        Secrets.write(target, Files.readString(c));
        written.add(target);
      }
      return written;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export site " + gatewayId + " to " + out + ": " + e.getMessage(), e);
    }
  }

  private static Path write(Path file, String text) throws IOException {
    Files.writeString(file, text, java.nio.charset.StandardCharsets.UTF_8);
    return file;
  }

  /** The newest unrevoked entry of {@code id} of {@code role}. */
  public synchronized Optional<Entry> current(Role role, String id) {
    Entry found = null;
    for (Entry e : ledger.identities()) {
      if (matches(e, role, id) && !e.revoked()) {
        found = e;
      }
    }
    return Optional.ofNullable(found);
  }

  private void save() throws IOException {
    Path tmp = dir.resolve("ledger.json.tmp");
    JSON.writeValue(tmp.toFile(), ledger);
    Files.move(tmp, dir.resolve("ledger.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String checkId(String id, String what) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(what + " must be 1-64 letters, digits, '-' or '_', got '" + id + "'");
    }
    return id;
  }

  private static NKey readKey(Path file) throws IOException {
    return NKey.fromSeed(Files.readString(file, StandardCharsets.UTF_8).trim().toCharArray());
  }

  private static String pub(NKey key) {
    try {
      return new String(key.getPublicKey());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
