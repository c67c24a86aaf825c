package io.fogwise.cloud.history;

import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which miner instance runs the mining passes: a lease in the KV bucket {@value #BUCKET}, key
 * {@value #KEY}. The bucket's max age is the lease's TTL, so the hub itself forgets a lease
 * that is not renewed, whatever the instances' clocks say; every write is a compare-and-set on
 * the key's revision, so of two contenders one wins, and a leader that was paused past the TTL
 * finds its revision gone when it wakes and learns it lost the lease ({@link #confirm}) before it
 * publishes anything. A leader that stops cleanly deletes the lease (revision-checked) so
 * another instance takes over at its next look.
 */
public final class MinerLeader {
  private static final Logger LOG = LoggerFactory.getLogger(MinerLeader.class);
  /** The KV bucket of the lease. */
  public static final String BUCKET = "fw-miner";
  /** The key of the lease. */
  public static final String KEY = "leader";
  /**
   * How long a lease lasts unless renewed. Renewed every third of it, so a leader may miss two
   * renewals (a GC pause, a reconnect) and keep it; a dead leader is replaced within about 15 s,
   * nothing next to a pass every 10 minutes.
   */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);

  private final KeyValue kv;
  private final String minerId;
  private final Duration ttl;
  private final Clock clock;
  private long revision;
  private long sinceMillis;
  /**
   * Until when (monotonic ns) the lease is surely still this instance's: the start of the last
   * successful write plus two thirds of the TTL. A renewal that times out (a loaded hub, a
   * connection busy with ingestion) does not end leadership before then; a refused one does.
   */
  private long validUntilNanos;

  /**
   * The value of the lease.
   *
   * @param miner the leading instance
   * @param sinceMillis when it took the lease (its wall clock)
   * @param renewedMillis when it last renewed it
   * @param ttlMillis how long the lease lasts unless renewed
   */
  public record Lease(String miner, long sinceMillis, long renewedMillis, long ttlMillis) {
    /** One line: {@code miner-b (leading since 2026-12-02T01:00:00Z)}. */
    public String describe() {
      return miner + " (leading since " + Instant.ofEpochMilli(sinceMillis) + ")";
    }
  }

  private MinerLeader(KeyValue kv, String minerId, Duration ttl, Clock clock) {
    this.kv = kv;
    this.minerId = minerId;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** The lease for instance {@code minerId} in {@value #BUCKET} (created, or its TTL updated, if needed). */
  public static MinerLeader jetStream(Connection nats, String minerId, Duration ttl, Clock clock) throws IOException {
    Objects.requireNonNull(minerId, "minerId");
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("lease TTL must be at least 1 s, got " + ttl);
    }
    try {
      KeyValueManagement kvm = nats.keyValueManagement();
      KeyValueConfiguration wanted = KeyValueConfiguration.builder().name(BUCKET).maxHistoryPerKey(1).ttl(ttl)
          .storageType(StorageType.File).description("Fogwise miner: which instance runs the mining passes").build();
      KeyValueStatus status = null;
      try {
        status = kvm.getStatus(BUCKET);
      } catch (JetStreamApiException e) {
        if (e.getApiErrorCode() != 10059) {
          throw e;
        }
      }
      if (status == null) {
        try {
          kvm.create(wanted);
        } catch (JetStreamApiException e) {
          kvm.getStatus(BUCKET); // created by another instance meanwhile: fine if it exists now
        }
      } else if (!status.getTtl().equals(ttl)) {
        kvm.update(wanted);
      }
      return new MinerLeader(nats.keyValue(BUCKET), minerId, ttl, Objects.requireNonNull(clock, "clock"));
    } catch (JetStreamApiException e) {
      throw new IOException("cannot open the miner's lease bucket " + BUCKET + ": " + e.getMessage(), e);
    }
  }

  /** The lease's TTL. */
  public Duration ttl() {
    return ttl;
  }

  /** Whether this instance held the lease at its last look (see {@link #confirm} before acting on it). */
  public synchronized boolean isLeader() {
    return revision != 0;
  }

  /**
   * One look: renews the lease if this instance holds it, takes it if nobody does, and says
   * whether this instance leads now. Failures to reach NATS count as not leading.
   */
  public synchronized boolean tryLead() {
    try {
      if (revision != 0) {
        try {
          if (renew()) {
            return true;
          }
        } catch (IOException e) {
          return stillValid("renew", e);
        }
        LOG.warn("miner {}: lost the mining lease (not renewed within {} s, or taken over)", minerId,
            ttl.toSeconds());
      }
      KeyValueEntry e = kv.get(KEY);
      if (e == null || e.getOperation() != KeyValueOperation.PUT) {
        long now = clock.wallMillis();
        long start = clock.nanos();
        try {
          revision = kv.create(KEY, value(now, now));
          sinceMillis = now;
          validUntilNanos = start + ttl.toNanos() * 2 / 3;
          LOG.info("miner {} leads the mining passes (lease revision {}, TTL {} s)", minerId, revision,
              ttl.toSeconds());
          return true;
        } catch (JetStreamApiException taken) {
          return false; // another instance created it first
        }
      }
      Lease l = parse(e.getValue());
      if (l != null && l.miner().equals(minerId) && l.sinceMillis() == sinceMillis && sinceMillis != 0) {
        revision = e.getRevision(); // our own write whose reply was lost
        return renew();
      }
      return false;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      LOG.debug("miner {}: cannot look at the mining lease: {}", minerId, e.toString());
      return revision != 0 && clock.nanos() < validUntilNanos;
    }
  }

  private boolean stillValid(String what, Exception e) {
    boolean valid = clock.nanos() < validUntilNanos;
    LOG.warn("miner {}: cannot {} the mining lease ({}); {}", minerId, what, e.getMessage(),
        valid ? "it is still this instance's for " + (validUntilNanos - clock.nanos()) / 1_000_000 + " ms"
            : "it may have lapsed: not leading until it is renewed");
    return valid;
  }

  /**
   * Whether this instance still holds the lease, proven by renewing it with a compare-and-set
   * on the revision it last wrote: false once another instance took it or it lapsed, even if
   * this instance did not notice (a pause). Call it before publishing a pass's results.
   */
  public synchronized boolean confirm() {
    while (revision != 0) {
      try {
        return renew();
      } catch (IOException | RuntimeException e) {
        // a slow answer is not a lost lease: ask again while the lease surely holds
        if (!stillValid("confirm", e)) {
          return false;
        }
      }
    }
    return false;
  }

  private boolean renew() throws IOException {
    long start = clock.nanos();
    try {
      revision = kv.update(KEY, value(sinceMillis, clock.wallMillis()), revision);
      validUntilNanos = start + ttl.toNanos() * 2 / 3;
      return true;
    } catch (JetStreamApiException e) {
      revision = 0;
      sinceMillis = 0;
      return false;
    }
  }

  /** The current leader, as stored (empty if nobody leads). */
  public Optional<Lease> current() {
    try {
      KeyValueEntry e = kv.get(KEY);
      return e == null || e.getOperation() != KeyValueOperation.PUT ? Optional.empty()
          : Optional.ofNullable(parse(e.getValue()));
    } catch (IOException | JetStreamApiException e) {
      return Optional.empty();
    }
  }

  /** Gives the lease up if held (a revision-checked delete), so another instance takes over at once. */
  public synchronized void release() {
    if (revision == 0) {
      return;
    }
    try {
      kv.delete(KEY, revision);
      LOG.info("miner {} gave up the mining lease", minerId);
    } catch (IOException | JetStreamApiException e) {
      LOG.debug("miner {}: cannot release the mining lease (it lapses by itself): {}", minerId, e.toString());
    } finally {
      revision = 0;
      sinceMillis = 0;
    }
  }

  private byte[] value(long since, long now) {
    return MessageCodec.encode(new Lease(minerId, since, now, ttl.toMillis()));
  }

  private static Lease parse(byte[] value) {
    try {
      return MessageCodec.mapper().readValue(value, Lease.class);
    } catch (IOException e) {
      return null;
    }
  }
}
