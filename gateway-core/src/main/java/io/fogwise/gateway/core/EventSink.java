package io.fogwise.gateway.core;

import io.fogwise.protocol.AdaptationEvent;

/** Where a gateway's adaptation events go (NATS in production, a list in tests). */
@FunctionalInterface
public interface EventSink {
  void publish(AdaptationEvent event);
}
