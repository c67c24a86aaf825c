package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.map;
import static io.fogwise.protocol.Checks.nonNegative;

import java.util.Map;

/**
 * A gateway's periodic summary on {@code fw.gw.<gatewayId>.status}.
 *
 * @param gatewayId the gateway
 * @param atMillis wall time of the summary
 * @param startedAtMillis when this gateway process started
 * @param devices device count by state (ALIVE, LOST, ...)
 * @param services number of declared services
 * @param instances number of placed instances
 * @param rules the live rule set, e.g. {@code global v0}
 */
public record GatewayStatus(
    String gatewayId,
    long atMillis,
    long startedAtMillis,
    Map<String, Integer> devices,
    int services,
    int instances,
    String rules) {
  public GatewayStatus {
    id(gatewayId, "gatewayId");
    nonNegative(atMillis, "atMillis");
    nonNegative(startedAtMillis, "startedAtMillis");
    devices = map(devices);
  }

  /** Devices in {@code state}, 0 if none. */
  public int devicesIn(String state) {
    return devices.getOrDefault(state, 0);
  }
}
