package io.fogwise.identity;

import java.util.Locale;

/** The kinds of identity, each with its own permissions ({@link Permissions}). */
public enum Role {
  /** An edge device's agent: its own heartbeat, telemetry and command subjects. */
  DEVICE,
  /** A fog gateway: its own subjects and buckets, reads of the policy buckets. */
  GATEWAY,
  /** The cloud service: cloud data, policy buckets, stream administration. */
  CLOUD,
  /** A human operator or an operator tool: everything in the fleet account. */
  OPERATOR,
  /**
   * The cloud's history miner: consumes the history streams and holds its leadership lease
   * (JetStream only; it answers no requests).
   */
  MINER,
  /**
   * A gateway's leaf node, as the cloud hub sees its link: what one site may exchange with the
   * cloud (issued with each gateway, same id).
   */
  LEAF;

  /** The lower-case name used on the command line and in file names. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The role named {@code text}, case-insensitively.
   *
   * @throws IllegalArgumentException listing the roles
   */
  public static Role parse(String text) {
    for (Role r : values()) {
      if (r.label().equalsIgnoreCase(text == null ? "" : text.trim())) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + text + "'; expected one of device, gateway, cloud, operator, miner, leaf");
  }
}
