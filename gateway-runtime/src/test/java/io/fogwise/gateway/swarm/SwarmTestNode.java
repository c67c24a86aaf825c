package io.fogwise.gateway.swarm;

import com.github.dockerjava.api.DockerClient;
import io.fogwise.containers.SwarmNodes;

/**
 * The test Swarm's (one) node, whose labels a test changes and puts back: other tests share
 * this engine, so only the keys a test sets are touched, and each is restored to what it was
 * (or removed) on {@link #close} ({@link SwarmNodes.Relabel}).
 */
final class SwarmTestNode implements AutoCloseable {
  private final SwarmNodes.Relabel labels;

  private SwarmTestNode(DockerClient docker, String nodeId) {
    this.labels = new SwarmNodes.Relabel(docker, nodeId);
  }

  /** The manager node this engine runs (the only node of the test Swarm). */
  static SwarmTestNode self(DockerClient docker) {
    return new SwarmTestNode(docker, docker.infoCmd().exec().getSwarm().getNodeID());
  }

  String id() {
    return labels.nodeId();
  }

  /** Sets {@code key=value} (remembering the value before, the first time). */
  SwarmTestNode label(String key, String value) {
    labels.set(key, value);
    return this;
  }

  /** Removes {@code key} (remembering the value before, the first time). */
  SwarmTestNode unlabel(String key) {
    labels.set(key, null);
    return this;
  }

  @Override
  public void close() {
    labels.close();
  }
}
