package io.fogwise.cloud;

import io.fogwise.cloud.data.DataResponder;
import io.fogwise.cloud.data.DataStore;
import io.fogwise.cloud.publish.MineRequests;
import io.fogwise.cloud.publish.Proposal;
import io.fogwise.cloud.publish.Proposals;
import io.fogwise.cloud.history.HistoryMetrics;
import io.fogwise.cloud.history.MinerService;
import io.fogwise.cloud.history.MiningOutcome;
import io.fogwise.cloud.history.MiningPass;
import io.fogwise.cloud.mining.Miner;
import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.protocol.time.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud service: holds the data the gateways cache ({@link DataStore}) and answers their
 * reads on {@value Subjects#CLOUD_DATA_GET}. Changes are made with the store directly (the
 * {@code fogwise cloud data} commands), which announces them, so they work while the service
 * is down. With a miner configured it also runs the {@link MinerService}: ingesting the
 * history streams and, on the leading instance, mining passes.
 */
public final class CloudService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CloudService.class);

  private final Connection nats;
  private final DataStore data;
  private final DataResponder responder;
  private final MessageRejections rejections;
  private final Proposals proposals;
  private final MineRequests mineRequests;
  private final MeterRegistry meters;
  private final MinerService miner;
  private final ScheduledExecutorService minerTimer;
  private final Connection minerNats;

  private CloudService(Connection nats, DataStore data, DataResponder responder, MessageRejections rejections,
      Proposals proposals, MineRequests mineRequests, MeterRegistry meters, MinerService miner,
      ScheduledExecutorService minerTimer, Connection minerNats) {
    this.nats = nats;
    this.data = data;
    this.responder = responder;
    this.rejections = rejections;
    this.proposals = proposals;
    this.mineRequests = mineRequests;
    this.meters = meters;
    this.miner = miner;
    this.minerTimer = minerTimer;
    this.minerNats = minerNats;
  }

  /** {@link #start(CloudConfig, MiningPass)} with the miner's passes ({@link Miner#withDefaults}). */
  public static CloudService start(CloudConfig config) {
    return start(config, Miner.withDefaults(java.time.Clock.systemUTC())::mine);
  }

  /**
   * Connects to NATS, opens the data store (creating its bucket and object store if missing)
   * and starts answering; starts the miner if {@link CloudConfig#miner} says so, with
   * {@code pass} as its mining pass; logs one line when it does.
   *
   * @throws UncheckedIOException if NATS cannot be reached or JetStream is not enabled
   */
  public static CloudService start(CloudConfig config, MiningPass pass) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(pass, "pass");
    Connection nats = connect(config, "cloud", config.auth());
    try {
      DataStore data = DataStore.jetStream(nats, config.limits(), config.clock());
      MessageRejections rejections = new MessageRejections("cloud");
      DataResponder responder = DataResponder.start(nats, data, rejections, config.workers(), config.queue(),
          config.startTimeout());
      Proposals proposals = Proposals.create(nats, config.signingKey(), config.publishMode(), config.clock(),
          Proposals.DEFAULT_OUTCOME_TIMEOUT);
      MineRequests mine = null;
      if (config.mineOnRequest() != null) {
        try {
          mine = MineRequests.start(nats, config.mineOnRequest(), proposals, rejections, config.clock(),
              config.startTimeout());
        } catch (java.util.concurrent.TimeoutException e) {
          responder.close();
          throw new UncheckedIOException(new IOException("NATS did not confirm the subscription to "
              + Subjects.CLOUD_MINE + " within " + config.startTimeout().toMillis() + " ms"));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          responder.close();
          throw new UncheckedIOException(new InterruptedIOException("interrupted while subscribing to "
              + Subjects.CLOUD_MINE));
        }
      }
      LOG.info("cloud service up on {}: answering {} from KV {} and object store {} ({} workers); mined rules: {}",
          nats.getConnectedUrl(), Subjects.CLOUD_DATA_GET, Subjects.CLOUD_DATA_BUCKET, Subjects.CLOUD_OBJECT_STORE,
          config.workers(), config.signingKey() == null ? "findings only (no --signing-key)"
              : config.publishMode().name().toLowerCase(java.util.Locale.ROOT) + ", signed with key "
                  + config.signingKey().keyId());
      MeterRegistry meters = new SimpleMeterRegistry();
      MinerService miner = null;
      ScheduledExecutorService timer = null;
      Connection minerNats = null;
      if (config.miner() != null) {
        if (config.minerAuth() != null) {
          minerNats = connect(config, "miner", config.minerAuth());
        } else {
          LOG.warn("the miner shares the cloud service's connection: give it credentials of role miner "
              + "('fogwise identity issue miner <id>') or ingestion slows to about a thousand messages/s");
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "fw-miner-timer");
          t.setDaemon(true);
          return t;
        });
        try {
          miner = MinerService.start(minerNats != null ? minerNats : nats, config.miner(), pass, config.clock(),
              Scheduler.executor(timer), HistoryMetrics.micrometer(meters, config.miner().minerId()));
          // a scheduled pass publishes what it found as a request's pass does (MineRequests)
          miner.onScheduledPass(o -> {
            if (o instanceof MiningResult r) {
              Proposal p = proposals.propose(r);
              LOG.info("scheduled mining pass: {}: {}", p.outcome(), p.message());
            }
          });
        } catch (IOException e) {
          // the data service is still useful without the miner (a hub without history streams)
          LOG.warn("the miner is not running: {}", e.getMessage());
          timer.shutdownNow();
          timer = null;
          closeQuietly(minerNats);
          minerNats = null;
        } catch (RuntimeException e) {
          timer.shutdownNow();
          if (mine != null) {
            mine.close();
          }
          responder.close();
          closeQuietly(minerNats);
          throw e;
        }
        if (miner != null && mine == null) {
          MinerService running = miner;
          try {
            // every instance listens; only the leader answers, so a request runs one pass, where the lease is
            mine = MineRequests.start(nats, why -> running.runNow(why).thenApply(CloudService::result),
                running::isLeader, proposals, rejections, config.clock(), config.startTimeout());
          } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) {
              Thread.currentThread().interrupt();
            }
            running.close();
            timer.shutdownNow();
            closeQuietly(minerNats);
            responder.close();
            throw new UncheckedIOException(new IOException("NATS did not confirm the subscription to "
                + Subjects.CLOUD_MINE + " within " + config.startTimeout().toMillis() + " ms"));
          }
        }
      }
      return new CloudService(nats, data, responder, rejections, proposals, mine, meters, miner, timer, minerNats);
    } catch (RuntimeException e) {
      closeQuietly(nats);
      throw e;
    }
  }

  private static Connection connect(CloudConfig config, String name, io.fogwise.protocol.auth.NatsAuth auth) {
    try {
      return Nats.connect(NatsOptions.component(config.natsUrl(), name, auth)
          .connectionTimeout(config.startTimeout())
          .build());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach NATS at " + config.natsUrl() + " (" + e.getMessage()
          + "); is the hub running (fogwise hub)?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new InterruptedIOException("interrupted while connecting to " + config.natsUrl()));
    }
  }

  /** The data store this service answers from. */
  public DataStore data() {
    return data;
  }

  /** Requests that could not be read, by kind ({@value DataResponder#KIND}) and reason. */
  public MessageRejections rejections() {
    return rejections;
  }

  /** How the data requests were answered so far. */
  public DataResponder.Stats dataStats() {
    return responder.stats();
  }

  /** Turns mining results into signed candidates or publications. */
  public Proposals proposals() {
    return proposals;
  }

  /** The miner, unless this service runs none. */
  public Optional<MinerService> miner() {
    return Optional.ofNullable(miner);
  }

  /** The service's metrics (the miner's counters among them). */
  public MeterRegistry meters() {
    return meters;
  }

  /** Stops the miner and answering, and disconnects. */
  @Override
  public void close() {
    if (mineRequests != null) {
      mineRequests.close();
    }
    if (miner != null) {
      miner.close();
      minerTimer.shutdownNow();
      closeQuietly(minerNats);
    }
    responder.close();
    closeQuietly(nats);
    LOG.info("cloud service stopped");
  }

  private static void closeQuietly(Connection nats) {
    if (nats == null) {
      return;
    }
    try {
      nats.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A pass's outcome as a result to publish; a pass that is no miner's (none configured) published nothing. */
  private static MiningResult result(MiningOutcome o) {
    if (o instanceof MiningResult r) {
      return r;
    }
    throw new IllegalStateException(o.summary());
  }
}
