package io.fogwise.edge;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * A set of service kinds an agent can host, found with {@link ServiceLoader}: the built-in
 * publisher and subscriber register theirs in {@code META-INF/services}, and so can a jar of
 * one's own services on the agent's class path. The agent API does not name its services, so
 * they depend on it and not the other way round.
 */
public interface ServiceKinds {

  /** Kind name → factory. */
  Map<String, ServiceFactory> kinds();

  /** Every kind registered on the class path of {@code loader}, by name. */
  static Map<String, ServiceFactory> discover(ClassLoader loader) {
    Map<String, ServiceFactory> all = new TreeMap<>();
    for (ServiceKinds k : ServiceLoader.load(ServiceKinds.class, loader)) {
      all.putAll(k.kinds());
    }
    return all;
  }
}
