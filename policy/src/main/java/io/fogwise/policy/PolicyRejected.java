package io.fogwise.policy;

/** A bundle that must not be applied, with the reason the pusher will read. */
public final class PolicyRejected extends Exception {
  private final Reason reason;

  public PolicyRejected(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** Why a bundle is refused. */
  public enum Reason {
    MALFORMED,
    OVERSIZED,
    UNSIGNED,
    UNKNOWN_KEY,
    BAD_SIGNATURE,
    TAMPERED,
    WRONG_SCOPE,
    WRONG_VERSION,
    STALE,
    PREVIOUSLY_REJECTED,
    /** The live pointer names a version that is not stored (a broken pointer, not a bad bundle). */
    NOT_STORED,
    INVALID_RULES
  }
}
