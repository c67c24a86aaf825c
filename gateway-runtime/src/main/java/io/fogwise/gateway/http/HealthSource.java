package io.fogwise.gateway.http;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.health.HealthSnapshot;
import io.fogwise.gateway.lease.GatewayLease;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code GET /health} answers, read without waiting for the decision thread: the snapshot
 * that thread publishes every tick, the NATS connection state and the age of the last tick.
 */
@FunctionalInterface
public interface HealthSource {
  /** A decision tick older than this means the decision thread is stuck: DOWN. */
  long MAX_TICK_AGE_MS = 2_000;

  /** The gateway's health now; must not block. */
  Health now();

  /**
   * The gateway's health.
   *
   * @param status UP; DEGRADED when a service has been short of running instances too long or
   *     the NATS connection is down; DOWN when the engine is not running or its last decision
   *     tick is older than {@link #MAX_TICK_AGE_MS}
   * @param gateway the status summary of the last tick, or null
   * @param nats the NATS connection state (CONNECTED, DISCONNECTED, RECONNECTING, CLOSED)
   * @param lastTickAgeMs how long ago the last decision tick finished, -1 if none
   * @param degraded the degraded services, by name
   * @param detectionHeld why failure detection is held now, or null
   * @param error why the gateway is DOWN, or null
   * @param lease the lease this process holds on the gateway id (epoch, holder, expiry), or null
   */
  record Health(String status, GatewayStatus gateway, String nats, long lastTickAgeMs, List<String> degraded,
      String detectionHeld, String error, GatewayLease lease) {
    public Health {
      degraded = degraded == null ? List.of() : List.copyOf(degraded);
    }

    /** The same without a lease (tests, a gateway that holds none yet). */
    public Health(String status, GatewayStatus gateway, String nats, long lastTickAgeMs, List<String> degraded,
        String detectionHeld, String error) {
      this(status, gateway, nats, lastTickAgeMs, degraded, detectionHeld, error, null);
    }

    Health withLease(GatewayLease l) {
      return new Health(status, gateway, nats, lastTickAgeMs, degraded, detectionHeld, error, l);
    }
  }

  /**
   * Health from the engine's published snapshot ({@code engine} may answer null until it is
   * built), the NATS state as the connection listener last saw it, and {@code clock}.
   */
  static HealthSource fromSnapshot(Supplier<GatewayEngine> engine, Supplier<String> nats, Clock clock) {
    return fromSnapshot(engine, nats, clock, Optional::empty);
  }

  /** The same, reporting the lease on the gateway id that {@code lease} says this process holds (must not block). */
  static HealthSource fromSnapshot(Supplier<GatewayEngine> engine, Supplier<String> nats, Clock clock,
      Supplier<Optional<GatewayLease>> lease) {
    Objects.requireNonNull(lease, "lease");
    HealthSource base = fromEngine(engine, nats, clock);
    return () -> base.now().withLease(lease.get().orElse(null));
  }

  private static HealthSource fromEngine(Supplier<GatewayEngine> engine, Supplier<String> nats, Clock clock) {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(clock, "clock");
    return () -> {
      GatewayEngine e = engine.get();
      String link = nats.get();
      HealthSnapshot h = e == null ? null : e.health();
      if (h == null) {
        return new Health("DOWN", null, link, -1, List.of(), null, "the gateway engine is not running");
      }
      long age = Math.max(0, (clock.nanos() - h.tickNanos()) / 1_000_000L);
      if (age > MAX_TICK_AGE_MS) {
        return new Health("DOWN", h.status(), link, age, h.degraded(), h.detectionHeld(), "the last decision tick"
            + " finished " + age + " ms ago (limit " + MAX_TICK_AGE_MS + " ms): the decision thread is stuck or the"
            + " host overloaded");
      }
      String status = !h.degraded().isEmpty() || !"CONNECTED".equals(link) ? "DEGRADED" : "UP";
      return new Health(status, h.status(), link, age, h.degraded(), h.detectionHeld(), null);
    };
  }
}
