package io.fogwise.cloud;

import io.fogwise.cloud.data.DataResponder;
import io.fogwise.cloud.data.DataStore;
import io.fogwise.cloud.publish.MineRequests;
import io.fogwise.cloud.publish.Proposals;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud service: holds the data the gateways cache ({@link DataStore}) and answers their
 * reads on {@value Subjects#CLOUD_DATA_GET}. Changes are made with the store directly (the
 * {@code fogwise cloud data} commands), which announces them, so they work while the service
 * is down.
 */
public final class CloudService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CloudService.class);

  private final Connection nats;
  private final DataStore data;
  private final DataResponder responder;
  private final MessageRejections rejections;
  private final Proposals proposals;
  private final MineRequests mineRequests;

  private CloudService(Connection nats, DataStore data, DataResponder responder, MessageRejections rejections,
      Proposals proposals, MineRequests mineRequests) {
    this.nats = nats;
    this.data = data;
    this.responder = responder;
    this.rejections = rejections;
    this.proposals = proposals;
    this.mineRequests = mineRequests;
  }

  /**
   * Connects to NATS, opens the data store (creating its bucket and object store if missing)
   * and starts answering; logs one line when it does.
   *
   * @throws UncheckedIOException if NATS cannot be reached or JetStream is not enabled
   */
  public static CloudService start(CloudConfig config) {
    Objects.requireNonNull(config, "config");
    Connection nats;
    try {
      nats = Nats.connect(NatsOptions.component(config.natsUrl(), "cloud", config.auth())
          .connectionTimeout(config.startTimeout())
          .build());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach NATS at " + config.natsUrl() + " (" + e.getMessage()
          + "); is the hub running (fogwise hub)?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new InterruptedIOException("interrupted while connecting to " + config.natsUrl()));
    }
    try {
      DataStore data = DataStore.jetStream(nats, config.limits(), config.clock());
      MessageRejections rejections = new MessageRejections("cloud");
      DataResponder responder = DataResponder.start(nats, data, rejections, config.workers(), config.queue(),
          config.startTimeout());
      Proposals proposals = Proposals.create(nats, config.signingKey(), config.publishMode(), config.clock(),
          Proposals.DEFAULT_OUTCOME_TIMEOUT);
      MineRequests mine = null;
      if (config.miner() != null) {
        try {
          mine = MineRequests.start(nats, config.miner(), proposals, rejections, config.clock(), config.startTimeout());
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
      return new CloudService(nats, data, responder, rejections, proposals, mine);
    } catch (RuntimeException e) {
      closeQuietly(nats);
      throw e;
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

  /** Stops answering and disconnects. */
  @Override
  public void close() {
    if (mineRequests != null) {
      mineRequests.close();
    }
    responder.close();
    closeQuietly(nats);
    LOG.info("cloud service stopped");
  }

  private static void closeQuietly(Connection nats) {
    try {
      nats.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
