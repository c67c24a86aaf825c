package io.fogwise.cloud;

import io.fogwise.cloud.data.DataLimits;
import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.cloud.publish.Proposals;
import io.fogwise.cloud.history.MinerService;
import io.fogwise.protocol.time.Clock;
import java.nio.file.Path;
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
  private final Function<String, CompletableFuture<MiningResult>> mineOnRequest;
  private final MinerService.Settings miner;
  private final io.fogwise.protocol.auth.NatsAuth minerAuth;

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
    this.mineOnRequest = b.mineOnRequest;
    this.miner = b.miner;
    this.minerAuth = b.minerAuth;
  }

  /**
   * Where the miner keeps its history unless told otherwise: {@code $XDG_DATA_HOME/fogwise/miner},
   * else {@code ~/.local/share/fogwise/miner}.
   */
  public static Path defaultMinerStore() {
    String xdg = System.getenv("XDG_DATA_HOME");
    Path data = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local",
        "share");
    return data.resolve("fogwise").resolve("miner");
  }

  /** A miner id unique to this process: the host name and the pid ({@code box.4242}). */
  public static String defaultMinerId() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "host";
    }
    String id = host.replaceAll("[^A-Za-z0-9_]", "_") + "." + ProcessHandle.current().pid();
    return id.length() > 64 ? id.substring(id.length() - 64) : id;
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

  /**
   * What runs a pass on request ({@code fogwise cloud mine --now}) instead of a miner of this
   * service's own (tests), or null.
   */
  public Function<String, CompletableFuture<MiningResult>> mineOnRequest() {
    return mineOnRequest;
  }

  /** The miner's own credentials (role miner), or null: it then shares the service's connection. */
  public io.fogwise.protocol.auth.NatsAuth minerAuth() {
    return minerAuth;
  }

  /** How the miner runs, or null if this service runs none. */
  public MinerService.Settings miner() {
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
    private Function<String, CompletableFuture<MiningResult>> mineOnRequest;
    private MinerService.Settings miner;
    private io.fogwise.protocol.auth.NatsAuth minerAuth;

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
     * Answers {@value io.fogwise.protocol.Subjects#CLOUD_MINE} with passes run by {@code pass}
     * rather than by a miner of this service's own (for tests of publishing with a fixed result).
     */
    public Builder mineOnRequest(Function<String, CompletableFuture<MiningResult>> pass) {
      this.mineOnRequest = pass;
      return this;
    }

    /** Runs the miner as {@code miner} says ({@code null}: no miner, the default). */
    public Builder miner(MinerService.Settings miner) {
      this.miner = miner;
      return this;
    }

    /**
     * The miner connects with these credentials of role {@code miner} ({@code fogwise identity
     * issue miner <id>}). Without them it uses the service's connection, whose response
     * permission makes the hub's bookkeeping slow ingestion to about a thousand messages/s once
     * thousands are in flight.
     */
    public Builder minerAuth(io.fogwise.protocol.auth.NatsAuth minerAuth) {
      this.minerAuth = minerAuth;
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
