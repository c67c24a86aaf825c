package io.fogwise.testsupport;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.fogwise.containers.DockerClients;
import io.fogwise.containers.Images;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The real Docker engine for tests. Outside CI a missing engine or image skips the test with
 * the reason; with {@code CI=true} it fails it, so Docker-backed tests cannot silently stop
 * running where they must run ({@code .ci/run} starts the engine and builds the images first).
 */
public final class DockerEngine {
  private DockerEngine() {}

  /** Whether this run is CI ({@code CI=true}), where nothing may be skipped for a missing engine. */
  public static boolean ci() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** A client of the engine, or the test is skipped (failed in CI) with the reason. */
  public static DockerClient require() {
    DockerClient client = DockerClients.connect();
    Optional<String> problem = DockerClients.problem(client);
    problem.ifPresent(DockerEngine::missing);
    return client;
  }

  /** Also requires these images (built by {@code images/build.sh}). */
  public static DockerClient require(String... images) {
    DockerClient client = require();
    for (String image : images) {
      try {
        client.inspectImageCmd(Images.withTag(image)).exec();
      } catch (NotFoundException e) {
        missing("image " + image + " is not built; run images/build.sh");
      }
    }
    return client;
  }

  /** The images of the built-in service kinds, which the container tests run. */
  public static List<String> instanceImages() {
    return List.copyOf(Images.defaults().values());
  }

  /** Requires the engine to be a Swarm manager ({@code docker swarm init}). */
  public static DockerClient requireSwarm() {
    DockerClient client = require();
    try {
      client.inspectSwarmCmd().exec();
    } catch (RuntimeException e) {
      missing("the engine is not a Swarm manager (docker swarm init --advertise-addr 127.0.0.1): " + e.getMessage());
    }
    return client;
  }

  private static void missing(String why) {
    if (ci()) {
      Assertions.fail("CI=true and " + why);
    }
    Assumptions.abort(why);
  }
}
