package io.fogwise.edge;

import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.Map;

/** What a hosted service instance knows about itself and its device. */
public interface ServiceContext {

  /** The service name, e.g. {@code sensor-pub}. */
  String serviceName();

  /** The service kind, e.g. {@code publisher}. */
  String kind();

  /** The epoch this instance was started with. */
  long epoch();

  /** The configuration sent with the START command (immutable). */
  Map<String, String> config();

  /** The hosting device. */
  String deviceId();

  /** The gateway the hosting device belongs to (whose announcements the service trusts). */
  String gatewayId();

  /**
   * The instance's NATS connection: its own, authenticated with the credentials the gateway
   * sent with START (so it reaches only its service's subjects), or the agent's on a hub without
   * authentication. The agent closes it; do not close it or drain it.
   */
  Connection connection();

  /**
   * Where a subscriber writes one line per message received, if the agent was asked to
   * ({@code fogwise edge --latency-log DIR}); empty by default.
   */
  default java.util.Optional<java.nio.file.Path> latencyLogDir() {
    return java.util.Optional.empty();
  }

  /** The agent's clock. */
  Clock clock();

  /** True once the agent asked this instance to stop. */
  boolean isStopping();

  /**
   * Waits until a stop is requested or {@code timeout} passes. Also returns (false) early when
   * the agent has just {@linkplain Handover#activate(long) activated} the instance, even if the
   * activation came just before this call, so a service idle here resumes without delay.
   *
   * @return true if the instance should stop
   */
  boolean awaitStop(Duration timeout) throws InterruptedException;

  /** A configuration value, or {@code defaultValue} when absent or blank. */
  default String configString(String key, String defaultValue) {
    String v = config().get(key);
    return v == null || v.isBlank() ? defaultValue : v.trim();
  }

  /**
   * A whole-number configuration value within {@code [min, max]}.
   *
   * @throws IllegalArgumentException naming the service, key and allowed range
   */
  default long configLong(String key, long defaultValue, long min, long max) {
    String v = configString(key, null);
    long value;
    if (v == null) {
      value = defaultValue;
    } else {
      try {
        value = Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw badConfig(key, v, "a whole number within [" + min + ", " + max + "]");
      }
    }
    if (value < min || value > max) {
      throw badConfig(key, v == null ? Long.toString(value) : v, "a whole number within [" + min + ", " + max + "]");
    }
    return value;
  }

  /**
   * A decimal configuration value, greater than {@code minExclusive} and at most {@code max}.
   *
   * @throws IllegalArgumentException naming the service, key and allowed range
   */
  default double configDouble(String key, double defaultValue, double minExclusive, double max) {
    String v = configString(key, null);
    double value;
    if (v == null) {
      value = defaultValue;
    } else {
      try {
        value = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        value = Double.NaN;
      }
    }
    if (Double.isNaN(value) || value <= minExclusive || value > max) {
      throw badConfig(key, v == null ? Double.toString(value) : v, "a number within (" + minExclusive + ", " + max + "]");
    }
    return value;
  }

  private IllegalArgumentException badConfig(String key, String value, String expected) {
    return new IllegalArgumentException(
        "service '" + serviceName() + "' config '" + key + "' must be " + expected + ", got '" + value + "'");
  }
}
