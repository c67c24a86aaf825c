package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.map;

import java.util.Map;

/**
 * The desired state of one service, as an operator declares it.
 *
 * @param name unique service name
 * @param kind what agents run for it (publisher, subscriber, ...), or null when {@code image} is set
 * @param image a container image (docker and swarm orchestrators), or null
 * @param version the desired version of the service ("1" if unset)
 * @param replicas how many instances, each on a distinct device (1 if unset)
 * @param placement where instances may run
 * @param config service configuration handed to each instance; a value naming a subject (key
 *     {@code subject} or {@code ...Subject}) must lie in the service's own subject space
 *     ({@link ServiceSubjects}); the keys of a durable channel must be valid ({@link DurableChannel})
 * @param env environment variables for container instances
 * @param critical whether losing it matters more than losing other services (false if unset)
 * @param latencyObjectiveMs the end-to-end latency objective, or null
 * @param resources CPU and memory limits of each container instance, or null
 */
public record ServiceSpec(
    String name,
    String kind,
    String image,
    String version,
    Integer replicas,
    Placement placement,
    Map<String, String> config,
    Map<String, String> env,
    Boolean critical,
    Long latencyObjectiveMs,
    ContainerSpec.Resources resources) {
  public ServiceSpec {
    id(name, "name");
    if (kind == null && image == null) {
      throw ProtocolViolation.missing("kind");
    }
    if (kind != null) {
      id(kind, "kind");
    }
    version = version == null ? "1" : version;
    if (version.isBlank() || version.length() > 64) {
      throw ProtocolViolation.invalid("version", "must be 1-64 characters, got '" + Checks.abbreviate(version) + "'");
    }
    replicas = replicas == null ? 1 : replicas;
    critical = critical != null && critical;
    if (replicas < 0 || replicas > 100) {
      throw ProtocolViolation.invalid("replicas", "must be within [0, 100], got " + replicas);
    }
    placement = placement == null ? Placement.ANYWHERE : placement;
    config = map(config);
    ServiceSubjects.checkConfig(name, config);
    DurableChannel.checkConfig(config);
    env = map(env);
    if (image != null || !env.isEmpty()) {
      new ContainerSpec(image, env, resources); // validates image and env names
    }
    if (latencyObjectiveMs != null && latencyObjectiveMs <= 0) {
      throw ProtocolViolation.invalid("latencyObjectiveMs", "must be > 0, got " + latencyObjectiveMs);
    }
  }

  /** A spec without resource limits. */
  public ServiceSpec(String name, String kind, String image, String version, Integer replicas, Placement placement,
      Map<String, String> config, Map<String, String> env, Boolean critical, Long latencyObjectiveMs) {
    this(name, kind, image, version, replicas, placement, config, env, critical, latencyObjectiveMs, null);
  }

  /** What a container runtime needs beyond kind and config: image, environment, limits. */
  public ContainerSpec container() {
    return image == null && env.isEmpty() && resources == null ? ContainerSpec.NONE
        : new ContainerSpec(image, env, resources);
  }

  /** The kind instances run: {@code kind}, or {@link ContainerSpec#CONTAINER_KIND} for a spec that names only an image. */
  public String instanceKind() {
    return kind != null ? kind : ContainerSpec.CONTAINER_KIND;
  }

  /** A one-replica spec of {@code kind} with the given placement and config. */
  public static ServiceSpec of(String name, String kind, Placement placement, Map<String, String> config) {
    return new ServiceSpec(name, kind, null, "1", 1, placement, config, Map.of(), false, null);
  }

  /** A copy with another placement. */
  public ServiceSpec withPlacement(Placement p) {
    return new ServiceSpec(name, kind, image, version, replicas, p, config, env, critical, latencyObjectiveMs, resources);
  }

  /** A copy with another replica count. */
  public ServiceSpec withReplicas(int n) {
    return new ServiceSpec(name, kind, image, version, n, placement, config, env, critical, latencyObjectiveMs, resources);
  }

  /**
   * Where a service may run: a layer (or any, when null) and labels every eligible device
   * carries with equal values.
   */
  public record Placement(Layer layer, Map<String, String> labels) {
    public static final Placement ANYWHERE = new Placement(null, Map.of());

    public Placement {
      labels = map(labels);
    }

    /** Whether a device of {@code deviceLayer} with {@code deviceLabels} may host the service. */
    public boolean admits(Layer deviceLayer, Map<String, String> deviceLabels) {
      if (layer != null && layer != deviceLayer) {
        return false;
      }
      for (Map.Entry<String, String> e : labels.entrySet()) {
        if (!e.getValue().equals(deviceLabels.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }

    public static Placement layer(Layer layer) {
      return new Placement(layer, Map.of());
    }
  }
}
