package io.fogwise.cloud;

import io.fogwise.cloud.data.DataLimits;
import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.cloud.publish.Proposals;
import io.fogwise.protocol.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** How a {@link CloudService} runs. Immutable; build with {@link #builder(String)}. */
public final class CloudConfig {
  /**
   * Threads that answer data requests. Each answer is one or two blocking JetStream round trips
   * (≈ 0.2–1 ms), so a few threads keep the NATS dispatcher free and use both cores.
   */
  public static final int DEFAULT_WORKERS = 4;
  /** Requests waiting for a worker before new ones are answered "busy" rather than queued without bound. */
  public static final int DEFAULT_QUEUE = 1024;
  /** How long to wait for NATS and JetStream at start. */
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(10);

  private final String natsUrl;
  private final io.fogwise.protocol.auth.NatsAuth auth;
  private final DataLimits limits;
  private final Clock clock;
  private final int workers;
  private final int queue;
  private final Duration startTimeout;
  private final io.fogwise.policy.PolicyBundles.SigningKey signingKey;
  private final Proposals.Mode publishMode;
  private final Function<String, CompletableFuture<MiningResult>> miner;

  private CloudConfig(Builder b) {
    this.natsUrl = b.natsUrl;
    this.auth = b.auth;
    this.limits = b.limits;
    this.clock = b.clock;
    this.workers = b.workers;
    this.queue = b.queue;
    this.startTimeout = b.startTimeout;
    this.signingKey = b.signingKey;
    this.publishMode = b.publishMode;
    this.miner = b.miner;
  }

  /** A builder for a service on the hub at {@code natsUrl}. */
  public static Builder builder(String natsUrl) {
    return new Builder(natsUrl);
  }

  public String natsUrl() {
    return natsUrl;
  }

  /** How the service authenticates to the hub. */
  public io.fogwise.protocol.auth.NatsAuth auth() {
    return auth;
  }

  public DataLimits limits() {
    return limits;
  }

  public Clock clock() {
    return clock;
  }

  public int workers() {
    return workers;
  }

  public int queue() {
    return queue;
  }

  public Duration startTimeout() {
    return startTimeout;
  }

  /** The key mined bundles are signed with, or null: the miner then stores findings only. */
  public io.fogwise.policy.PolicyBundles.SigningKey signingKey() {
    return signingKey;
  }

  /** Whether mined bundles are proposed (default) or published at once. */
  public Proposals.Mode publishMode() {
    return publishMode;
  }

  /** What runs a mining pass on request ({@code fogwise cloud mine --now}), or null: no pass runs on request. */
  public Function<String, CompletableFuture<MiningResult>> miner() {
    return miner;
  }

  /** Builds a {@link CloudConfig}. */
  public static final class Builder {
    private final String natsUrl;
    private DataLimits limits = DataLimits.DEFAULT;
    private Clock clock = Clock.system();
    private int workers = DEFAULT_WORKERS;
    private int queue = DEFAULT_QUEUE;
    private Duration startTimeout = DEFAULT_START_TIMEOUT;
    private io.fogwise.protocol.auth.NatsAuth auth;
    private io.fogwise.policy.PolicyBundles.SigningKey signingKey;
    private Proposals.Mode publishMode = Proposals.Mode.PROPOSE;
    private Function<String, CompletableFuture<MiningResult>> miner;

    private Builder(String natsUrl) {
      this.natsUrl = Objects.requireNonNull(natsUrl, "natsUrl");
    }

    /** The service's credentials and CA ({@code NatsAuth.insecure()} only for a hub run with --insecure). Required. */
    public Builder auth(io.fogwise.protocol.auth.NatsAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    public Builder limits(DataLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder workers(int workers) {
      if (workers < 1 || workers > 64) {
        throw new IllegalArgumentException("workers must be within [1, 64], got " + workers);
      }
      this.workers = workers;
      return this;
    }

    public Builder queue(int queue) {
      if (queue < 1) {
        throw new IllegalArgumentException("queue must be >= 1, got " + queue);
      }
      this.queue = queue;
      return this;
    }

    public Builder startTimeout(Duration startTimeout) {
      if (startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive, got " + startTimeout);
      }
      this.startTimeout = startTimeout;
      return this;
    }

    /** The cloud key ({@code fogwise rules keygen}) mined bundles are signed with; null: findings only. */
    public Builder signingKey(io.fogwise.policy.PolicyBundles.SigningKey signingKey) {
      this.signingKey = signingKey;
      return this;
    }

    /** {@link Proposals.Mode#PROPOSE} (default) or {@link Proposals.Mode#AUTO}. */
    public Builder publishMode(Proposals.Mode publishMode) {
      this.publishMode = Objects.requireNonNull(publishMode, "publishMode");
      return this;
    }

    /**
     * Runs a pass for a reason and completes with its result (the leader's {@code runNow});
     * when set, the service answers {@value io.fogwise.protocol.Subjects#CLOUD_MINE}.
     */
    public Builder miner(Function<String, CompletableFuture<MiningResult>> miner) {
      this.miner = miner;
      return this;
    }

    public CloudConfig build() {
      if (auth == null) {
        throw new IllegalStateException("the cloud service has no NATS credentials (auth); "
            + "'fogwise identity issue cloud <id>' writes them");
      }
      return new CloudConfig(this);
    }
  }
}
