package io.fogwise.identity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.Credentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The subjects each role may publish to and subscribe to: the least-privilege map of the bus.
 * Everything not allowed here is refused by the hub, which reports a permissions violation to
 * the client and logs it. Each identity subscribes only below its own inbox prefix
 * ({@code _INBOX.<user public key>}); answers to requests it received go out through response
 * permissions, never through a publish grant on {@code _INBOX.>}.
 *
 * <p>JetStream is reached through per-bucket API subjects: {@link #readBucket} (stream info,
 * direct and stored-message gets, consumers for watches and key listings) and
 * {@link #writeBucket} (also puts, deletes, purges and creating or updating the bucket's
 * stream). Nobody but operators and the cloud service holds {@code $JS.API.>}.
 *
 * @param publish subjects the identity may publish to
 * @param publishDeny subjects within those it may not publish to
 * @param subscribe subjects the identity may subscribe to
 * @param responses whether it may answer requests it receives (one reply each)
 */
public record Permissions(List<String> publish, List<String> publishDeny, List<String> subscribe, boolean responses) {
  /** The stream behind a KV bucket. */
  static String kvStream(String bucket) {
    return "KV_" + bucket;
  }

  public Permissions {
    publish = List.copyOf(publish);
    publishDeny = List.copyOf(publishDeny);
    subscribe = List.copyOf(subscribe);
  }

  /** A device's: its heartbeat and telemetry out, its commands in, reads through its gateway's cache. */
  public static Permissions device(String gatewayId, String deviceId, String userPublicKey) {
    return new Permissions(
        List.of(Subjects.heartbeat(gatewayId, deviceId), Subjects.telemetry(gatewayId, deviceId),
            Subjects.cacheGet(gatewayId)),
        List.of(Subjects.command(gatewayId, deviceId), inbox(userPublicKey)),
        true);
  }

  /**
   * An MQTT device's (a sensor that is not a Fogwise agent, logging in through the hub's MQTT
   * listener): its own heartbeat and telemetry out, nothing in. It hosts nothing, so it takes no
   * commands, and it reads nothing.
   */
  public static Permissions mqttDevice(String gatewayId, String deviceId) {
    return new Permissions(List.of(Subjects.heartbeat(gatewayId, deviceId), Subjects.telemetry(gatewayId, deviceId)),
        List.of(), false);
  }

  /**
   * A gateway's: its devices' heartbeats and telemetry in, commands to its devices out, its own
   * status, events, policy outcomes and service requests, its own buckets (desired state and
   * lease, cache warm start, its keys of the epoch bucket), reads of the policy buckets, and
   * reads of cloud data.
   */
  public static Permissions gateway(String gatewayId, String userPublicKey) {
    List<String> pub = new ArrayList<>(List.of(
        Subjects.command(gatewayId, "*"),
        Subjects.events(gatewayId),
        Subjects.status(gatewayId),
        Subjects.policyOutcomes(gatewayId),
        Subjects.CLOUD_DATA_GET));
    pub.addAll(writeBucket(Subjects.desiredBucket(gatewayId)));
    pub.addAll(writeBucket(Subjects.cacheBucket(gatewayId)));
    pub.addAll(readBucket(Subjects.EPOCH_BUCKET));
    pub.add("$KV." + Subjects.EPOCH_BUCKET + "." + gatewayId + ".>");
    pub.addAll(readBucket(Subjects.POLICY_BUCKET));
    pub.addAll(readBucket(Subjects.POLICY_ARTIFACT_BUCKET));
    // On its own leaf node the gateway creates its buckets, the mirrors of the policy buckets
    // and the site's history streams: creating (never updating) streams of exactly these names.
    // nats-server checks permissions after mapping $JS.<domain>.API to $JS.API, so the grant
    // cannot name the leaf's domain; it is safe on the hub because the hub creates all of these
    // at start (a create of an existing stream with another configuration is refused).
    for (String stream : siteStreams(gatewayId)) {
      pub.add(streamApi("STREAM.CREATE", stream));
      pub.add(streamApi("STREAM.INFO", stream));
    }
    return new Permissions(pub,
        List.of(Subjects.heartbeats(gatewayId), Subjects.telemetries(gatewayId), Subjects.services(gatewayId),
            Subjects.cacheGet(gatewayId), Subjects.CLOUD_DATA_CHANGES,
            // subscribers' stats (latency, missed messages) drive the gateway's adaptations; the
            // subject names only the service, so this is every subscriber's, read only
            Subjects.ALL_SUBSCRIBER_STATS, inbox(userPublicKey)),
        true);
  }

