package io.fogwise.gateway.swarm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Names of what the adapter creates in the Swarm. A Swarm service name is at most 63 of
 * {@code [a-zA-Z0-9-]}, not starting or ending with {@code -}; Fogwise ids also allow {@code _}
 * and are up to 64 long, so a name that had to be changed or cut carries a short hash of the
 * original, keeping two gateways' or services' names apart.
 */
final class SwarmNames {
  /** Swarm's limit on a service name. */
  static final int MAX_SERVICE_NAME = 63;
  /** Swarm's limit on a secret name. */
  static final int MAX_SECRET_NAME = 64;

  private SwarmNames() {}

  /** {@code fw-<gateway>-<service>-<slot>}, made fit for Swarm. */
  static String service(String gatewayId, String service, int slot) {
    if (slot < 1) {
      throw new IllegalArgumentException("slot must be >= 1, got " + slot);
    }
    String tail = "-" + slot;
    String wanted = "fw-" + gatewayId + "-" + service;
    String clean = clean(wanted);
    if (clean.equals(wanted) && clean.length() + tail.length() <= MAX_SERVICE_NAME) {
      return clean + tail;
    }
    String hash = "-" + hash(gatewayId + "/" + service);
    int room = MAX_SERVICE_NAME - tail.length() - hash.length();
    String head = trimDashes(clean.substring(0, Math.min(room, clean.length())));
    return head + hash + tail;
  }

  /** The secret holding the credentials of one epoch of a Swarm service ({@code nonce} keeps re-creations apart). */
  static String secret(String serviceName, long epoch, String nonce) {
    String head = serviceName.length() <= 24 ? serviceName : trimDashes(serviceName.substring(0, 15)) + "-" + hash(serviceName);
    return head + "-e" + epoch + "-" + nonce; // at most 24 + 2 + 19 + 1 + nonce
  }

  private static String clean(String s) {
    String c = s.replaceAll("[^A-Za-z0-9-]", "-").replaceAll("-{2,}", "-");
    return trimDashes(c);
  }

  private static String trimDashes(String s) {
    return s.replaceAll("^-+", "").replaceAll("-+$", "");
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4).toLowerCase(Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
