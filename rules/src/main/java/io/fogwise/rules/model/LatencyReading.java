package io.fogwise.rules.model;

import java.util.Objects;
import org.kie.api.definition.type.Expires;
import org.kie.api.definition.type.Role;

/**
 * End-to-end latency of a service's output as one subscriber measured it over its last
 * report period, as an event. Expires after 10 minutes.
 */
@Role(Role.Type.EVENT)
@Expires("10m")
public final class LatencyReading {
  private final String service;
  private final String subscriberId;
  private final long atMillis;
  private final long p50Micros;
  private final long p99Micros;

  /**
   * @param service the measured (publishing) service
   * @param subscriberId the device that measured it
   * @param atMillis when the gateway received it, on the rule clock
   * @param p50Micros median latency in microseconds
   * @param p99Micros 99th percentile in microseconds
   */
  public LatencyReading(String service, String subscriberId, long atMillis, long p50Micros, long p99Micros) {
    this.service = Objects.requireNonNull(service, "service");
    this.subscriberId = Objects.requireNonNull(subscriberId, "subscriberId");
    this.atMillis = atMillis;
    this.p50Micros = p50Micros;
    this.p99Micros = p99Micros;
  }

  public String getService() {
    return service;
  }

  public String getSubscriberId() {
    return subscriberId;
  }

  public long getAtMillis() {
    return atMillis;
  }

  public long getP50Micros() {
    return p50Micros;
  }

  public long getP99Micros() {
    return p99Micros;
  }

  @Override
  public String toString() {
    return "LatencyReading[" + service + " at " + subscriberId + " p99 " + p99Micros + " us @" + atMillis + "]";
  }
}
