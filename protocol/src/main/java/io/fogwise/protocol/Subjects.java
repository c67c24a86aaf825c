package io.fogwise.protocol;

import java.util.Objects;

/** NATS subject names; the single source of truth for who talks where. */
public final class Subjects {
  private Subjects() {}

  /** Heartbeats of one device: {@code fw.hb.<gatewayId>.<deviceId>}. */
  public static String heartbeat(String gatewayId, String deviceId) {
    return "fw.hb." + token(gatewayId) + "." + token(deviceId);
  }

  /** All heartbeats to a gateway. */
  public static String heartbeats(String gatewayId) {
    return "fw.hb." + token(gatewayId) + ".*";
  }

  /** Telemetry of one device: {@code fw.tm.<gatewayId>.<deviceId>}. */
  public static String telemetry(String gatewayId, String deviceId) {
    return "fw.tm." + token(gatewayId) + "." + token(deviceId);
  }

  /** All telemetry to a gateway. */
  public static String telemetries(String gatewayId) {
    return "fw.tm." + token(gatewayId) + ".*";
  }

  /**
   * Commands from a gateway to one of its devices (request/reply):
   * {@code fw.cmd.<gatewayId>.<deviceId>}. The gateway in the subject lets the hub allow each
   * gateway to command only its own devices, and each device to hear only its own gateway.
   * {@code deviceId} may be {@code *} for a permission.
   */
  public static String command(String gatewayId, String deviceId) {
    return "fw.cmd." + token(gatewayId) + "." + ("*".equals(deviceId) ? "*" : token(deviceId));
  }

  /** Adaptation events of a gateway: {@code fw.ev.<gatewayId>}. */
  public static String events(String gatewayId) {
    return "fw.ev." + token(gatewayId);
  }

  /** Periodic status of a gateway: {@code fw.gw.<gatewayId>.status}. */
  public static String status(String gatewayId) {
    return "fw.gw." + token(gatewayId) + ".status";
  }

  /** Status of all gateways. */
  public static final String ALL_STATUS = "fw.gw.*.status";

  /** Service spec requests to a gateway: {@code fw.gw.<gatewayId>.svc}. */
  public static String services(String gatewayId) {
    return "fw.gw." + token(gatewayId) + ".svc";
  }

  /** Policy outcomes of a gateway: {@code fw.gw.<gatewayId>.rules}. */
  public static String policyOutcomes(String gatewayId) {
    return "fw.gw." + token(gatewayId) + ".rules";
  }

  /** Policy outcomes of every gateway. */
  public static final String ALL_POLICY_OUTCOMES = "fw.gw.*.rules";

  /**
   * The cloud hub's JetStream domain: gateways running a leaf node reach the cloud's buckets
   * and streams through {@code $JS.cloud.API}.
   */
  public static final String CLOUD_DOMAIN = "cloud";

  /**
   * The JetStream domain of a gateway's leaf node: its id. Its own buckets and streams live
   * there, and the cloud reaches them through {@code $JS.<gatewayId>.API}.
   */
  public static String gatewayDomain(String gatewayId) {
    return token(gatewayId);
  }

  /** The JetStream API prefix of {@code domain}: {@code $JS.<domain>.API}. */
  public static String jsApi(String domain) {
    return "$JS." + token(domain) + ".API";
  }

  /** The history of adaptation events the cloud keeps (and a leaf node keeps for its gateway). */
  public static final String EVENTS_STREAM = "FW_EVENTS";

  /** The history of device telemetry the cloud keeps (and a leaf node keeps for its devices). */
  public static final String TELEMETRY_STREAM = "FW_TELEMETRY";

  /** Adaptation events of every gateway. */
  public static final String ALL_EVENTS = "fw.ev.*";

  /** Telemetry of every device of every gateway. */
  public static final String ALL_TELEMETRY = "fw.tm.*.*";

  /** The JetStream KV bucket holding every signed policy bundle and the live pointer per scope. */
  public static final String POLICY_BUCKET = "fw-rules";

  /**
   * The JetStream KV bucket of rule candidates the cloud miner proposes, key = scope: a signed
   * bundle waiting for an operator's {@code fogwise rules approve}. Only the cloud service and
   * operators may write it.
   */
  public static final String POLICY_CANDIDATE_BUCKET = "fw-rules-candidates";

  /** Requests to the cloud miner to run a mining pass now (request/reply); the leader answers. */
  public static final String CLOUD_MINE = "fw.cloud.mine";

