package io.fogwise.gateway.lease;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The value of a gateway's id lease (KV bucket {@code fw-desired-<gatewayId>}, key
 * {@value IdLease#KEY}), as JSON: who holds the id, since when, until when, and the lease's own
 * epoch, which grows by one on every acquisition. Times are the holder's wall clock; a contender
 * never trusts them alone (see {@link IdLease}).
 *
 * @param gatewayId the gateway id the lease is on
 * @param epoch the acquisition this is; every new holder writes a higher one
 * @param holder the process holding it
 * @param acquiredAtMillis when the holder acquired it
 * @param renewedAtMillis when the holder last renewed it
 * @param expiresAtMillis when it lapses unless renewed again
 * @param released true once the holder stopped cleanly and gave it up: anyone may take it at once
 */
public record GatewayLease(
    String gatewayId,
    long epoch,
    Holder holder,
    long acquiredAtMillis,
    long renewedAtMillis,
    long expiresAtMillis,
    boolean released) {

  public GatewayLease {
    if (gatewayId == null || gatewayId.isBlank()) {
      throw new IllegalArgumentException("gatewayId must not be blank");
    }
    if (epoch < 1) {
      throw new IllegalArgumentException("epoch must be >= 1, got " + epoch);
    }
    Objects.requireNonNull(holder, "holder");
    if (acquiredAtMillis < 0 || renewedAtMillis < acquiredAtMillis || expiresAtMillis < renewedAtMillis) {
      throw new IllegalArgumentException("times must satisfy 0 <= acquiredAtMillis <= renewedAtMillis <= expiresAtMillis,"
          + " got " + acquiredAtMillis + ", " + renewedAtMillis + ", " + expiresAtMillis);
    }
  }

  /** A new acquisition by {@code holder} at {@code nowMillis}, valid for {@code ttl}. */
  static GatewayLease acquired(String gatewayId, long epoch, Holder holder, long nowMillis, Duration ttl) {
    return new GatewayLease(gatewayId, epoch, holder, nowMillis, nowMillis, nowMillis + ttl.toMillis(), false);
  }

  /** This lease renewed at {@code nowMillis} for another {@code ttl}. */
  GatewayLease renewed(long nowMillis, Duration ttl) {
    long at = Math.max(nowMillis, acquiredAtMillis);
    return new GatewayLease(gatewayId, epoch, holder, acquiredAtMillis, at, at + ttl.toMillis(), false);
  }

  /** This lease given up at {@code nowMillis}. */
  GatewayLease releasedAt(long nowMillis) {
    long at = Math.max(nowMillis, renewedAtMillis);
    return new GatewayLease(gatewayId, epoch, holder, acquiredAtMillis, at, at, true);
  }

  /** Whether it lapsed by {@code wallMillis} (a released lease always has). */
  public boolean expiredAt(long wallMillis) {
    return released || wallMillis >= expiresAtMillis;
  }

  /**
   * The holder and since when, in one line: {@code pid 4242 on host box since
   * 2026-11-30T10:00:00Z (fogwise 0.1.0, durable, http 8080; lease epoch 3)}.
   */
  public String describe() {
    return "pid " + holder.pid() + " on host " + holder.host() + " since " + Instant.ofEpochMilli(acquiredAtMillis)
        + " (" + holder.version() + (holder.config().isEmpty() ? "" : ", " + holder.config()) + "; lease epoch "
        + epoch + ")";
  }

  /**
   * The process holding a lease.
   *
   * @param host the host name
   * @param pid the process id
   * @param processStartMillis when that process started (0 if unknown): with the pid, names the
   *     process even after its pid is reused
   * @param instance random per gateway start, so two gateways in one JVM (tests) differ too
   * @param version the gateway's version
   * @param config a summary of how it was started (durable or ephemeral, HTTP port, NATS URL)
   */
  public record Holder(String host, long pid, long processStartMillis, String instance, String version,
      String config) {
    public Holder {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(instance, "instance");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(config, "config");
      if (pid < 0 || processStartMillis < 0) {
        throw new IllegalArgumentException("pid and processStartMillis must be >= 0, got " + pid + ", "
            + processStartMillis);
      }
    }

    /** This process, started as {@code config} says. */
    public static Holder thisProcess(String config) {
      ProcessHandle self = ProcessHandle.current();
      long started = self.info().startInstant().map(Instant::toEpochMilli)
          .orElseGet(() -> ManagementFactory.getRuntimeMXBean().getStartTime());
      String version = GatewayLease.class.getPackage().getImplementationVersion();
      return new Holder(hostName(), self.pid(), Math.max(0, started), UUID.randomUUID().toString().substring(0, 8),
          "fogwise " + (version == null ? "dev" : version), config);
    }

    /** Whether {@code other} is this very gateway start (not merely the same process). */
    boolean sameInstance(Holder other) {
      return other != null && instance.equals(other.instance) && pid == other.pid && host.equals(other.host);
    }

    private static String hostName() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (Exception e) {
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "unknown-host" : env;
      }
    }
  }
}
