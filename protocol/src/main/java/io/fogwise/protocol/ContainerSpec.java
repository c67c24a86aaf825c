package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.map;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a container runtime needs to run an instance beyond its kind and configuration: the image
 * (null: the runtime's image for the kind), environment variables, and resource limits. Process
 * agents ignore it; the {@code docker} runtime and the {@code swarm} adapter apply it.
 *
 * @param image an image reference ({@code name[:tag][@sha256:digest]}), or null
 * @param env environment variables of the container (names of letters, digits and {@code _}; not {@code FW_*}, which Fogwise sets)
 * @param resources CPU and memory limits, or null for none
 */
public record ContainerSpec(String image, Map<String, String> env, Resources resources) {
  /** No image override, no environment, no limits. */
  public static final ContainerSpec NONE = new ContainerSpec(null, Map.of(), null);
  /** The kind of a spec that names only an image. */
  public static final String CONTAINER_KIND = "container";

  private static final Pattern REFERENCE = Pattern.compile(
      "[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
          + "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  public ContainerSpec {
    if (image != null && !wellFormed(image)) {
      throw ProtocolViolation.invalid("image", "must be an image reference like name:tag (lower-case name, at most "
          + "255 characters), got '" + Checks.abbreviate(image) + "'");
    }
    env = map(env);
    for (String name : env.keySet()) {
      if (!ENV_NAME.matcher(name).matches()) {
        throw ProtocolViolation.invalid("env", "names must be letters, digits and _ (not starting with a digit), got '"
            + Checks.abbreviate(name) + "'");
      }
      if (name.startsWith("FW_")) {
        throw ProtocolViolation.invalid("env", "'" + name + "': FW_* variables are set by Fogwise, not by a spec");
      }
    }
  }

  /** Whether {@code ref} is a well-formed image reference. */
  public static boolean wellFormed(String ref) {
    return ref != null && ref.length() <= 255 && REFERENCE.matcher(ref).matches();
  }

  /** Whether this asks for nothing. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isEmpty() {
    return image == null && env.isEmpty() && (resources == null || resources.isEmpty());
  }

  /**
   * Resource limits of one instance.
   *
   * @param cpus CPUs (e.g. 0.5), within (0, 256], or null for no limit
   * @param memoryMb memory in MiB, within [6, 1048576] (Docker's minimum is 6 MiB), or null for no limit
   */
  public record Resources(Double cpus, Integer memoryMb) {
    public Resources {
      if (cpus != null && (cpus.isNaN() || cpus <= 0 || cpus > 256)) {
        throw ProtocolViolation.invalid("resources.cpus", "must be within (0, 256], got " + cpus);
      }
      if (memoryMb != null && (memoryMb < 6 || memoryMb > 1_048_576)) {
        throw ProtocolViolation.invalid("resources.memoryMb", "must be within [6, 1048576] MiB, got " + memoryMb);
      }
    }

    /** Whether this limits nothing. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isEmpty() {
      return cpus == null && memoryMb == null;
    }
  }
}