  /** The JetStream KV bucket of signed compiled artifacts, keyed by the hash of their effective sources. */
  public static final String POLICY_ARTIFACT_BUCKET = "fw-rules-compiled";

  /** The policy scope every gateway runs; a gateway's own scope, on top of it, is {@link #gatewayScope}. */
  public static final String GLOBAL_SCOPE = "global";

  /** The policy scope of one gateway: {@code gw.<gatewayId>}. */
  public static String gatewayScope(String gatewayId) {
    return "gw." + token(gatewayId);
  }

  /** The JetStream KV bucket of one gateway's durable state: {@code fw-desired-<gatewayId>}. */
  public static String desiredBucket(String gatewayId) {
    return "fw-desired-" + token(gatewayId);
  }

  /**
   * The JetStream KV bucket in which gateways announce the epochs they issued: key
   * {@code <gatewayId>.<service>} ({@link #epochKey}) holds the highest epoch the gateway handed
   * out for that service, as decimal text, written before the command that starts it. A
   * subscriber accepts a data message only if its epoch is at most that value.
   */
  public static final String EPOCH_BUCKET = "fw-epochs";

  /** The key of a service's issued epochs in {@link #EPOCH_BUCKET}: {@code <gatewayId>.<service>}. */
  public static String epochKey(String gatewayId, String service) {
    return token(gatewayId) + "." + token(service);
  }

  /**
   * Reads of cloud data from the cloud service (request/reply, {@link DataRequest} →
   * {@link DataReply}); separate from {@code fw.data.>}, which is the applications'.
   */
  public static final String CLOUD_DATA_GET = "fw.cloud.data.get";

  /** Changes of cloud data ({@link DataChange}), for gateways to invalidate their caches. */
  public static final String CLOUD_DATA_CHANGES = "fw.cloud.data.changes";

  /** The JetStream KV bucket of cloud data items (values up to its size limit). */
  public static final String CLOUD_DATA_BUCKET = "fw-cloud-data";

  /** The JetStream object store of cloud data items too large for KV. */
  public static final String CLOUD_OBJECT_STORE = "fw-cloud-objects";

  /** A device's read through its gateway's cache (request/reply): {@code fw.gw.<gatewayId>.cache.get}. */
  public static String cacheGet(String gatewayId) {
    return "fw.gw." + token(gatewayId) + ".cache.get";
  }

  /** The JetStream KV bucket of one gateway's cache warm start: {@code fw-cache-<gatewayId>}. */
  public static String cacheBucket(String gatewayId) {
    return "fw-cache-" + token(gatewayId);
  }

  /**
   * The inbox prefix of one epoch of a hosted service on its own connection:
   * {@code _INBOX.i.<gatewayId>.<service>.<epoch>}. Fixed per epoch, so it outlives the renewal
   * of the instance's credentials; the gateway's scoped key allows each instance exactly its own
   * (its template fills service and epoch from the credentials).
   */
  public static String instanceInbox(String gatewayId, String service, String epoch) {
    return "_INBOX.i." + gatewayId + "." + service + "." + epoch;
  }

  /**
   * The data application of a service whose configuration names none ({@code app}): the
   * built-in publisher and subscriber use it, and the gateway issues such an instance's
   * credentials for it.
   */
  public static final String DEFAULT_APP = "demo";

  /** Application data: {@code fw.data.<app>.<channel>}. */
  public static String data(String app, String channel) {
    return "fw.data." + token(app) + "." + token(channel);
  }

  /** Stats of a subscriber service: {@code fw.stats.<service>}. */
  public static String subscriberStats(String service) {
    return "fw.stats." + token(service);
  }

  /** Stats of every subscriber service. */
  public static final String ALL_SUBSCRIBER_STATS = "fw.stats.*";

  /** The last token of a subject, e.g. the device id of a heartbeat subject. */
  public static String lastToken(String subject) {
    int i = subject.lastIndexOf('.');
    return i < 0 ? subject : subject.substring(i + 1);
  }

  static String token(String s) {
    Objects.requireNonNull(s, "subject token");
    if (s.isEmpty() || s.indexOf('.') >= 0 || s.indexOf(' ') >= 0 || s.indexOf('*') >= 0 || s.indexOf('>') >= 0) {
      throw new IllegalArgumentException("not a valid subject token: '" + s + "'");
    }
    return s;
  }
}
