package io.fogwise.edge;

import io.fogwise.protocol.ContainerSpec;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a container instance needs from its START and its agent.
 *
 * @param natsUrl the hub the container connects to
 * @param credentials the instance's own {@code .creds} text, or null (a hub without authentication)
 * @param caFile the CA certificate the agent trusts, which the container trusts too
 * @param insecure whether the hub runs without authentication
 * @param container image, environment and limits from the spec
 */
public record InstanceLaunch(String natsUrl, String credentials, Optional<Path> caFile, boolean insecure,
    ContainerSpec container) {
  public InstanceLaunch {
    container = container == null ? ContainerSpec.NONE : container;
    caFile = caFile == null ? Optional.empty() : caFile;
  }

  /** Never prints the credentials. */
  @Override
  public String toString() {
    return "InstanceLaunch[natsUrl=" + natsUrl + ", credentials=" + (credentials == null ? "none" : "<redacted>")
        + ", caFile=" + caFile.orElse(null) + ", insecure=" + insecure + ", container=" + container + "]";
  }
}
