package io.fogwise.gateway.core;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gateway's adaptation events: numbered, kept (the last {@value #RECENT}) and published. */
final class EventLog {
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
  /** Enough for the HTTP API's /events and a restart investigation, small enough to hold in memory. */
  static final int RECENT = 500;

  private final String gatewayId;
  private final Clock clock;
  private final EventSink sink;
  private final Deque<AdaptationEvent> recent = new ArrayDeque<>();
  private long seq;

  EventLog(String gatewayId, Clock clock, EventSink sink) {
    this.gatewayId = gatewayId;
    this.clock = clock;
    this.sink = sink;
  }

  void emit(AdaptationEvent.Type type, String deviceId, String service, long epoch, String rule, String reason,
      Map<String, String> details) {
    AdaptationEvent e = new AdaptationEvent(gatewayId, ++seq, clock.wallMillis(), type, deviceId, service, epoch, rule,
        reason, details);
    if (type != AdaptationEvent.Type.HEARTBEAT_TIMING) { // for the cloud's miner, not for operators' timeline
      recent.addLast(e);
      if (recent.size() > RECENT) {
        recent.removeFirst();
      }
    }
    try {
      sink.publish(e);
    } catch (RuntimeException ex) {
      LOG.warn("could not publish event {}: {}", type, ex.getMessage());
    }
  }

  List<AdaptationEvent> recent() {
    return List.copyOf(recent);
  }
}