  /**
   * The cloud service's: answers cloud data reads and mining requests ({@link
   * Subjects#CLOUD_MINE}), announces changes, owns the cloud data buckets, and administers
   * streams (it creates the shared buckets, writes rule candidates and, with {@code --publish
   * auto}, policy). It may not speak for devices or gateways. Gateways and devices may neither
   * request a mining pass nor write candidates: no grant of theirs names them.
   */
  public static Permissions cloud(String userPublicKey) {
    return new Permissions(
        List.of(Subjects.CLOUD_DATA_CHANGES, "fw.gw.*.svc", "$JS.API.>", "$KV.>", "$O.>", "$JS.ACK.>",
            "$JS.FC.>"),
        List.of(Subjects.CLOUD_DATA_GET, Subjects.CLOUD_MINE, "fw.ev.*", Subjects.ALL_STATUS,
            Subjects.ALL_POLICY_OUTCOMES, "fw.tm.*.*", inbox(userPublicKey)),
        true);
  }

  /**
   * The cloud miner's: JetStream (its consumers on the history streams, their acknowledgements,
   * its lease bucket) and its own inbox. No response permission: the server tracks every
   * message delivered with a reply subject to an identity that has one, and with tens of
   * thousands of stream messages in flight that bookkeeping, not the miner, sets the pace
   * (measured on 50,000 messages: 824 against 22,000 messages/s).
   */
  public static Permissions miner(String userPublicKey) {
    return new Permissions(List.of("$JS.API.>", "$KV.>", "$JS.ACK.>", "$JS.FC.>"), List.of(),
        List.of(inbox(userPublicKey)), false);
  }

  /**
   * A gateway's leaf-node link, as the cloud hub applies it to the link's connection: what one
   * site may send to the cloud and what the cloud delivers into it. Everything local to the site
   * (heartbeats, commands, telemetry and events, which reach the cloud only through the
   * history streams it sources) stays on the leaf. The site may send its gateway's status and
   * policy outcomes, cloud data reads, application data, and the JetStream traffic of mirroring
   * the policy buckets; the cloud delivers service requests to its gateway, cloud data changes,
   * application data, replies to the gateway's requests, and JetStream requests for the site's
   * domain (sourcing its history, operators' reads).
   */
  public static Permissions leaf(String gatewayId, String gatewayUserPublicKey) {
    String cloudApi = Subjects.jsApi(Subjects.CLOUD_DOMAIN);
    List<String> up = new ArrayList<>(List.of(
        Subjects.status(gatewayId), Subjects.policyOutcomes(gatewayId), Subjects.CLOUD_DATA_GET, "fw.data.>",
        // replies to the cloud's requests (service requests, JetStream API calls into the site):
        // response permissions do not apply to a leaf link
        "_INBOX.>", "$JSC.>",
        // the site's history, delivered to the cloud's sourcing consumers
        "$JS.S.>"));
    List<String> down = new ArrayList<>(List.of(
        Subjects.services(gatewayId), Subjects.CLOUD_DATA_CHANGES, "fw.data.>", inbox(gatewayUserPublicKey),
        // JetStream requests into the site's domain (the cloud sourcing its history) and their flow control
        Subjects.jsApi(Subjects.gatewayDomain(gatewayId)) + ".>",
        "$JS.FC." + Subjects.EVENTS_STREAM + ".>", "$JS.FC." + Subjects.TELEMETRY_STREAM + ".>",
        // the policy mirrors: replies to their consumer requests and their deliveries
        "$JSC.>", "$JS.M.>"));
    for (String bucket : List.of(Subjects.POLICY_BUCKET, Subjects.POLICY_ARTIFACT_BUCKET)) {
      String s = kvStream(bucket);
      up.add(cloudApi + ".STREAM.INFO." + s);
      up.add(cloudApi + ".CONSUMER.CREATE." + s);
      up.add(cloudApi + ".CONSUMER.CREATE." + s + ".>");
      up.add(cloudApi + ".CONSUMER.DELETE." + s + ".>");
      up.add("$JS.FC." + s + ".>");
    }
    return new Permissions(up, List.of(), down, true);
  }

