package io.fogwise.protocol;

/** An inbound message that failed validation; carries the reason used for counting. */
public final class RejectedMessageException extends Exception {
  private final RejectReason reason;

  public RejectedMessageException(RejectReason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public RejectReason reason() {
    return reason;
  }
}
