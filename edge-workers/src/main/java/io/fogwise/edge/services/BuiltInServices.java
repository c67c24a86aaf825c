package io.fogwise.edge.services;

import io.fogwise.edge.ServiceFactory;
import java.util.Map;

/** The service kinds every agent hosts unless configured otherwise. */
public final class BuiltInServices {
  private BuiltInServices() {}

  /** {@code publisher} and {@code subscriber}. */
  public static Map<String, ServiceFactory> all() {
    return Map.of(Publisher.KIND, Publisher.factory(), Subscriber.KIND, Subscriber.factory());
  }
}