  /** The streams a gateway creates on its own leaf node ({@code LeafSite} in the gateway runtime). */
  public static List<String> siteStreams(String gatewayId) {
    return List.of(kvStream(Subjects.desiredBucket(gatewayId)), kvStream(Subjects.cacheBucket(gatewayId)),
        kvStream(Subjects.EPOCH_BUCKET), kvStream(Subjects.POLICY_BUCKET), kvStream(Subjects.POLICY_ARTIFACT_BUCKET),
        Subjects.EVENTS_STREAM, Subjects.TELEMETRY_STREAM);
  }

  /** Allow-only permissions. */
  public Permissions(List<String> publish, List<String> subscribe, boolean responses) {
    this(publish, List.of(), subscribe, responses);
  }

  /**
   * An operator's (the CLI, the testbed's observers and load generators): publish anything in
   * the fleet account but into others' inboxes (no forged replies), subscribe to every Fogwise
   * and bucket subject and its own inbox — not to {@code _INBOX.>}, which would read everyone's
   * replies.
   */
  public static Permissions operator(String userPublicKey) {
    return new Permissions(List.of(">"), List.of("_INBOX.>"), List.of("fw.>", "$KV.>", "$O.>", inbox(userPublicKey)),
        true);
  }

  /**
   * The template of the per-gateway scoped key that signs hosted instances' credentials: the
   * service's own stats subject ({@code {{name()}}} is the service name) and its application's
   * data subjects ({@code {{tag(app)}}}), reads of the epoch bucket, reads through the gateway's
   * cache, and its own inbox, {@link Subjects#instanceInbox}: fixed per service epoch, so it survives
   * the renewal of the credentials (a new key each time). For durable channels ({@link
   * DurableChannel}) it adds {@link #durableSubscriber} on its application's stream (tag {@code
   * stream}, which {@link InstanceSigner} derives from the application) for the service's own
   * consumer, and that consumer's delivery subject.
   */
  public static Permissions instanceTemplate(String gatewayId) {
    List<String> pub = new ArrayList<>(List.of("fw.data.{{tag(app)}}.>", "fw.stats.{{name()}}",
        "fw.stats.{{name()}}.>", Subjects.cacheGet(gatewayId)));
    pub.addAll(readBucket(Subjects.EPOCH_BUCKET));
    // the same reads in the gateway's site domain: an instance on the cloud's hub (before a hub
    // move) checks the epochs its gateway announced on the site's own NATS, across the leaf link
    String s = kvStream(Subjects.EPOCH_BUCKET);
    String siteApi = Subjects.jsApi(Subjects.gatewayDomain(gatewayId));
    pub.addAll(List.of(siteApi + ".STREAM.INFO." + s, siteApi + ".STREAM.MSG.GET." + s, siteApi + ".DIRECT.GET." + s,
        siteApi + ".DIRECT.GET." + s + ".>"));
    pub.addAll(durableSubscriber("{{tag(stream)}}", "{{name()}}"));
    return new Permissions(pub, List.of("fw.data.{{tag(app)}}.>", DurableChannel.deliverSubject("{{name()}}"),
        // the hub lower-cases tags, so the gateway's part of the inbox is lower case everywhere
        Subjects.instanceInbox(gatewayId.toLowerCase(java.util.Locale.ROOT), "{{name()}}", "{{tag(epoch)}}") + ".>"),
        true);
  }

