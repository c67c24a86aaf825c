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
}
