package io.fogwise.gateway.lease;

import io.fogwise.protocol.time.Clock;
import io.fogwise.protocol.time.Scheduler;
import io.nats.client.KeyValue;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway per id: a lease on the id in JetStream KV, taken before the gateway touches
 * anything and renewed every {@link #RENEW_INTERVAL}.
 *
 * <p>Every write is a compare-and-set on the key's revision, so of two processes racing for the
 * id exactly one wins. A contender that finds the lease held watches it: a holder that renews
 * is alive, and the contender refuses to start ({@link LeaseHeldException}, naming the holder).
 * A lease that is neither renewed nor released lapses at its {@code expiresAtMillis}; the
 * contender then takes it over with an epoch one higher, but only after also watching it stay
 * unchanged for {@link #LIVENESS_WINDOW} on its own monotonic clock, so a contender whose wall
 * clock runs ahead of the holder's still sees a live holder renew and backs off. A standby
 * gateway would do the same, waiting instead of giving up.
 *
 * <p>A holder whose renewal finds a foreign lease (the compare-and-set fails and the stored
 * lease is not its own) has lost the id and must stop acting at once; {@link #keep} reports it.
 * A renewal that merely fails (NATS unreachable) is retried: if nobody took the lease meanwhile,
 * the next compare-and-set on the holder's own revision still succeeds.
 *
 * <p>Expiry is read from the injected {@link Clock} (wall time for the timestamps in the value,
 * monotonic time for how long the contender watched); methods are thread-safe.
 */
public final class IdLease {
  private static final Logger LOG = LoggerFactory.getLogger(IdLease.class);

  /** The key of the lease in the gateway's bucket {@code fw-desired-<gatewayId>}. */
  public static final String KEY = "lease";
  /**
   * How often the holder renews. A renewal is one KV compare-and-set (≈ 0.2 ms), so once a
   * second costs nothing, and a contender learns within about a second that the holder lives.
   */
  public static final Duration RENEW_INTERVAL = Duration.ofSeconds(1);
  /**
   * How long a lease lasts unless renewed: five renewal intervals, so a holder may miss four in
   * a row (a long GC pause, a loaded 2-core machine, a short NATS reconnect) without a
   * contender taking its id; and short enough that a gateway restarted after a crash under the
   * same id takes over within about {@code TTL} (plus at most {@link #LIVENESS_WINDOW}).
   */
  public static final Duration TTL = Duration.ofSeconds(5);
  /**
   * How long a contender watches a lease that looks lapsed before taking it over: two and a
   * half renewal intervals, so a live holder renews at least twice meanwhile even if the two
   * machines' wall clocks disagree about the expiry.
   */
  public static final Duration LIVENESS_WINDOW = Duration.ofMillis(2_500);
  /** How often a contender looks at a held lease again: often enough to see a renewal quickly. */
  static final Duration POLL = Duration.ofMillis(200);
  /**
   * How long beyond a full TTL and liveness window a contender keeps watching a lease that
   * neither renews nor lapses (the holder's clock far ahead of ours) before refusing to start.
   */
  static final Duration PATIENCE_SLACK = Duration.ofSeconds(2);

  private final LeaseStore store;
  private final String gatewayId;
  private final GatewayLease.Holder me;
  private final Clock clock;

  // as holder
  // volatile: read without the lock by current(), which /health calls from the HTTP event loop
  private volatile GatewayLease lease;
  private long revision;
  private long renewedNanos;
  private GatewayLease lostTo;
  private volatile boolean lost;
  // as contender
  private long watchedRevision = -1;
  private long watchedSinceNanos;

  IdLease(LeaseStore store, String gatewayId, GatewayLease.Holder me, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
    this.me = Objects.requireNonNull(me, "me");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The lease on {@code gatewayId} in {@code bucket} (the gateway's {@code fw-desired-<id>}), held as {@code me}. */
  public static IdLease jetStream(KeyValue bucket, String gatewayId, GatewayLease.Holder me, Clock clock) {
    return new IdLease(new KvLeaseStore(Objects.requireNonNull(bucket, "bucket")), gatewayId, me, clock);
  }

  /** What one look at the lease found. */
  sealed interface Attempt permits Acquired, Refused, Waiting {}

  /** The lease is ours. */
  record Acquired(GatewayLease lease) implements Attempt {}

  /** Someone else holds it and is alive; {@code holder} is null if its value does not parse. */
  record Refused(GatewayLease holder, String why) implements Attempt {}

  /** Someone else holds it and has not renewed (yet): look again in {@code retryIn}. */
  record Waiting(Duration retryIn, GatewayLease holder) implements Attempt {}

  /** Waits between looks; production sleeps, tests advance a manual clock. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;

    /** {@link Thread#sleep}. */
    static Sleeper real() {
      return d -> Thread.sleep(Math.max(1, d.toMillis()));
    }
  }

  /**
   * Acquires the lease, waiting while a lease that is not renewed lapses (at most {@link #TTL}
   * plus {@link #LIVENESS_WINDOW} and {@link #PATIENCE_SLACK}).
   *
   * @throws LeaseHeldException when a live process holds it
   */
  public GatewayLease acquire(Sleeper sleeper) throws Exception {
    long deadline = clock.nanos() + TTL.plus(LIVENESS_WINDOW).plus(PATIENCE_SLACK).toNanos();
    boolean told = false;
    while (true) {
      Attempt a = tryAcquire();
      if (a instanceof Acquired acquired) {
        return acquired.lease();
      }
      if (a instanceof Refused refused) {
        throw held(refused.holder(), refused.why());
      }
      Waiting w = (Waiting) a;
      if (clock.nanos() - deadline >= 0) {
        throw held(w.holder(), "it was not renewed for " + (TTL.plus(LIVENESS_WINDOW).plus(PATIENCE_SLACK).toSeconds())
            + " s but has not lapsed either by this machine's clock" + (w.holder() == null ? ""
            : " (it expires at " + Instant.ofEpochMilli(w.holder().expiresAtMillis()) + ")")
            + ": are the two machines' clocks apart?");
      }
      if (!told && w.holder() != null && w.holder().expiredAt(clock.wallMillis())) {
        // a live holder renews within a second and this ends quietly; a lapsed one is worth a line
        told = true;
        LOG.info("gateway id {}: the lease of {} lapsed at {}; taking it over unless it is renewed within {} ms",
            gatewayId, w.holder().describe(), Instant.ofEpochMilli(w.holder().expiresAtMillis()),
            LIVENESS_WINDOW.toMillis());
      }
      sleeper.sleep(w.retryIn());
    }
  }

  /** One look at the lease: take it if free or lapsed, refuse if renewed, otherwise wait. */
  synchronized Attempt tryAcquire() throws Exception {
    if (lease != null) {
      return new Acquired(lease);
    }
    long now = clock.nanos();
    Optional<LeaseStore.Versioned> stored = store.read();
    if (stored.isEmpty()) {
      GatewayLease first = GatewayLease.acquired(gatewayId, store.epochFloor() + 1, me, clock.wallMillis(), TTL);
      try {
        return hold(first, store.create(first), now);
      } catch (LeaseStore.Conflict someoneElse) {
        return new Waiting(Duration.ZERO, null); // created meanwhile: look at it
      }
    }
    LeaseStore.Versioned v = stored.get();
    GatewayLease l = v.lease();
    if (l != null && !l.released() && me.sameInstance(l.holder())) {
      return hold(l, v.revision(), now); // our own write, whose reply was lost
    }
    if (l != null && l.released()) {
      return takeOver(v, now);
    }
    if (watchedRevision != v.revision()) {
      boolean changed = watchedRevision >= 0;
      watchedRevision = v.revision();
      watchedSinceNanos = now;
      if (changed) {
        return new Refused(l, "renewed while this gateway watched it, so its holder is alive");
      }
    }
    long watched = now - watchedSinceNanos;
    boolean lapsed = l == null ? watched >= TTL.toNanos() : l.expiredAt(clock.wallMillis());
    if (lapsed && watched >= LIVENESS_WINDOW.toNanos()) {
      return takeOver(v, now);
    }
    return new Waiting(POLL, l);
  }

  private Attempt takeOver(LeaseStore.Versioned v, long now) throws Exception {
    long epoch = v.lease() == null ? v.revision() + 1 : v.lease().epoch() + 1;
    GatewayLease next = GatewayLease.acquired(gatewayId, epoch, me, clock.wallMillis(), TTL);
    try {
      Attempt a = hold(next, store.update(next, v.revision()), now);
      if (v.lease() != null && !v.lease().released()) {
        LOG.warn("gateway id {}: took over the lapsed lease of {} (not renewed since {})", gatewayId,
            v.lease().describe(), Instant.ofEpochMilli(v.lease().renewedAtMillis()));
      }
      return a;
    } catch (LeaseStore.Conflict someoneElse) {
      return new Waiting(Duration.ZERO, v.lease()); // renewed or taken meanwhile: look again
    }
  }

  private Attempt hold(GatewayLease l, long rev, long now) {
    lease = l;
    revision = rev;
    renewedNanos = now;
    lost = false;
    LOG.info("gateway {} holds its id: lease epoch {} in {}, renewed every {} s, lapses {} s after the last renewal",
        gatewayId, l.epoch(), store.where(), RENEW_INTERVAL.toSeconds(), TTL.toSeconds());
    return new Acquired(l);
  }

  private LeaseHeldException held(GatewayLease holder, String why) {
    return new LeaseHeldException("gateway id " + gatewayId + " is already in use by "
        + (holder == null ? "a process whose lease does not parse" : holder.describe()) + " (" + store.where() + "; "
        + why + "); stop that gateway first or choose another --id", holder);
  }

  /** How a renewal went. */
  public enum Outcome { RENEWED, FAILED, LOST }

  /**
   * The result of {@link #renew}.
   *
   * @param outcome renewed, failed for now (retried), or lost to another holder
   * @param holder the lease as stored after it: ours, or the one that took it (null if unreadable)
   * @param failure why it failed, for FAILED
   */
  public record Renewal(Outcome outcome, GatewayLease holder, Exception failure) {}

  /** Renews the lease once (a blocking KV compare-and-set). */
  public synchronized Renewal renew() {
    if (lost) {
      return new Renewal(Outcome.LOST, lostTo, null);
    }
    if (lease == null) {
      throw new IllegalStateException("the lease on " + gatewayId + " is not held");
    }
    long now = clock.nanos();
    GatewayLease next = lease.renewed(clock.wallMillis(), TTL);
    try {
      try {
        revision = store.update(next, revision);
        lease = next;
        renewedNanos = now;
        return new Renewal(Outcome.RENEWED, lease, null);
      } catch (LeaseStore.Conflict conflict) {
        Optional<LeaseStore.Versioned> stored = store.read();
        if (stored.isPresent() && stored.get().lease() != null && !stored.get().lease().released()
            && stored.get().lease().epoch() == lease.epoch() && me.sameInstance(stored.get().lease().holder())) {
          // our own renewal whose reply was lost (a timeout, a reconnect): carry on from it
          revision = stored.get().revision();
          lease = stored.get().lease();
          renewedNanos = now;
          return new Renewal(Outcome.RENEWED, lease, null);
        }
        if (stored.isEmpty()) {
          // deleted by hand: put it back, unless someone else creates it first
          try {
            revision = store.create(next);
            lease = next;
            renewedNanos = now;
            return new Renewal(Outcome.RENEWED, lease, null);
          } catch (LeaseStore.Conflict raced) {
            stored = store.read();
          }
        }
        lost = true;
        lostTo = stored.map(LeaseStore.Versioned::lease).orElse(null);
        return new Renewal(Outcome.LOST, lostTo, null);
      }
    } catch (Exception e) {
      return new Renewal(Outcome.FAILED, lease, e);
    }
  }

  /** How long ago the last successful renewal (or the acquisition) was, by the injected clock. */
  public synchronized Duration sinceRenewed() {
    return Duration.ofNanos(clock.nanos() - renewedNanos);
  }

  /**
   * The lease as last written by this holder, empty when not held (never, released, or lost).
   * Never waits: a renewal holds the lock during a KV call that can take seconds while NATS is
   * away, and {@code /health} must answer meanwhile.
   */
  public Optional<GatewayLease> current() {
    return lost ? Optional.empty() : Optional.ofNullable(lease);
  }

  /**
   * Gives the lease up (a compare-and-set marking it released), so a gateway restarted under
   * the same id takes it at once. Does nothing when not held; a failure only means the next
   * holder waits for the lease to lapse.
   */
  public synchronized void release() {
    if (lease == null || lost) {
      return;
    }
    try {
      store.update(lease.releasedAt(clock.wallMillis()), revision);
      LOG.info("gateway {} released its id (lease epoch {})", gatewayId, lease.epoch());
    } catch (LeaseStore.Conflict taken) {
      LOG.warn("gateway {}: the lease was no longer ours to release (lease epoch {})", gatewayId, lease.epoch());
    } catch (Exception e) {
      LOG.warn("gateway {}: the lease could not be released ({}); a gateway started under this id waits up to {} s for"
          + " it to lapse", gatewayId, e.toString(), TTL.toSeconds());
    }
    lease = null;
  }

  /**
   * Renews every {@link #RENEW_INTERVAL} on {@code scheduler}, the KV call itself on {@code io}
   * (never on the decision thread: with NATS away a renewal may block for seconds). Calls
   * {@code onLost} once, from {@code io}, when another holder took the lease.
   */
  public Scheduler.Cancellable keep(Scheduler scheduler, Executor io, Consumer<GatewayLease> onLost) {
    Objects.requireNonNull(onLost, "onLost");
    AtomicBoolean inFlight = new AtomicBoolean();
    AtomicBoolean failing = new AtomicBoolean();
    AtomicBoolean reportedLost = new AtomicBoolean();
    return scheduler.every(RENEW_INTERVAL, () -> {
      if (!inFlight.compareAndSet(false, true)) {
        return; // the previous renewal is still blocked: do not pile up
      }
      io.execute(() -> {
        try {
          Renewal r = renew();
          switch (r.outcome()) {
            case RENEWED -> {
              if (failing.getAndSet(false)) {
                LOG.info("gateway {} renews its id lease again", gatewayId);
              }
            }
            case FAILED -> {
              Duration since = sinceRenewed();
              if (!failing.getAndSet(true) || since.compareTo(TTL) >= 0 && since.minus(RENEW_INTERVAL).compareTo(TTL) < 0) {
                LOG.warn("gateway {} could not renew its id lease for {} ms ({}){}", gatewayId, since.toMillis(),
                    r.failure().toString(), since.compareTo(TTL) >= 0 ? "; it has lapsed, so another gateway may take"
                        + " the id over: this one stops as soon as it sees that" : "; retrying");
              }
            }
            case LOST -> {
              if (reportedLost.compareAndSet(false, true)) {
                onLost.accept(r.holder());
              }
            }
          }
        } catch (RuntimeException e) {
          LOG.warn("gateway {}: lease renewal failed: {}", gatewayId, e.toString());
        } finally {
          inFlight.set(false);
        }
      });
    });
  }
}
