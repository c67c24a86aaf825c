package io.fogwise.gateway.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.Task;
import io.fogwise.containers.Images;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.orchestrator.InstanceCredentials;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.testsupport.NatsServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** What the swarm ITs share: the instance image, a gateway id of their own, cleanup by label. */
final class SwarmIt {
  /**
   * The image instances run: the real subscriber ({@code images/build.sh}). A developer without it
   * may point {@code -Dfogwise.swarm.image=} at any long-running local image; CI runs the real one.
   */
  static final String IMAGE = System.getProperty("fogwise.swarm.image", Images.builtIn("subscriber"));
  /** An image no engine has (no registry here): Swarm rejects its task with "No such image". */
  static final String MISSING_IMAGE = "fogwise-swarm-it/no-such-image:none";

  private SwarmIt() {}

  /** A gateway id no other run shares, so cleanup by its label touches only this run's services. */
  static String gatewayId(String prefix) {
    return prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
  }

  /** Settings for a test adapter: fast polls and restarts, the hub's URL and CA. */
  static SwarmOrchestrator.Settings.Builder settings(String gw, NatsServer hub) {
    return SwarmOrchestrator.Settings.builder(gw, hub.url())
        .caFile(hub.isSecure() ? hub.identity().caFile() : null)
        .insecure(!hub.isSecure())
        .pollInterval(Duration.ofMillis(100))
        .restartDelay(Duration.ofMillis(200))
        .images(Map.of("subscriber", IMAGE, "publisher", IMAGE));
  }

  /** The gateway's instance credentials on {@code hub} (issued on first use). */
  static InstanceCredentials credentials(String gw, NatsServer hub) {
    if (!hub.isSecure()) {
      return InstanceCredentials.none();
    }
    hub.auth(Role.GATEWAY, gw); // issues the gateway, and with it its instance key
    return InstanceCredentials.signedBy(InstanceSigner.load(hub.identity().instanceKeyFile(gw)), Duration.ZERO);
  }

  /** Removes every Swarm service and secret labelled with gateway {@code gw}, whatever the adapter did. */
  static void removeAll(DockerClient docker, String gw) {
    for (Service s : docker.listServicesCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw)).exec()) {
      try {
        docker.removeServiceCmd(s.getId()).exec();
      } catch (RuntimeException e) {
        // gone already
      }
    }
    for (var s : docker.listSecretsCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw)).exec()) {
      try {
        docker.removeSecretCmd(s.getId()).exec();
      } catch (RuntimeException e) {
        // in use by a service being removed: retried below
      }
    }
  }

  /** The tasks of gateway {@code gw}'s Swarm services for {@code service}, listed independently of the adapter. */
  static List<Task> tasks(DockerClient docker, String gw, String service) {
    List<Service> services = docker.listServicesCmd()
        .withLabelFilter(Map.of(Labels.GATEWAY, gw, Labels.SERVICE, service)).exec();
    if (services.isEmpty()) {
      return List.of();
    }
    return docker.listTasksCmd().withServiceFilter(services.stream().map(Service::getId).toArray(String[]::new)).exec();
  }
}
