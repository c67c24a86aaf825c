package io.fogwise.gateway.swarm;

import com.github.dockerjava.api.DockerClient;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The test Swarm's (one) node, whose labels a test changes and puts back: other tests share
 * this engine, so only the keys a test sets are touched, and each is restored to what it was
 * (or removed) on {@link #close}.
 */
final class SwarmTestNode implements AutoCloseable {
  private final DockerClient docker;
  private final String nodeId;
  /** Each key set, with its value before (null: absent). */
  private final Map<String, String> before = new LinkedHashMap<>();

  private SwarmTestNode(DockerClient docker, String nodeId) {
    this.docker = docker;
    this.nodeId = nodeId;
  }

  /** The manager node this engine runs (the only node of the test Swarm). */
  static SwarmTestNode self(DockerClient docker) {
    String id = docker.infoCmd().exec().getSwarm().getNodeID();
    return new SwarmTestNode(docker, id);
  }

  String id() {
    return nodeId;
  }

  /** Sets {@code key=value} (remembering the value before, the first time). */
  SwarmTestNode label(String key, String value) {
    update(labels -> {
      before.putIfAbsent(key, labels.get(key));
      labels.put(key, value);
    });
    return this;
  }

  /** Removes {@code key} (remembering the value before, the first time). */
  SwarmTestNode unlabel(String key) {
    update(labels -> {
      before.putIfAbsent(key, labels.get(key));
      labels.remove(key);
    });
    return this;
  }

  @Override
  public void close() {
    update(labels -> before.forEach((k, v) -> {
      if (v == null) {
        labels.remove(k);
      } else {
        labels.put(k, v);
      }
    }));
    before.clear();
  }

  private void update(java.util.function.Consumer<Map<String, String>> change) {
    io.fogwise.containers.SwarmNodes.updateLabels(docker, nodeId, change);
  }
}
