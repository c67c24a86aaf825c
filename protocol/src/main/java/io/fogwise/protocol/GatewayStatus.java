package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.map;
import static io.fogwise.protocol.Checks.nonNegative;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
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
 * @param policyVersions the policy version live per scope ({@code global}, {@code gw.<id>}); a
 *     scope running only the built-in packs is absent (omitted from JSON when empty)
 * @param problems conditions an operator must know about that did not stop the gateway (a policy
 *     pointer that is missing or unreadable, durable state set aside), one line each (omitted
 *     from JSON when empty)
 */
public record GatewayStatus(
    String gatewayId,
    long atMillis,
    long startedAtMillis,
    Map<String, Integer> devices,
    int services,
    int instances,
    String rules,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Long> policyVersions,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> problems) {
  public GatewayStatus {
    id(gatewayId, "gatewayId");
    nonNegative(atMillis, "atMillis");
    nonNegative(startedAtMillis, "startedAtMillis");
    devices = map(devices);
    policyVersions = map(policyVersions);
    problems = Checks.list(problems, "problems");
  }

  /** A status without policy versions or problems. */
  public GatewayStatus(String gatewayId, long atMillis, long startedAtMillis, Map<String, Integer> devices,
      int services, int instances, String rules) {
    this(gatewayId, atMillis, startedAtMillis, devices, services, instances, rules, Map.of(), List.of());
  }

  /** Devices in {@code state}, 0 if none. */
  public int devicesIn(String state) {
    return devices.getOrDefault(state, 0);
  }
}
