package io.fogwise.edge.services;

import io.fogwise.edge.ServiceFactory;
import io.fogwise.edge.ServiceKinds;
import java.util.Map;

/** The service kinds every agent hosts unless configured otherwise; registered in {@code META-INF/services}. */
public final class BuiltInServices implements ServiceKinds {

  /** {@code publisher} and {@code subscriber}. */
  @Override
  public Map<String, ServiceFactory> kinds() {
    return Map.of(Publisher.KIND, Publisher.factory(), Subscriber.KIND, Subscriber.factory());
  }
}
