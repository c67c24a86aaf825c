package io.fogwise.rules.model;

import java.util.Objects;
import org.kie.api.definition.type.Expires;
import org.kie.api.definition.type.Role;

/**
 * A service was placed somewhere new (failover, planned migration, restart), as an event:
 * the damping pack reads these to hold recently moved services in place. Expires after 2 hours.
 */
@Role(Role.Type.EVENT)
@Expires("2h")
public final class Movement {
  private final String service;
  private final String fromDevice;
  private final String toDevice;
  private final Kind kind;
  private final long atMillis;

  /**
   * @param service the service
   * @param fromDevice where it ran, or null
   * @param toDevice where it runs now
   * @param kind why it moved
   * @param atMillis when, on the rule clock
   */
  public Movement(String service, String fromDevice, String toDevice, Kind kind, long atMillis) {
    this.service = Objects.requireNonNull(service, "service");
    this.fromDevice = fromDevice;
    this.toDevice = Objects.requireNonNull(toDevice, "toDevice");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.atMillis = atMillis;
  }

  public String getService() {
    return service;
  }

  public String getFromDevice() {
    return fromDevice;
  }

  public String getToDevice() {
    return toDevice;
  }

  public Kind getKind() {
    return kind;
  }

  public long getAtMillis() {
    return atMillis;
  }

  @Override
  public String toString() {
    return "Movement[" + service + " " + fromDevice + " -> " + toDevice + " " + kind + " @" + atMillis + "]";
  }

  /** Why a service moved. */
  public enum Kind {
    FAILOVER,
    MIGRATION,
    RESTART
  }
}
