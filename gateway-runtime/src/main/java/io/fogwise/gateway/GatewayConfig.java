package io.fogwise.gateway;

import io.fogwise.gateway.core.reconcile.Reconciler;
import io.fogwise.protocol.time.Clock;
import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import io.fogwise.rules.model.Parameters;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** Immutable gateway settings; build with {@link #builder(String, String)}. */
public final class GatewayConfig {
  /** How often suspicion, rules and the reconciler run. */
  public static final Duration DEFAULT_TICK = Duration.ofMillis(25);
  /** How often the status summary is published. */
  public static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(1);
  /** How long to wait for an agent's reply to a command. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(3);
  /**
   * The cache of cloud data: 64 MiB, fresh 5 min, refreshed ahead after 30 s, stale up to 1 h
   * (each a {@code CloudCache.Settings.DEFAULT_} constant).
   */
  public static final io.fogwise.gateway.cache.CloudCache.Settings DEFAULT_CACHE =
      io.fogwise.gateway.cache.CloudCache.Settings.DEFAULT;

  /** Which orchestrator carries out the gateway's intents. */
  public enum Orchestration {
    /** Edge agents host instances, commanded over NATS (the default). */
    PROCESS,
    /**
     * This host's Docker engine is a Swarm manager: instances are Swarm services on nodes
     * labelled {@code fogwise.device}, and those nodes are the gateway's devices
     * ({@link io.fogwise.gateway.swarm.SwarmOrchestrator}).
     */
    SWARM
  }

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  final String gatewayId;
  final String natsUrl;
  final Clock clock;
  final Duration tick;
  final Duration statusInterval;
  final Duration commandTimeout;
  final PhiAccrualDetector.Settings detector;
  final Reconciler.Settings reconciler;
  final Parameters parameters;
  final List<RuleSource> rules;
  final boolean durable;
  final boolean leafSite;
  final int httpPort;
  final io.fogwise.gateway.http.GatewayHttpServer.Settings http;
  final io.fogwise.policy.TrustedKeys trustedKeys;
  final io.fogwise.gateway.policy.PolicyManager.Settings policy;
  final Duration startTimeout;
  final io.fogwise.protocol.time.Scheduler scheduler;
  final io.fogwise.gateway.cache.CloudCache.Settings cache;
  final io.fogwise.protocol.auth.NatsAuth auth;
  final io.fogwise.gateway.orchestrator.InstanceCredentials instanceCredentials;
  final Orchestration orchestration;
  final String instanceNatsUrl;

  private GatewayConfig(Builder b) {
    this.gatewayId = b.gatewayId;
    this.natsUrl = b.natsUrl;
    this.clock = b.clock;
    this.tick = b.tick;
    this.statusInterval = b.statusInterval;
    this.commandTimeout = b.commandTimeout;
    this.detector = b.detector;
    this.reconciler = b.reconciler;
    this.parameters = b.parameters;
    this.rules = b.rules;
    this.durable = b.durable;
    this.leafSite = b.leafSite;
    this.httpPort = b.httpPort;
    this.http = b.http;
    this.trustedKeys = b.trustedKeys;
    this.policy = b.policy;
    this.startTimeout = b.startTimeout;
    this.scheduler = b.scheduler;
    this.cache = b.cache;
    this.auth = b.auth;
    this.instanceCredentials = b.instanceCredentials;
    this.orchestration = b.orchestration;
    this.instanceNatsUrl = b.instanceNatsUrl != null ? b.instanceNatsUrl : b.natsUrl;
  }

  public static Builder builder(String gatewayId, String natsUrl) {
    return new Builder(gatewayId, natsUrl);
  }

  public String gatewayId() {
    return gatewayId;
  }

  public String natsUrl() {
    return natsUrl;
  }

  /** Builds a {@link GatewayConfig}. */
  public static final class Builder {
    private final String gatewayId;
    private final String natsUrl;
    private Clock clock = Clock.system();
    private io.fogwise.protocol.time.Scheduler scheduler;
    private Duration tick = DEFAULT_TICK;
    private Duration statusInterval = DEFAULT_STATUS_INTERVAL;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private PhiAccrualDetector.Settings detector = PhiAccrualDetector.Settings.DEFAULT;
    private Reconciler.Settings reconciler = Reconciler.Settings.DEFAULT;
    private Parameters parameters = Parameters.defaults();
    private List<RuleSource> rules = RuleSet.builtInPacks();
    private boolean durable = true;
    private boolean leafSite;
    private int httpPort = -1;
    private io.fogwise.gateway.http.GatewayHttpServer.Settings http =
        io.fogwise.gateway.http.GatewayHttpServer.Settings.DEFAULT;
    private io.fogwise.policy.TrustedKeys trustedKeys = io.fogwise.policy.TrustedKeys.none();
    private io.fogwise.gateway.policy.PolicyManager.Settings policy = io.fogwise.gateway.policy.PolicyManager.Settings.DEFAULT;
    private Duration startTimeout = Duration.ofSeconds(60);
    private io.fogwise.gateway.cache.CloudCache.Settings cache = DEFAULT_CACHE;
    private io.fogwise.protocol.auth.NatsAuth auth;
    private io.fogwise.gateway.orchestrator.InstanceCredentials instanceCredentials;
    private Orchestration orchestration = Orchestration.PROCESS;
    private String instanceNatsUrl;

    private Builder(String gatewayId, String natsUrl) {
      Objects.requireNonNull(gatewayId, "gatewayId");
      if (!ID.matcher(gatewayId).matches()) {
        throw new IllegalArgumentException("gateway id must be 1-64 of [A-Za-z0-9_-], got '" + gatewayId + "'");
      }
      this.gatewayId = gatewayId;
      this.natsUrl = Objects.requireNonNull(natsUrl, "natsUrl");
    }

    public Builder clock(Clock v) { this.clock = Objects.requireNonNull(v); return this; }
    /**
     * Runs the decision tick, the status and the policy health checks (default: Vert.x timers on
     * the gateway's context). A test gives a {@link io.fogwise.protocol.time.ManualScheduler}
     * on the same manual clock and drives all of them by advancing it.
     */
    public Builder scheduler(io.fogwise.protocol.time.Scheduler v) { this.scheduler = Objects.requireNonNull(v); return this; }
    public Builder tick(Duration v) { this.tick = positive(v, "tick"); return this; }
    public Builder statusInterval(Duration v) { this.statusInterval = positive(v, "statusInterval"); return this; }
    public Builder commandTimeout(Duration v) { this.commandTimeout = positive(v, "commandTimeout"); return this; }
    public Builder detector(PhiAccrualDetector.Settings v) { this.detector = Objects.requireNonNull(v); return this; }
    public Builder reconciler(Reconciler.Settings v) { this.reconciler = Objects.requireNonNull(v); return this; }
    public Builder parameters(Parameters v) { this.parameters = Objects.requireNonNull(v); return this; }
    public Builder rules(List<RuleSource> v) { this.rules = List.copyOf(v); return this; }
    /** The keys policy bundles must be signed with (default: none, so only the built-in packs run). */
    public Builder trustedKeys(io.fogwise.policy.TrustedKeys v) { this.trustedKeys = Objects.requireNonNull(v); return this; }
    /** The health gate of newly applied policy. */
    public Builder policy(io.fogwise.gateway.policy.PolicyManager.Settings v) { this.policy = Objects.requireNonNull(v); return this; }
    /** How long {@code Gateway.start} waits for NATS, durable state and the first compile (default 60 s). */
    public Builder startTimeout(Duration v) { this.startTimeout = positive(v, "startTimeout"); return this; }
    /** Which orchestrator carries out intents (default {@link Orchestration#PROCESS}). */
    public Builder orchestration(Orchestration v) { this.orchestration = Objects.requireNonNull(v); return this; }
    /**
     * The hub as the instances the gateway starts see it, when they do not see it at the
     * gateway's own URL (swarm: containers on other nodes). Default: the gateway's URL.
     */
    public Builder instanceNatsUrl(String v) { this.instanceNatsUrl = Objects.requireNonNull(v); return this; }
    /** The cache of cloud data served on fw.gw.&lt;id&gt;.cache.get and GET /cache/{key}. */
    public Builder cache(io.fogwise.gateway.cache.CloudCache.Settings v) { this.cache = Objects.requireNonNull(v); return this; }
    /** Whether desired state is kept in the JetStream KV bucket fw-desired-&lt;id&gt; (default true). */
    public Builder durable(boolean v) { this.durable = v; return this; }
    /**
     * Whether the NATS server at {@code natsUrl} is this gateway's own leaf node (default
     * false): the gateway then creates its buckets, policy mirrors and history streams there
     * ({@link io.fogwise.gateway.leaf.LeafSite}) before anything else, so its site runs on
     * while the cloud is unreachable.
     */
    public Builder leafSite(boolean v) { this.leafSite = v; return this; }
    /** The HTTP API port: 0 for a free one, -1 (default) for no HTTP server. */
    public Builder httpPort(int v) {
      if (v < -1 || v > 65535) {
        throw new IllegalArgumentException("httpPort must be -1 (off), 0 (free) or a port, got " + v);
      }
      this.httpPort = v;
      return this;
    }

    /**
     * How the gateway authenticates to the hub: its own credentials and the CA
     * ({@link io.fogwise.protocol.auth.NatsAuth#insecure()} only for a hub run with
     * {@code --insecure}). Required.
     */
    public Builder auth(io.fogwise.protocol.auth.NatsAuth v) { this.auth = Objects.requireNonNull(v); return this; }

    /**
     * The gateway's scoped key for its instances' credentials, valid for {@code ttl}
     * ({@link Duration#ZERO}: no expiry). Required with credentials: without it, no instance
     * could use its data subjects.
     */
    public Builder instanceSigner(io.fogwise.identity.InstanceSigner signer, Duration ttl) {
      if (!signer.gatewayId().equals(gatewayId)) {
        throw new IllegalArgumentException("the instance key belongs to gateway '" + signer.gatewayId()
            + "', not to '" + gatewayId + "'");
      }
      this.instanceCredentials = io.fogwise.gateway.orchestrator.InstanceCredentials.signedBy(signer, ttl);
      return this;
    }

    /**
     * Where the HTTP API listens and who may call it (default: loopback, no tokens); see
     * {@link io.fogwise.gateway.http.GatewayHttpServer.Settings}.
     */
    public Builder http(io.fogwise.gateway.http.GatewayHttpServer.Settings v) { this.http = Objects.requireNonNull(v); return this; }

    /**
     * @throws IllegalStateException if no {@link #auth} was given, or credentials were given
     *     without an {@link #instanceSigner}
     * @throws IllegalArgumentException when the HTTP API would be served beyond loopback without
     *     API tokens and TLS (and not {@code insecure}), in one line naming the missing flags
     */
    public GatewayConfig build() {
      if (httpPort >= 0) {
        http.refusal().ifPresent(why -> {
          throw new IllegalArgumentException(why);
        });
      }
      if (auth == null) {
        throw new IllegalStateException("gateway " + gatewayId + ": no NATS credentials given (auth); "
            + "NatsAuth.insecure() only for a hub run with --insecure");
      }
      if (auth.isInsecure()) {
        instanceCredentials = io.fogwise.gateway.orchestrator.InstanceCredentials.none();
      } else if (instanceCredentials == null) {
        throw new IllegalStateException("gateway " + gatewayId + ": credentials without an instance signing key; "
            + "'fogwise identity issue gateway " + gatewayId + "' writes it beside the credentials");
      }
      return new GatewayConfig(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be > 0, got " + d);
      }
      return d;
    }
  }
}
