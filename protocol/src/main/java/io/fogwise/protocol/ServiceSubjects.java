package io.fogwise.protocol;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The subject space of one service, and the check that keeps configuration values naming
 * subjects inside it. A service may publish only on {@code fw.stats.<service>} (and below it)
 * and on {@code fw.data.<app>.>} of its own {@code app}; anything else — the JetStream and
 * system APIs ({@code $KV.}, {@code $JS.}, {@code $SYS.}), reply inboxes, or the gateway's
 * own subjects ({@code fw.gw.}, {@code fw.cmd.}, {@code fw.hb.}, {@code fw.tm.},
 * {@code fw.ev.}) — would let a spec sent through the API write where only the gateway may.
 *
 * <p>A configuration key names a subject when it is {@code subject} or ends with
 * {@code Subject} (case-insensitive), e.g. {@code statsSubject}. The gateway checks every spec
 * when it is decoded ({@link ServiceSpec}); agents check again before they use a value.
 */
public final class ServiceSubjects {
  /** Prefixes no service may name, with why. */
  public static final List<String> RESERVED = List.of("$KV.", "$JS.", "$SYS.", "$O.", "_INBOX.", "fw.gw.",
      "fw.cmd.", "fw.hb.", "fw.tm.", "fw.ev.");
  /** Longest subject accepted in a configuration value. */
  public static final int MAX_LENGTH = 256;

  private ServiceSubjects() {}

  /** Whether configuration key {@code key} names a subject. */
  public static boolean namesSubject(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.equals("subject") || k.endsWith("subject");
  }

  /**
   * Checks every subject-naming value of {@code config} for service {@code service}.
   *
   * @throws ProtocolViolation naming the field {@code config.<key>}
   */
  static void checkConfig(String service, Map<String, String> config) {
    for (Map.Entry<String, String> e : config.entrySet()) {
      if (namesSubject(e.getKey())) {
        String why = problem(service, e.getValue(), config.get("app"));
        if (why != null) {
          throw ProtocolViolation.invalid("config." + e.getKey(), why);
        }
      }
    }
  }

  /**
   * {@code value} if it lies in {@code service}'s own subject space ({@code app} being the
   * service's data application, or null), else an {@link IllegalArgumentException} naming the
   * service and key: what an agent calls before it uses a configured subject.
   */
  public static String require(String service, String key, String value, String app) {
    String why = problem(service, value, app);
    if (why != null) {
      throw new IllegalArgumentException("service '" + service + "' config '" + key + "' " + why);
    }
    return value;
  }

  /** Why {@code subject} is not in {@code service}'s space, or null if it is. */
  static String problem(String service, String subject, String app) {
    if (subject == null || subject.isBlank()) {
      return "must name a subject, got an empty value";
    }
    String shown = "'" + Checks.abbreviate(subject) + "'";
    if (subject.length() > MAX_LENGTH) {
      return "must be at most " + MAX_LENGTH + " characters";
    }
    for (String reserved : RESERVED) {
      if (subject.regionMatches(true, 0, reserved, 0, reserved.length())
          || subject.equalsIgnoreCase(reserved.substring(0, reserved.length() - 1))) {
        return "names the reserved subject space " + reserved + "> (" + shown + "); a service may only use "
            + space(service, app);
      }
    }
    for (String token : subject.split("\\.", -1)) {
      if (token.isEmpty() || token.equals("*") || token.equals(">") || !printable(token)) {
        return "is not a literal subject (empty token, wildcard, space or control character): " + shown;
      }
    }
    String stats = "fw.stats." + service;
    if (subject.equals(stats) || subject.startsWith(stats + ".")) {
      return null;
    }
    if (app != null && subject.startsWith("fw.data." + app + ".")) {
      return null;
    }
    return "must lie in the service's own subject space, " + space(service, app) + ", got " + shown;
  }

  private static String space(String service, String app) {
    return "fw.stats." + service + " or " + (app == null ? "fw.data.<app>.> (set 'app')" : "fw.data." + app + ".>");
  }

  private static boolean printable(String token) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        return false;
      }
    }
    return true;
  }
}
