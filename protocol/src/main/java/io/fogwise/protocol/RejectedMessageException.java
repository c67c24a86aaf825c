package io.fogwise.protocol;

/** An inbound message that failed validation; carries the reason used for counting. */
public final class RejectedMessageException extends Exception {
  private final RejectReason reason;
  private final String field;

  public RejectedMessageException(RejectReason reason, String message) {
    this(reason, null, message);
  }

  public RejectedMessageException(RejectReason reason, String field, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.field = field;
  }

  public RejectReason reason() {
    return reason;
  }

  /** The offending field as a dotted path (e.g. {@code placement.layer}), or null. */
  public String field() {
    return field;
  }
}
