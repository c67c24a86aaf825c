package io.fogwise.edge.services;

import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The epochs a gateway issued per service, as it announces them in the KV bucket
 * {@value Subjects#EPOCH_BUCKET} (key {@code <gatewayId>.<service>}: the highest epoch issued).
 * A message whose epoch is above the known value makes it look the key up again — the gateway
 * writes the key before it sends the command that starts the instance, so a real new epoch is
 * always found — but at most once per {@link #LOOKUP_INTERVAL_NANOS} per service, so a stream
 * of forged epochs costs one KV read per interval, not one per message.
 *
 * <p>Called from one subscriber's NATS dispatcher thread; the map is concurrent for readers of
 * the stats.
 */
final class IssuedEpochs {
  /**
   * Least time between two lookups of one service. 20 ms: a real new epoch that arrives right
   * after a forged one was looked up waits at most this long (two messages at 100 Hz).
   */
  static final long LOOKUP_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private static final Logger LOG = LoggerFactory.getLogger(IssuedEpochs.class);

  /** What is known of one service. */
  private static final class Known {
    long issued = -1;
    long lookedUpAtNanos;
    boolean lookedUp;
  }

  private volatile Connection nats;
  private KeyValue siteKv;
  private final String gatewayId;
  private final Clock clock;
  private final Map<String, Known> known = new ConcurrentHashMap<>();
  private KeyValue kv;
  private long lastWarnNanos;

  IssuedEpochs(Connection nats, String gatewayId, Clock clock) {
    this.nats = nats;
    this.gatewayId = gatewayId;
    this.clock = clock;
  }

  /**
   * The highest epoch known to be issued for {@code service}, looked up again first when
   * {@code epoch} is above it (rate-limited); -1 when none was issued.
   */
  long issued(String service, long epoch) {
    Known k = known.computeIfAbsent(service, s -> new Known());
    if (epoch <= k.issued) {
      return k.issued;
    }
    long now = clock.nanos();
    if (k.lookedUp && now - k.lookedUpAtNanos < LOOKUP_INTERVAL_NANOS) {
      return k.issued;
    }
    k.lookedUp = true;
    k.lookedUpAtNanos = now;
    k.issued = Math.max(k.issued, lookUp(service));
    return k.issued;
  }

  /** A hub move: look epochs up through {@code next} from now on. */
  void use(Connection next) {
    nats = next;
    kv = null;
    siteKv = null;
  }

  private long lookUp(String service) {
    long here = lookUp(service, false);
    // not on this server: an instance on the cloud's hub whose gateway runs a site announces
    // epochs on the site's NATS (its own JetStream domain), reached across the leaf link
    return here >= 0 ? here : lookUp(service, true);
  }

  private long lookUp(String service, boolean site) {
    String key = Subjects.epochKey(gatewayId, service);
    try {
      KeyValue bucket;
      if (site) {
        if (siteKv == null) {
          siteKv = nats.keyValue(Subjects.EPOCH_BUCKET,
              io.nats.client.KeyValueOptions.builder().jsDomain(Subjects.gatewayDomain(gatewayId)).build());
        }
        bucket = siteKv;
      } else {
        if (kv == null) {
          kv = nats.keyValue(Subjects.EPOCH_BUCKET);
        }
        bucket = kv;
      }
      KeyValueEntry e = bucket.get(key);
      if (e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null) {
        return -1;
      }
      String text = new String(e.getValue(), StandardCharsets.US_ASCII).trim();
      return text.matches("[0-9]{1,18}") ? Long.parseLong(text) : -1;
    } catch (Exception ex) {
      if (site) {
        siteKv = null;
        return -1; // no site (a gateway without a leaf node): the plain lookup said all there is
      }
      long now = clock.nanos();
      if (now - lastWarnNanos > TimeUnit.SECONDS.toNanos(10) || lastWarnNanos == 0) {
        lastWarnNanos = now;
        LOG.warn("cannot read the issued epochs of '{}' (KV {} key {}); its messages above the known epoch are"
            + " rejected until it can: {}", service, Subjects.EPOCH_BUCKET, key, ex.toString());
      }
      kv = null;
      return -1;
    }
  }
}
