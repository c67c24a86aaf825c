package io.fogwise.gateway.swarm;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.ProtocolViolation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what the Swarm reports into the heartbeats the gateway learns devices from, as if each
 * Swarm node labelled {@code fogwise.device} were an agent: its layer and labels from the node's
 * labels, its instances from the tasks. A node Swarm does not see READY gets none, so the
 * gateway's failure detector declares it lost as it would a silent agent.
 */
public final class SwarmHeartbeats {
  private static final Logger LOG = LoggerFactory.getLogger(SwarmHeartbeats.class);
  private final String gatewayId;
  private final int intervalMs;
  private final Map<String, Long> seq = new HashMap<>();
  private final Set<String> warned = new HashSet<>();

  /**
   * @param interval how often views come (the adapter's poll interval): the heartbeat interval
   *     the detector is told
   */
  public SwarmHeartbeats(String gatewayId, Duration interval) {
    this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
    this.intervalMs = (int) Math.max(10, Math.min(60_000, interval.toMillis()));
  }

  /** One heartbeat per READY device in {@code view}, each device numbering its own. */
  public synchronized List<Heartbeat> of(SwarmView view) {
    List<Heartbeat> out = new ArrayList<>();
    for (SwarmView.Device d : view.devices().values()) {
      if (!d.ready()) {
        continue;
      }
      try {
        long n = seq.merge(d.deviceId(), 1L, Long::sum);
        out.add(new Heartbeat(d.deviceId(), gatewayId, n, view.takenAtMillis(), intervalMs, d.layer(),
            d.labels().get("fogwise.class"), d.labels(), view.instancesOn(d.deviceId())));
      } catch (ProtocolViolation e) {
        if (warned.add(d.deviceId())) {
          LOG.warn("gateway {}: Swarm node {} is labelled fogwise.device={} but cannot be a device: {}", gatewayId,
              d.nodeId(), d.deviceId(), e.getMessage());
        }
      }
    }
    return out;
  }
}
