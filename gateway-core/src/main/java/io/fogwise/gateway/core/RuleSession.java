package io.fogwise.gateway.core;

import io.fogwise.protocol.time.Clock;
import io.fogwise.rules.host.RuleHost;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.Instance;
import io.fogwise.rules.model.Movement;
import io.fogwise.rules.model.Parameters;
import io.fogwise.rules.model.Service;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The live rule session, with typed facts: parameters, devices, services and instances each
 * under their own key type, and events kept to replay into the next rule set. Swapping rule
 * sets carries every fact and the recent events over, so a sustained window in progress or a
 * damping hold survives a policy push.
 */
final class RuleSession implements AutoCloseable {
  /** Readings and latency reports older than this cannot matter to a window any pack uses (10 min). */
  static final long REPLAY_MS = 600_000;
  /** Movements are kept longer: damping holds a service for up to two hours. */
  static final long MOVEMENT_REPLAY_MS = 7_200_000;
  /** A bound on memory whatever the event rate. */
  static final int REPLAY_MAX = 200_000;

  private record ServiceKey(String name) {}

  private record InstanceKey(String key) {}

  private enum ParametersKey { INSTANCE }

  private record TimedEvent(Object event, long atMillis) {}

  private final Clock clock;
  private final int firingBudget;
  private final Map<String, Instance> instances = new HashMap<>();
  private final Map<String, Service> services = new HashMap<>();
  private final Deque<TimedEvent> replay = new ArrayDeque<>();
  private RuleHost host;
  private Parameters parameters;

  RuleSession(RuleSet rules, Clock clock, int firingBudget, Parameters parameters) {
    this.clock = clock;
    this.firingBudget = firingBudget;
    this.host = new RuleHost(rules, clock, firingBudget);
    putParameters(parameters);
  }

  void putParameters(Parameters p) {
    parameters = p;
    host.put(ParametersKey.INSTANCE, p);
  }

  Parameters parameters() {
    return parameters;
  }

  void putDevice(Device d) {
    host.putDevice(d);
  }

  /** Puts the service fact, or removes it when {@code fact} is null (the service was deleted). */
  void putService(String name, Service fact) {
    if (fact == null) {
      services.remove(name);
      host.remove(new ServiceKey(name));
    } else {
      services.put(name, fact);
      host.put(new ServiceKey(name), fact);
    }
  }

  /** Makes the instance facts equal {@code current} (keyed by placement key), touching only what changed. */
  void syncInstances(Map<String, Instance> current) {
    for (String key : new ArrayList<>(instances.keySet())) {
      if (!current.containsKey(key)) {
        host.remove(new InstanceKey(key));
        instances.remove(key);
      }
    }
    current.forEach((key, inst) -> {
      if (!inst.equals(instances.get(key))) {
        host.put(new InstanceKey(key), inst);
        instances.put(key, inst);
      }
    });
  }

  /** Inserts an event that happened at {@code atMillis}, and keeps it to replay into the next rule set. */
  void event(Object e, long atMillis) {
    host.insertEvent(e);
    replay.addLast(new TimedEvent(e, atMillis));
    while (!replay.isEmpty()) {
      TimedEvent first = replay.peekFirst();
      long keep = first.event() instanceof Movement ? MOVEMENT_REPLAY_MS : REPLAY_MS;
      if (atMillis - first.atMillis() > keep || replay.size() > REPLAY_MAX) {
        replay.removeFirst();
      } else {
        break;
      }
    }
  }

  RuleHost.Evaluation evaluate() {
    return host.evaluate();
  }

  RuleSet rules() {
    return host.rules();
  }

  /**
   * Replaces the rule set: a fresh session gets the parameters, {@code devices}, every service
   * and instance fact, and the recent events with their original times; the old one is closed.
   */
  void swap(RuleSet next, Parameters nextParameters, Collection<Device> devices) {
    long now = clock.millis();
    RuleHost fresh = new RuleHost(next, clock, firingBudget);
    fresh.put(ParametersKey.INSTANCE, nextParameters);
    devices.forEach(fresh::putDevice);
    services.forEach((name, fact) -> fresh.put(new ServiceKey(name), fact));
    instances.forEach((key, inst) -> fresh.put(new InstanceKey(key), inst));
    for (TimedEvent e : replay) {
      if (e.event() instanceof Movement || now - e.atMillis() <= REPLAY_MS) {
        fresh.insertEvent(e.event());
      }
    }
    RuleHost old = host;
    host = fresh;
    parameters = nextParameters;
    old.close();
  }

  @Override
  public void close() {
    host.close();
  }
}
