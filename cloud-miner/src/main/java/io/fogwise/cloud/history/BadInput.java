package io.fogwise.cloud.history;

import io.fogwise.protocol.RejectReason;
import java.util.Locale;

/** Why a history message was excluded from the store; the lower-case name is the metric tag. */
public enum BadInput {
  /** Not JSON (NaN and Infinity are not JSON either), or JSON of the wrong shape. */
  MALFORMED,
  /** Larger than the protocol's message limit. */
  OVERSIZED,
  /** A required field is absent or null. */
  MISSING_FIELD,
  /** A field out of range (a negative battery, a CPU load above 1) or of the wrong type. */
  OUT_OF_RANGE,
  /** A field this protocol version does not define, or an unknown event type. */
  UNKNOWN_FIELD,
  /** Stamped further ahead of the miner's clock than the allowed skew. */
  FUTURE_TIMESTAMP,
  /** The gateway or device id in the message is not the one its subject names. */
  SUBJECT_MISMATCH;

  /** The metric tag: {@code future-timestamp}. */
  public String tag() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The bad input a codec rejection stands for. */
  static BadInput of(RejectReason reason) {
    return switch (reason) {
      case MALFORMED, RELAYED -> MALFORMED;
      case OVERSIZED -> OVERSIZED;
      case MISSING_FIELD -> MISSING_FIELD;
      case INVALID_FIELD -> OUT_OF_RANGE;
      case UNKNOWN_FIELD, UNKNOWN_TYPE -> UNKNOWN_FIELD;
    };
  }

  static final BadInput[] VALUES = values();
}
