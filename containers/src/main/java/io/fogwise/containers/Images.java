package io.fogwise.containers;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Which image runs a service kind: {@code images/build.sh} builds {@code fogwise/<kind>} for
 * the built-in kinds (publisher, subscriber); a spec's {@code image} or an agent's
 * {@code --image kind=ref} names any other.
 */
public final class Images {
  /** The repository prefix of the images {@code images/build.sh} builds. */
  public static final String PREFIX = "fogwise/";
  /** The tag {@code images/build.sh} gives them: {@code FOGWISE_IMAGE_TAG}, as for the script, or {@code latest}. */
  public static final String TAG = tag(System.getenv("FOGWISE_IMAGE_TAG"));
  private static final Pattern REFERENCE =
      Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?");

  private Images() {}

  private static String tag(String env) {
    return env == null || env.isBlank() ? "latest" : env.trim();
  }

  /** The image of a built-in kind: {@code fogwise/<kind>:latest}. */
  public static String builtIn(String kind) {
    return PREFIX + kind + ":" + TAG;
  }

  /** The default kind → image map: the built-in kinds' images. */
  public static Map<String, String> defaults() {
    Map<String, String> m = new TreeMap<>();
    m.put("publisher", builtIn("publisher"));
    m.put("subscriber", builtIn("subscriber"));
    return m;
  }

  /** Whether {@code ref} is a well-formed image reference ({@code name[:tag][@digest]}). */
  public static boolean wellFormed(String ref) {
    return ref != null && ref.length() <= 255 && REFERENCE.matcher(ref).matches();
  }

  /** {@code ref} with {@code :latest} when it names no tag or digest (how the engine lists images). */
  public static String withTag(String ref) {
    int slash = ref.lastIndexOf('/');
    String last = ref.substring(slash + 1);
    return last.contains(":") || ref.contains("@") ? ref : ref + ":latest";
  }
}
