package io.fogwise.edge;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Immutable configuration of an {@link EdgeAgent}; build it with {@link #builder()} or from
 * environment variables with {@link #fromEnvironment(Map)}.
 */
public final class AgentConfig {
  /** NATS URL used when none is given. */
  public static final String DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
  /** Layer used when none is given: agents usually run on edge devices. */
  public static final Layer DEFAULT_LAYER = Layer.EDGE;
  /** Device class used when none is given; rule parameters are keyed by it. */
  public static final String DEFAULT_DEVICE_CLASS = "default";
  /** Heartbeat period used when none is given. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(200);
  /** Telemetry period used when none is given. */
  public static final Duration DEFAULT_TELEMETRY_INTERVAL = Duration.ofSeconds(1);
  /** First delay before restarting a crashed service. */
  public static final Duration DEFAULT_RESTART_BACKOFF_BASE = Duration.ofMillis(100);
  /** Longest delay before restarting a crashed service. */
  public static final Duration DEFAULT_RESTART_BACKOFF_MAX = Duration.ofSeconds(5);

  /** Environment variable names read by {@link #fromEnvironment(Map)}. */
  public static final String ENV_NATS_URL = "FW_NATS_URL";
  public static final String ENV_DEVICE_ID = "FW_DEVICE_ID";
  public static final String ENV_GATEWAY = "FW_GATEWAY_ID";
  /** The name {@link #ENV_GATEWAY} had before: still read when it is absent, with a deprecation warning. */
  public static final String ENV_GATEWAY_DEPRECATED = "FW_GATEWAY";
  public static final String ENV_LAYER = "FW_LAYER";
  public static final String ENV_LABELS = "FW_LABELS";
  public static final String ENV_DEVICE_CLASS = "FW_DEVICE_CLASS";
  public static final String ENV_HEARTBEAT_MS = "FW_HEARTBEAT_MS";
  public static final String ENV_TELEMETRY_MS = "FW_TELEMETRY_MS";
  /** The device's credentials file ({@code fogwise identity issue device ...}). */
  public static final String ENV_CREDS = "FW_CREDS";
  /** The CA certificate the hub's TLS certificate chains to. */
  public static final String ENV_CA = "FW_CA";
  /** {@code true} to connect without credentials or TLS, to a hub run with {@code --insecure}. */
  public static final String ENV_INSECURE = "FW_INSECURE";

  /** Ids become NATS subject tokens (and the protocol checks them the same way). */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  /** Label keys and values: like ids, plus dots (e.g. {@code zone=hall.b}). */
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final String natsUrl;
  private final String instanceNatsUrl;
  private final java.nio.file.Path latencyLogDir;
  private final io.fogwise.protocol.auth.NatsAuth auth;
  private final String deviceId;
  private final String gatewayId;
  private final Layer layer;
  private final String deviceClass;
  private final Map<String, String> labels;
  private final Duration heartbeatInterval;
  private final Duration telemetryInterval;
  private final SensorSource sensors;
  private final Clock clock;
  private final io.fogwise.protocol.time.Scheduler scheduler;
  private final Map<String, ServiceFactory> services;
  private final Duration restartBackoffBase;
  private final Duration restartBackoffMax;

  private AgentConfig(Builder b) {
    this.natsUrl = b.natsUrl;
    this.instanceNatsUrl = b.instanceNatsUrl != null ? b.instanceNatsUrl : b.natsUrl;
    this.latencyLogDir = b.latencyLogDir;
    this.auth = b.auth;
    this.deviceId = b.deviceId;
    this.gatewayId = b.gatewayId;
    this.layer = b.layer;
    this.deviceClass = b.deviceClass;
    this.labels = Collections.unmodifiableMap(new TreeMap<>(b.labels));
    this.heartbeatInterval = b.heartbeatInterval;
    this.telemetryInterval = b.telemetryInterval;
    this.sensors = b.sensors != null ? b.sensors : SensorSource.simulated(b.deviceId.hashCode());
    this.clock = b.clock;
    this.scheduler = b.scheduler;
    this.services = Collections.unmodifiableMap(new TreeMap<>(b.services));
    this.restartBackoffBase = b.restartBackoffBase;
    this.restartBackoffMax = b.restartBackoffMax;
  }

  /** A builder with all defaults; device and gateway ids must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder filled from environment variables ({@code FW_NATS_URL}, {@code FW_DEVICE_ID},
   * {@code FW_GATEWAY_ID} (or the deprecated {@code FW_GATEWAY}), {@code FW_LAYER}, {@code FW_LABELS} as {@code k=v,k=v},
   * {@code FW_DEVICE_CLASS}, {@code FW_HEARTBEAT_MS}, {@code FW_TELEMETRY_MS}); unset or blank
   * variables keep the defaults.
   *
   * @param env usually {@code System.getenv()}
   * @throws IllegalArgumentException naming the variable whose value is invalid
   */
  public static Builder fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    Builder b = builder();
    String v;
    if ((v = env(env, ENV_NATS_URL)) != null) {
      b.natsUrl(v);
    }
    if ((v = env(env, ENV_DEVICE_ID)) != null) {
      b.deviceId(v);
    }
    if ((v = gatewayFrom(env, ENV_GATEWAY, ENV_GATEWAY_DEPRECATED)) != null) {
      b.gatewayId(v);
    }
    if ((v = env(env, ENV_LAYER)) != null) {
      b.layer(parseLayer(v));
    }
    if ((v = env(env, ENV_LABELS)) != null) {
      try {
        b.labels(parseLabels(v));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(ENV_LABELS + ": " + e.getMessage(), e);
      }
    }
    if ((v = env(env, ENV_DEVICE_CLASS)) != null) {
      b.deviceClass(v);
    }
    if ((v = env(env, ENV_HEARTBEAT_MS)) != null) {
      b.heartbeatInterval(Duration.ofMillis(parseMillis(ENV_HEARTBEAT_MS, v)));
    }
    if ((v = env(env, ENV_TELEMETRY_MS)) != null) {
      b.telemetryInterval(Duration.ofMillis(parseMillis(ENV_TELEMETRY_MS, v)));
    }
    if ("true".equalsIgnoreCase(env(env, ENV_INSECURE))) {
      b.auth(io.fogwise.protocol.auth.NatsAuth.insecure());
    } else if ((v = env(env, ENV_CREDS)) != null) {
      String ca = env(env, ENV_CA);
      if (ca == null) {
        throw new IllegalArgumentException(ENV_CA + " must name the CA certificate when " + ENV_CREDS + " is set");
      }
      b.auth(io.fogwise.protocol.auth.NatsAuth.files(java.nio.file.Path.of(v), java.nio.file.Path.of(ca)));
    }
    return b;
  }

  /**
   * Parses placement labels written as {@code k=v,k=v} (spaces around entries are ignored; an
   * empty string is no labels).
   *
   * @throws IllegalArgumentException on an entry without {@code =}, an empty or invalid key or
   *     value, or a repeated key
   */
  public static Map<String, String> parseLabels(String text) {
    Objects.requireNonNull(text, "text");
    Map<String, String> labels = new LinkedHashMap<>();
    if (text.isBlank()) {
      return Map.of();
    }
    for (String entry : text.split(",", -1)) {
      String e = entry.trim();
      int eq = e.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "label '" + e + "' in '" + text + "' is not key=value (write labels as k=v,k=v)");
      }
      String key = e.substring(0, eq).trim();
      String value = e.substring(eq + 1).trim();
      checkLabel(key, value);
      if (labels.put(key, value) != null) {
        throw new IllegalArgumentException("label key '" + key + "' appears twice in '" + text + "'");
      }
    }
    return Collections.unmodifiableMap(labels);
  }

  private static void checkLabel(String key, String value) {
    if (!LABEL.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "label key '" + key + "' must be 1-64 of [A-Za-z0-9_.-]");
    }
    if (!LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "label '" + key + "' has value '" + value + "'; values must be 1-64 of [A-Za-z0-9_.-]");
    }
  }

  /**
   * The gateway id from {@code name}, or else from the deprecated {@code old} (saying once that it
   * is deprecated), or null.
   */
  public static String gatewayFrom(Map<String, String> env, String name, String old) {
    String v = env(env, name);
    if (v != null) {
      return v;
    }
    v = env(env, old);
    if (v != null && WARNED_OLD_GATEWAY.compareAndSet(false, true)) {
      org.slf4j.LoggerFactory.getLogger(AgentConfig.class).warn("{} is deprecated: set {} instead (the same name"
          + " fogwise gateway and fogwise service read)", old, name);
    }
    return v;
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARNED_OLD_GATEWAY =
      new java.util.concurrent.atomic.AtomicBoolean();

  private static String env(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static Layer parseLayer(String v) {
    try {
      return Layer.valueOf(v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          ENV_LAYER + " must be one of CLOUD, FOG, EDGE, got '" + v + "'", e);
    }
  }

  private static long parseMillis(String name, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number of milliseconds, got '" + v + "'", e);
    }
  }

  static String checkId(String value, String what) {
    Objects.requireNonNull(value, what);
    if (!ID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what + " must be 1-64 of [A-Za-z0-9_-] (it becomes a NATS subject token), got '" + value + "'");
    }
    return value;
  }

  public String natsUrl() {
    return natsUrl;
  }

  /**
   * Where hosted instances connect: the application data's hub. The agent's own server
   * ({@link #natsUrl()}) unless set; a hub move ({@code fogwise hub move}) moves running
   * instances from here to the agent's own server.
   */
  public String instanceNatsUrl() {
    return instanceNatsUrl;
  }

  /** Where subscribers write one line per message received (the benchmarks' raw data), if anywhere. */
  public java.util.Optional<java.nio.file.Path> latencyLogDir() {
    return java.util.Optional.ofNullable(latencyLogDir);
  }

  /** How the agent authenticates to the hub. */
  public io.fogwise.protocol.auth.NatsAuth auth() {
    return auth;
  }

  public String deviceId() {
    return deviceId;
  }

  public String gatewayId() {
    return gatewayId;
  }

  public Layer layer() {
    return layer;
  }

  public String deviceClass() {
    return deviceClass;
  }

  /** Placement labels, sorted by key. */
  public Map<String, String> labels() {
    return labels;
  }

  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public Duration telemetryInterval() {
    return telemetryInterval;
  }

  public SensorSource sensors() {
    return sensors;
  }

  public Clock clock() {
    return clock;
  }

  /**
   * Runs heartbeats and telemetry, or null for the agent's own threads (the heartbeat thread at
   * the highest priority, so a busy device still heartbeats on time).
   */
  public io.fogwise.protocol.time.Scheduler scheduler() {
    return scheduler;
  }

  /** Service factories by kind. */
  public Map<String, ServiceFactory> services() {
    return services;
  }

  public Duration restartBackoffBase() {
    return restartBackoffBase;
  }

  public Duration restartBackoffMax() {
    return restartBackoffMax;
  }

  @Override
  public String toString() {
    return "AgentConfig[device=" + deviceId + ", gateway=" + gatewayId + ", nats=" + natsUrl + ", layer=" + layer
        + ", class=" + deviceClass + ", labels=" + labels + ", heartbeat=" + heartbeatInterval.toMillis()
        + " ms, telemetry=" + telemetryInterval.toMillis() + " ms, kinds=" + services.keySet() + "]";
  }

  /** Builds an {@link AgentConfig}; not thread-safe. */
  public static final class Builder {
    private String natsUrl = DEFAULT_NATS_URL;
    private String instanceNatsUrl;
    private java.nio.file.Path latencyLogDir;
    private io.fogwise.protocol.auth.NatsAuth auth;
    private String deviceId;
    private String gatewayId;
    private Layer layer = DEFAULT_LAYER;
    private String deviceClass = DEFAULT_DEVICE_CLASS;
    private final Map<String, String> labels = new TreeMap<>();
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration telemetryInterval = DEFAULT_TELEMETRY_INTERVAL;
    private SensorSource sensors;
    private Clock clock = Clock.system();
    private io.fogwise.protocol.time.Scheduler scheduler;
    private final Map<String, ServiceFactory> services = new TreeMap<>(ServiceKinds.discover(AgentConfig.class.getClassLoader()));
    private Duration restartBackoffBase = DEFAULT_RESTART_BACKOFF_BASE;
    private Duration restartBackoffMax = DEFAULT_RESTART_BACKOFF_MAX;

    private Builder() {}

    public Builder natsUrl(String natsUrl) {
      Objects.requireNonNull(natsUrl, "natsUrl");
      if (natsUrl.isBlank()) {
        throw new IllegalArgumentException("natsUrl must not be blank");
      }
      this.natsUrl = natsUrl.trim();
      return this;
    }

    /** Where hosted instances connect (default: {@link #natsUrl(String)}'s server); null or blank: the default. */
    public Builder instanceNatsUrl(String url) {
      this.instanceNatsUrl = url == null || url.isBlank() ? null : url.trim();
      return this;
    }

    /** A directory where subscribers write a line per message received; null: none. */
    public Builder latencyLogDir(java.nio.file.Path dir) {
      this.latencyLogDir = dir;
      return this;
    }

    /**
     * The device's credentials and CA ({@link io.fogwise.protocol.auth.NatsAuth#insecure()}
     * only for a hub run with {@code --insecure}). Required.
     */
    public Builder auth(io.fogwise.protocol.auth.NatsAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    public Builder deviceId(String deviceId) {
      this.deviceId = checkId(deviceId, "deviceId");
      return this;
    }

    public Builder gatewayId(String gatewayId) {
      this.gatewayId = checkId(gatewayId, "gatewayId");
      return this;
    }

    public Builder layer(Layer layer) {
      this.layer = Objects.requireNonNull(layer, "layer");
      return this;
    }

    public Builder deviceClass(String deviceClass) {
      this.deviceClass = checkId(deviceClass, "deviceClass");
      return this;
    }

    /** Replaces all labels. */
    public Builder labels(Map<String, String> labels) {
      Objects.requireNonNull(labels, "labels");
      labels.forEach(AgentConfig::checkLabel);
      this.labels.clear();
      this.labels.putAll(labels);
      return this;
    }

    /** Adds or replaces one label. */
    public Builder label(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      checkLabel(key, value);
      labels.put(key, value);
      return this;
    }

    /** Heartbeat period, 10 ms to 60 s (the protocol's bounds). */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = checkInterval(interval, "heartbeatInterval");
      return this;
    }

    /** Telemetry period, 10 ms to 60 s. */
    public Builder telemetryInterval(Duration interval) {
      this.telemetryInterval = checkInterval(interval, "telemetryInterval");
      return this;
    }

    /** Sensor readings for telemetry; default {@link SensorSource#simulated(long)} seeded by device id. */
    public Builder sensors(SensorSource sensors) {
      this.sensors = Objects.requireNonNull(sensors, "sensors");
      return this;
    }

    /** Runs heartbeats and telemetry (a test's manual scheduler); default: the agent's own threads. */
    public Builder scheduler(io.fogwise.protocol.time.Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Adds or replaces the factory for one service kind. */
    public Builder service(String kind, ServiceFactory factory) {
      Objects.requireNonNull(factory, "factory");
      services.put(checkId(kind, "service kind"), factory);
      return this;
    }

    /** Replaces the whole service registry (the built-in kinds are dropped unless included). */
    public Builder services(Map<String, ServiceFactory> factories) {
      Objects.requireNonNull(factories, "factories");
      Map<String, ServiceFactory> copy = new TreeMap<>();
      factories.forEach((k, f) -> copy.put(checkId(k, "service kind"), Objects.requireNonNull(f, "factory of " + k)));
      services.clear();
      services.putAll(copy);
      return this;
    }

    /** Back-off before restarting a crashed service: {@code base}, doubling up to {@code max}. */
    public Builder restartBackoff(Duration base, Duration max) {
      Objects.requireNonNull(base, "base");
      Objects.requireNonNull(max, "max");
      if (base.isNegative() || base.isZero()) {
        throw new IllegalArgumentException("restart back-off base must be positive, got " + base);
      }
      if (max.compareTo(base) < 0) {
        throw new IllegalArgumentException("restart back-off max " + max + " is below its base " + base);
      }
      this.restartBackoffBase = base;
      this.restartBackoffMax = max;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws IllegalStateException if the device or gateway id is missing
     */
    public AgentConfig build() {
      if (deviceId == null) {
        throw new IllegalStateException("deviceId is not set (set " + ENV_DEVICE_ID + " or call deviceId(...))");
      }
      if (gatewayId == null) {
        throw new IllegalStateException("gatewayId is not set (set " + ENV_GATEWAY + " or call gatewayId(...))");
      }
      if (auth == null) {
        throw new IllegalStateException("device " + deviceId + " has no NATS credentials: set " + ENV_CREDS + " and "
            + ENV_CA + " (from 'fogwise identity issue device " + deviceId + " --gateway " + gatewayId + "'), or "
            + ENV_INSECURE + "=true for a hub run with --insecure");
      }
      return new AgentConfig(this);
    }

    private static Duration checkInterval(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.toMillis() < 10 || d.toMillis() > 60_000) {
        throw new IllegalArgumentException(what + " must be within [10 ms, 60 s], got " + d.toMillis() + " ms");
      }
      return d;
    }
  }
}
