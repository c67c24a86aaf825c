package io.fogwise.cloud.history;

import io.fogwise.protocol.time.Clock;
import io.fogwise.protocol.time.Scheduler;
import io.nats.client.Connection;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud's miner: every instance ingests the history streams into the shared store; the
 * instance holding the {@link MinerLeader} lease also runs a {@link MiningPass} every
 * {@link Settings#mineEvery} and on request ({@link #runNow}). A pass runs on a thread of its
 * own, one at a time, on a snapshot loaded from the store; leadership is proven with a
 * revision-checked write before the pass and again after it, and an outcome reached by an
 * instance that lost the lease meanwhile is refused.
 */
public final class MinerService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MinerService.class);
  /** How often passes run by default: the history changes slowly next to a pass's cost. */
  public static final Duration DEFAULT_MINE_EVERY = Duration.ofMinutes(10);

  private final HistoryStore store;
  private final HistoryIngestor ingestor;
  private final MinerLeader leader;
  private final MiningPass pass;
  private final Settings settings;
  private final ExecutorService passes;
  private final Scheduler.Cancellable leaseTick;
  private final Scheduler.Cancellable mineTick;
  private volatile java.util.function.Consumer<MiningOutcome> scheduledSink = o -> { };

  /**
   * How a miner instance runs.
   *
   * @param store the store directory (shared by instances on a shared volume, or one per instance)
   * @param minerId this instance, unique among instances; names its segment files
   * @param mineEvery how often the leader runs a pass
   * @param leaseTtl how long the leadership lease lasts unless renewed
   * @param ingest how ingestion runs
   */
  public record Settings(Path store, String minerId, Duration mineEvery, Duration leaseTtl,
      HistoryIngestor.Options ingest) {
    public Settings {
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(ingest, "ingest");
      if (!HistoryStore.validInstanceId(minerId)) {
        throw new IllegalArgumentException("miner-id must be 1-64 letters, digits, '_', '.' or '-', got '" + minerId + "'");
      }
      if (mineEvery.isNegative() || mineEvery.isZero()) {
        throw new IllegalArgumentException("mine-every must be positive, got " + mineEvery);
      }
    }

    /** Defaults for a store in {@code store} and instance {@code minerId}. */
    public static Settings of(Path store, String minerId) {
      return new Settings(store, minerId, DEFAULT_MINE_EVERY, MinerLeader.DEFAULT_TTL,
          HistoryIngestor.Options.defaults());
    }

    /** These settings with passes every {@code d}. */
    public Settings withMineEvery(Duration d) {
      return new Settings(store, minerId, d, leaseTtl, ingest);
    }

    /** These settings with a lease TTL of {@code d}. */
    public Settings withLeaseTtl(Duration d) {
      return new Settings(store, minerId, mineEvery, d, ingest);
    }

    /** These settings with ingestion options {@code o}. */
    public Settings withIngest(HistoryIngestor.Options o) {
      return new Settings(store, minerId, mineEvery, leaseTtl, o);
    }
  }

  private MinerService(HistoryStore store, HistoryIngestor ingestor, MinerLeader leader, MiningPass pass,
      Settings settings, Scheduler scheduler) {
    this.store = store;
    this.ingestor = ingestor;
    this.leader = leader;
    this.pass = pass;
    this.settings = settings;
    this.passes = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fw-miner-pass");
      t.setDaemon(true);
      return t;
    });
    Duration renew = leader.ttl().dividedBy(3);
    leader.tryLead();
    this.leaseTick = scheduler.every(renew, leader::tryLead);
    this.mineTick = scheduler.every(settings.mineEvery(), () -> {
      if (leader.isLeader()) {
        runNow("every " + settings.mineEvery().toMinutes() + " min").thenAccept(o -> scheduledSink.accept(o))
            .exceptionally(e -> {
              LOG.warn("miner {}: the scheduled pass failed: {}", settings.minerId(),
                  e.getCause() != null ? e.getCause().getMessage() : e.toString());
              return null;
            });
      }
    });
  }

  /**
   * Opens the store, starts ingesting and starts contending for the lease.
   *
   * @param scheduler runs the lease renewals (every third of the TTL) and the periodic passes
   */
  public static MinerService start(Connection nats, Settings settings, MiningPass pass, Clock clock,
      Scheduler scheduler, HistoryMetrics metrics) throws IOException {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(pass, "pass");
    HistoryStore store = HistoryStore.open(settings.store(), settings.minerId());
    try {
      HistoryIngestor ingestor = HistoryIngestor.create(nats, store, settings.ingest(), clock, metrics);
      MinerLeader leader = MinerLeader.jetStream(nats, settings.minerId(), settings.leaseTtl(), clock);
      MinerService s = new MinerService(store, ingestor, leader, pass, settings, scheduler);
      ingestor.start();
      LOG.info("miner {} up: store {}, a pass every {} on the leader ({})", settings.minerId(), settings.store(),
          settings.mineEvery(), leader.isLeader() ? "this instance" : leader.current().map(MinerLeader.Lease::describe)
              .orElse("none yet"));
      return s;
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /**
   * Runs a pass now on this instance if it leads.
   *
   * @return the outcome; fails with {@link IllegalStateException} saying who leads if this
   *     instance does not, or if it lost the lease during the pass (the outcome is then discarded)
   */
  public CompletableFuture<MiningOutcome> runNow(String why) {
    Objects.requireNonNull(why, "why");
    return CompletableFuture.supplyAsync(() -> {
      if (!leader.confirm()) {
        throw new IllegalStateException(notLeader());
      }
      History h;
      try {
        h = store.load();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot load the miner's history from " + store.dir() + ": "
            + e.getMessage(), e);
      }
      LOG.info("miner {}: mining pass ({}) over {} telemetry records of {} devices and {} events", settings.minerId(),
          why, h.counts().telemetry(), h.devices().size(), h.counts().events());
      MiningOutcome outcome = pass.mine(h);
      if (!leader.confirm()) {
        throw new IllegalStateException("miner " + settings.minerId() + " lost the mining lease during the pass ("
            + why + "); its outcome is discarded: " + notLeader());
      }
      LOG.info("miner {}: pass done: {}", settings.minerId(), outcome.summary());
      return outcome;
    }, passes);
  }

  private String notLeader() {
    return "miner " + settings.minerId() + " is not the leader; " + leader.current()
        .map(l -> "the leader is " + l.describe() + ": run the pass there")
        .orElse("no instance leads right now (retry within " + leader.ttl().toSeconds() + " s)");
  }

  /**
   * What becomes of a scheduled pass's outcome (the cloud service publishes it); a pass run with
   * {@link #runNow} returns its outcome to the caller instead.
   */
  public void onScheduledPass(java.util.function.Consumer<MiningOutcome> sink) {
    this.scheduledSink = java.util.Objects.requireNonNull(sink, "sink");
  }

  /** Whether this instance leads (at its last look). */
  public boolean isLeader() {
    return leader.isLeader();
  }

  /** The lease. */
  public MinerLeader leader() {
    return leader;
  }

  /** The ingestion. */
  public HistoryIngestor ingestor() {
    return ingestor;
  }

  /** The store. */
  public HistoryStore store() {
    return store;
  }

  /** A snapshot of the history as stored now. */
  public History history() throws IOException {
    return store.load();
  }

  /** Stops ingesting (after the batch in hand), gives up the lease, and closes the store. */
  @Override
  public void close() {
    leaseTick.cancel();
    mineTick.cancel();
    ingestor.close();
    passes.shutdownNow();
    try {
      passes.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    leader.release();
    try {
      store.close();
    } catch (IOException e) {
      LOG.warn("miner {}: closing the store {}: {}", settings.minerId(), store.dir(), e.toString());
    }
    LOG.info("miner {} stopped", settings.minerId());
  }
}
