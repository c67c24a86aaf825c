package io.fogwise.testbed.load;

import io.fogwise.protocol.Layer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Many synthetic devices heartbeating over real NATS with the real protocol: one
 * {@link io.fogwise.protocol.Heartbeat} per device per interval on
 * {@code fw.hb.<gateway>.<device>}, encoded by {@link io.fogwise.protocol.MessageCodec}, from
 * one thread over a few connections. Devices are spread evenly over the interval, so 10k devices
 * at 200 ms are 50k heartbeats/s at a steady 20 µs spacing, not a burst every 200 ms. All
 * devices start at once (a burst joining the gateway); any of them can be silenced at a chosen
 * moment, as if it died.
 *
 * <p>The generator measures itself: how far behind schedule it ever published, so a run can
 * tell a gateway's false detection from the harness falling behind.
 */
public interface HeartbeatGenerator extends AutoCloseable {

  /** The agents' heartbeat interval (the gateway's detector is tuned for it). */
  Duration DEFAULT_INTERVAL = Duration.ofMillis(200);

  /**
   * Four connections: one jnats connection writes ≈ 890k small messages/s on this machine, so
   * one would do; a few keep one slow socket from holding back every device.
   */
  int DEFAULT_CONNECTIONS = 4;

  /** A heartbeat published this long after its slot counts as late in {@link Counters#lateBeats()}. */
  Duration LATE = Duration.ofMillis(50);

  /** Connects and starts every device heartbeating now. */
  static HeartbeatGenerator start(Settings settings) {
    return NatsHeartbeatGenerator.start(settings);
  }

  /** The synthetic devices' ids, in index order. */
  List<String> deviceIds();

  /**
   * Silences devices from {@code atNanos} (System.nanoTime) on: none of them publishes a
   * heartbeat at or after that moment. A moment in the past silences them at once.
   *
   * @throws IllegalArgumentException for an id this generator does not simulate
   */
  void silenceAt(Collection<String> deviceIds, long atNanos);

  /** When the device was (or will be) silenced, System.nanoTime, or {@link Long#MAX_VALUE} if never. */
  long silencedAtNanos(String deviceId);

  /** When the device's first heartbeat was published, System.nanoTime, or -1 before it. */
  long firstSentNanos(String deviceId);

  /** When the device's latest heartbeat was published, System.nanoTime, or -1 before the first. */
  long lastSentNanos(String deviceId);

  /** A snapshot of what the generator did. */
  Counters counters();

  /** Stops every device and closes the connections. Idempotent. */
  @Override
  void close();

  /**
   * What the generator did so far.
   *
   * @param sent heartbeats published
   * @param elapsedNanos since the start
   * @param maxLagNanos the furthest behind its schedule a heartbeat was published
   * @param lateBeats heartbeats published more than {@link #LATE} behind their schedule
   * @param publishFailures publishes jnats refused (e.g. its outgoing queue full)
   */
  record Counters(long sent, long elapsedNanos, long maxLagNanos, long lateBeats, long publishFailures) {
    /** Heartbeats per second over the run. */
    public double rate() {
      return elapsedNanos == 0 ? 0 : sent * 1e9 / elapsedNanos;
    }
  }

  /**
   * What to simulate; build with {@link #builder(String, String, int)}.
   *
   * @param natsUrl the hub
   * @param gatewayId the gateway the devices report to
   * @param devices how many
   * @param interval heartbeat interval of every device
   * @param idPrefix device ids are {@code <prefix><index>}, zero-padded
   * @param layer the devices' layer
   * @param connections NATS connections the devices are spread over
   */
  record Settings(String natsUrl, io.fogwise.protocol.auth.NatsAuth auth, String gatewayId, int devices,
      Duration interval, String idPrefix, Layer layer, int connections) {
    public Settings {
      Objects.requireNonNull(natsUrl, "natsUrl");
      Objects.requireNonNull(auth, "auth");
      Objects.requireNonNull(gatewayId, "gatewayId");
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(idPrefix, "idPrefix");
      Objects.requireNonNull(layer, "layer");
      if (devices < 1) {
        throw new IllegalArgumentException("devices must be >= 1, got " + devices);
      }
      if (interval.toMillis() < 10 || interval.toMillis() > 60_000) {
        throw new IllegalArgumentException("interval must be within [10 ms, 60 s] (the protocol's range), got " + interval);
      }
      if (connections < 1) {
        throw new IllegalArgumentException("connections must be >= 1, got " + connections);
      }
    }

    /** @param auth an identity allowed to publish every simulated device's heartbeat (an operator) */
    public static Builder builder(String natsUrl, io.fogwise.protocol.auth.NatsAuth auth, String gatewayId, int devices) {
      return new Builder(natsUrl, auth, gatewayId, devices);
    }

    /** Builds {@link Settings}; defaults are the interface's {@code DEFAULT_} constants, prefix {@code syn-}, EDGE. */
    public static final class Builder {
      private final String natsUrl;
      private final io.fogwise.protocol.auth.NatsAuth auth;
      private final String gatewayId;
      private final int devices;
      private Duration interval = DEFAULT_INTERVAL;
      private String idPrefix = "syn-";
      private Layer layer = Layer.EDGE;
      private int connections = DEFAULT_CONNECTIONS;

      private Builder(String natsUrl, io.fogwise.protocol.auth.NatsAuth auth, String gatewayId, int devices) {
        this.natsUrl = natsUrl;
        this.auth = auth;
        this.gatewayId = gatewayId;
        this.devices = devices;
      }

      public Builder interval(Duration interval) {
        this.interval = interval;
        return this;
      }

      public Builder idPrefix(String idPrefix) {
        this.idPrefix = idPrefix;
        return this;
      }

      public Builder layer(Layer layer) {
        this.layer = layer;
        return this;
      }

      public Builder connections(int connections) {
        this.connections = connections;
        return this;
      }

      public Settings build() {
        return new Settings(natsUrl, auth, gatewayId, devices, interval, idPrefix, layer, connections);
      }
    }
  }
}
