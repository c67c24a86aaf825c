package io.fogwise.rules.model;

import java.util.Objects;

/**
 * A service policy must leave where it is for now (hysteresis). Inserted logically by the
 * damping pack while its condition holds; other packs check {@code not Hold(service == ...)}
 * before moving a service.
 */
public final class Hold {
  private final String service;
  private final String reason;

  public Hold(String service, String reason) {
    this.service = Objects.requireNonNull(service, "service");
    this.reason = reason;
  }

  public String getService() {
    return service;
  }

  public String getReason() {
    return reason;
  }

  // equal by service, so several reasons to hold one service justify one Hold
  @Override
  public boolean equals(Object o) {
    return o instanceof Hold h && h.service.equals(service);
  }

  @Override
  public int hashCode() {
    return service.hashCode();
  }

  @Override
  public String toString() {
    return "Hold[" + service + ": " + reason + "]";
  }
}
