package io.fogwise.protocol;

/** Thrown while building a message from the wire when a field is missing or invalid. */
public final class ProtocolViolation extends IllegalArgumentException {
  private final RejectReason reason;
  private final String field;

  public ProtocolViolation(RejectReason reason, String field, String message) {
    super(message);
    this.reason = reason;
    this.field = field;
  }

  public RejectReason reason() {
    return reason;
  }

  /** The offending field, or null when the problem is not about one field. */
  public String field() {
    return field;
  }

  static ProtocolViolation missing(String field) {
    return new ProtocolViolation(RejectReason.MISSING_FIELD, field, "missing field '" + field + "'");
  }

  static ProtocolViolation invalid(String field, String why) {
    return new ProtocolViolation(RejectReason.INVALID_FIELD, field, "field '" + field + "' " + why);
  }
}
