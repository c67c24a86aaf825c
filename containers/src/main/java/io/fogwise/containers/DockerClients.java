package io.fogwise.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Builds docker-java clients the one way Fogwise uses them: the engine from {@code DOCKER_HOST}
 * (default the local socket), API version 1.41 (Debian's docker.io 20.10 refuses newer ones with
 * HTTP 400), the httpclient5 transport with bounded connect and response times, so an engine
 * that went away fails an operation instead of hanging it.
 */
public final class DockerClients {
  /** The API version spoken: the newest Debian 12's engine (20.10) accepts. */
  public static final String API_VERSION = "1.41";
  /** The engine when {@code DOCKER_HOST} is not set. */
  public static final String DEFAULT_HOST = "unix:///var/run/docker.sock";

  private DockerClients() {}

  /** A client of the engine named by the environment's {@code DOCKER_HOST}, or the local socket. */
  public static DockerClient connect() {
    return connect(System.getenv());
  }

  /** A client of the engine {@code env} names ({@code DOCKER_HOST}). */
  public static DockerClient connect(Map<String, String> env) {
    String host = env.getOrDefault("DOCKER_HOST", DEFAULT_HOST);
    return connect(host, Duration.ofSeconds(60));
  }

  /**
   * A client of the engine at {@code host} ({@code unix:///path} or {@code tcp://host:port});
   * {@code responseTimeout} bounds each call (a log follow or a wait needs its own).
   */
  public static DockerClient connect(String host, Duration responseTimeout) {
    DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
        .withDockerHost(host)
        .withApiVersion(API_VERSION)
        .withDockerTlsVerify(false)
        .build();
    ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
        .dockerHost(config.getDockerHost())
        .sslConfig(config.getSSLConfig())
        .maxConnections(32)
        .connectionTimeout(Duration.ofSeconds(5))
        .responseTimeout(responseTimeout)
        .build();
    return DockerClientImpl.getInstance(config, http);
  }

  /**
   * Why the engine cannot be used, or empty when it answers a ping: for a one-line error that
   * says what to do.
   */
  public static Optional<String> problem(DockerClient client) {
    try {
      client.pingCmd().exec();
      return Optional.empty();
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      return Optional.of("the Docker engine does not answer (" + cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
          + "); is dockerd running and DOCKER_HOST right?");
    }
  }
}
