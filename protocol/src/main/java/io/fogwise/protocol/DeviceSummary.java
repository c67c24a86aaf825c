package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.map;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.required;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * One device as its gateway sees it: the answer to {@link ServiceRequest.Op#DEVICES}, what
 * {@code fogwise get devices} and {@code describe device} show.
 *
 * @param id the device
 * @param layer CLOUD, FOG or EDGE
 * @param deviceClass its device class
 * @param labels its placement labels
 * @param state ALIVE, SUSPECTED or LOST (the registry's word)
 * @param quarantined whether rules keep services off it for now
 * @param phi its current suspicion
 * @param silenceMs how long since its last heartbeat
 * @param kinds the kinds it says it can run; empty when it does not say (unknown)
 * @param instances the instances its last heartbeat reported, {@code service#epoch}
 * @param cpuLoad its last reported CPU load, or null
 * @param batteryPct its last reported battery, or null
 */
public record DeviceSummary(String id, Layer layer, String deviceClass, Map<String, String> labels, String state,
    boolean quarantined, double phi, long silenceMs, List<String> kinds, List<String> instances,
    @JsonInclude(JsonInclude.Include.NON_NULL) Double cpuLoad,
    @JsonInclude(JsonInclude.Include.NON_NULL) Double batteryPct) {
  public DeviceSummary {
    Checks.id(id, "id");
    required(layer, "layer");
    required(state, "state");
    labels = map(labels);
    nonNegative(silenceMs, "silenceMs");
    kinds = Checks.list(kinds, "kinds");
    instances = Checks.list(instances, "instances");
  }
}
