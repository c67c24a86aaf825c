package io.fogwise.gateway.swarm;

import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import java.util.List;
import java.util.Map;

/**
 * What the Swarm reported at one poll: the nodes that are Fogwise devices, the instances each
 * device runs (derived from the gateway's own Swarm services' tasks), and why instances that do
 * not run yet are waiting (Swarm's own words, e.g. "no suitable node (scheduling constraints not
 * satisfied on 1 node)").
 *
 * @param takenAtMillis wall time of the poll
 * @param devices the nodes carrying a {@code fogwise.device} label, by device id
 * @param instances the instances on each device, by device id (a device may run instances and
 *     not be a node any more: its label was removed)
 * @param waiting for each instance key ({@code service@device#epoch}) that has no running task,
 *     the latest task's state and Swarm's message
 */
public record SwarmView(long takenAtMillis, Map<String, Device> devices, Map<String, List<InstanceReport>> instances,
    Map<String, String> waiting) {
  /** Nothing seen yet. */
  public static final SwarmView EMPTY = new SwarmView(0, Map.of(), Map.of(), Map.of());

  public SwarmView {
    devices = Map.copyOf(devices);
    instances = Map.copyOf(instances);
    waiting = Map.copyOf(waiting);
  }

  /** The instances on {@code deviceId} (none when it runs nothing). */
  public List<InstanceReport> instancesOn(String deviceId) {
    return instances.getOrDefault(deviceId, List.of());
  }

  /**
   * A Swarm node that is a Fogwise device.
   *
   * @param deviceId the node's {@code fogwise.device} label
   * @param nodeId the Swarm node id
   * @param hostname the node's host name
   * @param layer the node's {@code layer} label ({@link Layer#EDGE} when it has none or an unknown one)
   * @param labels the node's other labels (placement labels)
   * @param ready whether Swarm sees the node READY (a DOWN node gets no heartbeats, so the gateway declares it lost)
   */
  public record Device(String deviceId, String nodeId, String hostname, Layer layer, Map<String, String> labels,
      boolean ready) {
    public Device {
      labels = Map.copyOf(labels);
    }
  }
}
