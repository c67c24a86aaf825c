package io.fogwise.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.SwarmNodeSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Labels of Swarm nodes (a node's {@code fogwise.device} and {@code layer}). */
public final class SwarmNodes {
  private SwarmNodes() {}

  /**
   * Changes the labels of node {@code nodeId}: read, change, write with the node's version, and
   * again when another writer came in between ("update out of sequence"), up to five times.
   */
  public static void updateLabels(DockerClient docker, String nodeId, Consumer<Map<String, String>> change) {
    for (int attempt = 0; ; attempt++) {
      SwarmNode n = docker.listSwarmNodesCmd().withIdFilter(List.of(nodeId)).exec().get(0);
      SwarmNodeSpec spec = n.getSpec();
      Map<String, String> labels = new HashMap<>(spec.getLabels() == null ? Map.of() : spec.getLabels());
      change.accept(labels);
      try {
        docker.updateSwarmNodeCmd().withSwarmNodeId(nodeId).withVersion(n.getVersion().getIndex())
            .withSwarmNodeSpec(spec.withLabels(labels)).exec();
        return;
      } catch (DockerException e) {
        if (attempt >= 5) {
          throw e; // out of sequence five times: not a race any more
        }
      }
    }
  }

  /**
   * Labels set on a node and put back as they were on {@link #close}: on an engine others use too,
   * only the keys set here are touched, each restored to its value before (or removed).
   */
  public static final class Relabel implements AutoCloseable {
    private final DockerClient docker;
    private final String nodeId;
    /** Each key set or removed, with its value before (null: absent). */
    private final Map<String, String> before = new java.util.LinkedHashMap<>();

    public Relabel(DockerClient docker, String nodeId) {
      this.docker = docker;
      this.nodeId = nodeId;
    }

    /** The node. */
    public String nodeId() {
      return nodeId;
    }

    /** Sets {@code key=value} (null: removes it), remembering the value before the first time. */
    public Relabel set(String key, String value) {
      updateLabels(docker, nodeId, labels -> {
        before.putIfAbsent(key, labels.get(key));
        if (value == null) {
          labels.remove(key);
        } else {
          labels.put(key, value);
        }
      });
      return this;
    }

    /** Puts every key back. */
    @Override
    public void close() {
      updateLabels(docker, nodeId, labels -> before.forEach((k, v) -> {
        if (v == null) {
          labels.remove(k);
        } else {
          labels.put(k, v);
        }
      }));
      before.clear();
    }
  }
}
