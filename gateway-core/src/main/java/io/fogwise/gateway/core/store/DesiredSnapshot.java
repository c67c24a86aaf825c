package io.fogwise.gateway.core.store;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import java.util.List;
import java.util.Map;

/**
 * Everything a gateway must not forget across a restart: declared services, the epoch counter
 * of each (so fencing stays correct), operator preferences, policy exclusions, and where
 * instances were placed (and on which devices, so silent ones are still detected).
 *
 * @param format snapshot format version
 * @param savedAtMillis wall time of the save
 * @param services declared specs
 * @param epochs last epoch handed out per service
 * @param preferred device an operator moved a service to
 * @param exclusions policy exclusions with their wall-clock expiry
 * @param placements placed instances
 * @param devices the devices hosting placements
 * @param rejectedPolicies policy versions this gateway rejected or rolled back, per scope: never
 *     applied again, also after a restart
 * @param policyVersions the policy version this gateway runs per scope (see {@link PolicyHistory}):
 *     nothing lower is applied at start, whatever the live pointer says; the bundle itself is
 *     kept beside the snapshot ({@link DesiredStore#savePolicy})
 */
public record DesiredSnapshot(
    int format,
    long savedAtMillis,
    List<ServiceSpec> services,
    Map<String, Long> epochs,
    Map<String, String> preferred,
    List<Exclusion> exclusions,
    List<PlacementRecord> placements,
    List<DeviceRecord> devices,
    Map<String, List<Long>> rejectedPolicies,
    Map<String, Long> policyVersions) {
  /** The current format. */
  public static final int FORMAT = 1;

  public DesiredSnapshot {
    services = services == null ? List.of() : List.copyOf(services);
    epochs = epochs == null ? Map.of() : Map.copyOf(epochs);
    preferred = preferred == null ? Map.of() : Map.copyOf(preferred);
    exclusions = exclusions == null ? List.of() : List.copyOf(exclusions);
    placements = placements == null ? List.of() : List.copyOf(placements);
    devices = devices == null ? List.of() : List.copyOf(devices);
    rejectedPolicies = rejectedPolicies == null ? Map.of() : Map.copyOf(rejectedPolicies);
    policyVersions = policyVersions == null ? Map.of() : Map.copyOf(policyVersions);
  }

  /** A snapshot that only carries epoch counters (what a gateway knows after setting its state aside). */
  public static DesiredSnapshot epochsOnly(long savedAtMillis, Map<String, Long> epochs) {
    return new DesiredSnapshot(FORMAT, savedAtMillis, null, epochs, null, null, null, null, null, null);
  }

  /** A service kept off a device until a wall-clock time. */
  public record Exclusion(String service, String deviceId, long untilWallMillis) {}

  /** An instance placed on a device, with the service version it was started with. */
  public record PlacementRecord(String service, String deviceId, long epoch, String version) {}

  /** A device as the gateway last knew it. */
  public record DeviceRecord(String id, Layer layer, String deviceClass, Map<String, String> labels) {}
}