  /**
   * What a durable channel's subscriber publishes on {@code stream}, its consumer being {@code
   * consumer}: looking that consumer up, and acknowledging its messages. A publisher needs
   * nothing more than its data subject (its acknowledgements come to its inbox). No stream or
   * consumer is created, updated or deleted here, and nothing is pulled: whoever may create a
   * consumer or send a pull request chooses where the hub delivers the stream's messages (the
   * reply subject of a pull request is not checked against the sender's permissions), so the
   * gateway creates a push consumer with a fixed delivery subject ({@link
   * io.fogwise.protocol.DurableStreams#ensureSubscriber}).
   */
  public static List<String> durableSubscriber(String stream, String consumer) {
    return List.of(
        streamApi("CONSUMER.INFO", stream) + "." + consumer,
        "$JS.ACK." + stream + "." + consumer + ".>");
  }

  /** JetStream API subjects to read KV bucket {@code bucket}: info, gets, watches, key listings. */
  public static List<String> readBucket(String bucket) {
    String s = kvStream(bucket);
    return List.of(
        streamApi("STREAM.INFO", s),
        streamApi("STREAM.MSG.GET", s),
        streamApi("DIRECT.GET", s), streamApi("DIRECT.GET", s) + ".>",
        streamApi("CONSUMER.CREATE", s), streamApi("CONSUMER.CREATE", s) + ".>",
        streamApi("CONSUMER.DURABLE.CREATE", s) + ".>",
        streamApi("CONSUMER.INFO", s) + ".>",
        streamApi("CONSUMER.DELETE", s) + ".>",
        streamApi("CONSUMER.MSG.NEXT", s) + ".>",
        "$JS.ACK." + s + ".>",
        "$JS.FC." + s + ".>");
  }

  /**
   * {@link #readBucket} plus puts, deletes and purges — not creating or updating the bucket's
   * stream: nats-server does not check a stream's subjects against its creator's permissions,
   * so whoever may create or update "their" stream could make it capture any subject. Buckets
   * are created by the hub ({@link io.fogwise.protocol.Buckets}).
   */
  public static List<String> writeBucket(String bucket) {
    String s = kvStream(bucket);
    List<String> all = new ArrayList<>(readBucket(bucket));
    all.add("$KV." + bucket + ".>");
    all.add(streamApi("STREAM.PURGE", s));
    all.add(streamApi("STREAM.MSG.DELETE", s));
    return all;
  }

  private static String streamApi(String op, String stream) {
    return "$JS.API." + op + "." + stream;
  }

  private static String inbox(String userPublicKey) {
    Objects.requireNonNull(userPublicKey, "userPublicKey");
    return Credentials.inboxPrefix(userPublicKey) + ".>";
  }

  /** This grant as the permission part of a NATS user claim (or a scoped key's template). */
  ObjectNode toClaim() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode claim = f.objectNode();
    ObjectNode pub = f.objectNode();
    pub.set("allow", array(publish));
    if (!publishDeny.isEmpty()) {
      pub.set("deny", array(publishDeny));
    }
    claim.set("pub", pub);
    // an empty allow list would mean "everything" to nats-server: no subscriptions is a deny of all
    claim.set("sub", subscribe.isEmpty() ? f.objectNode().set("deny", array(List.of(">")))
        : f.objectNode().set("allow", array(subscribe)));
    if (responses) {
      ObjectNode resp = f.objectNode();
      resp.put("max", 1);
      resp.put("ttl", 0);
      claim.set("resp", resp);
    }
    claim.put("subs", -1);
    claim.put("data", -1);
    claim.put("payload", -1);
    return claim;
  }

  private static ArrayNode array(List<String> values) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    values.forEach(a::add);
    return a;
  }
}
