package io.fogwise.gateway.core.health;

import io.fogwise.protocol.GatewayStatus;
import java.util.List;

/**
 * What the decision thread last published about itself, for a health check that must answer
 * without waiting for it: read from any thread.
 *
 * @param status the gateway's status summary as of the tick
 * @param tickNanos when the tick finished (monotonic ns of the engine's clock)
 * @param degraded services short of running instances for longer than {@code service.underReplicatedMs}
 * @param detectionHeld why failure detection is held now, or null
 */
public record HealthSnapshot(GatewayStatus status, long tickNanos, List<String> degraded, String detectionHeld) {
  public HealthSnapshot {
    degraded = List.copyOf(degraded);
  }
}
