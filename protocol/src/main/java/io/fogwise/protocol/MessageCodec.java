package io.fogwise.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * The one JSON codec of the protocol. Decoding is validation: anything that is not a
 * well-formed, complete, known message of the expected type becomes a
 * {@link RejectedMessageException} with a reason, never an unchecked exception.
 */
public final class MessageCodec {
  /** Control messages larger than this are rejected unread. */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024;

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setSerializationInclusion(JsonInclude.Include.NON_NULL)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private MessageCodec() {}

  /** The shared mapper, configured as the protocol needs (for CLI and HTTP output). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Encodes a message record as UTF-8 JSON. */
  public static byte[] encode(Object message) {
    Objects.requireNonNull(message, "message");
    try {
      return MAPPER.writeValueAsBytes(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
    }
  }

  /** Encodes as a JSON string. */
  public static String encodeToString(Object message) {
    return new String(encode(message), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Decodes with the default size limit. */
  public static <T> T decode(byte[] data, Class<T> type) throws RejectedMessageException {
    return decode(data, type, MAX_MESSAGE_BYTES);
  }

  /** Decodes and validates {@code data} as a {@code type}, or says why not. */
  public static <T> T decode(byte[] data, Class<T> type, int maxBytes) throws RejectedMessageException {
    Objects.requireNonNull(type, "type");
    String what = type.getSimpleName();
    if (data == null || data.length == 0) {
      throw new RejectedMessageException(RejectReason.MALFORMED, "empty " + what);
    }
    if (data.length > maxBytes) {
      throw new RejectedMessageException(
          RejectReason.OVERSIZED, what + " of " + data.length + " bytes exceeds the limit of " + maxBytes);
    }
    int first = 0;
    while (first < data.length && Character.isWhitespace(data[first])) {
      first++;
    }
    if (first == data.length || data[first] != '{') {
      throw new RejectedMessageException(RejectReason.MALFORMED, what + " is not a JSON object");
    }
    try {
      T value = MAPPER.readValue(data, type);
      if (value == null) {
        throw new RejectedMessageException(RejectReason.MALFORMED, what + " is JSON null");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      String field = path(e);
      throw new RejectedMessageException(
          RejectReason.UNKNOWN_FIELD, field, what + ": unknown field '" + field + "'");
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ProtocolViolation v) {
        String field = qualify(parentPath(e), v.field());
        String message = v.field() != null && !field.equals(v.field())
            ? v.getMessage().replace("'" + v.field() + "'", "'" + field + "'") : v.getMessage();
        throw new RejectedMessageException(v.reason(), field, what + ": " + message);
      }
      throw new RejectedMessageException(RejectReason.INVALID_FIELD, what + ": " + rootMessage(e));
    } catch (InvalidFormatException e) {
      RejectReason reason =
          e.getTargetType() != null && e.getTargetType().isEnum() ? RejectReason.UNKNOWN_TYPE : RejectReason.INVALID_FIELD;
      throw new RejectedMessageException(reason, path(e),
          what + ": field '" + path(e) + "' has invalid value " + abbreviate(String.valueOf(e.getValue())));
    } catch (MismatchedInputException e) {
      if (!e.getPath().isEmpty() && String.valueOf(e.getOriginalMessage()).contains("Cannot map `null`")) {
        throw new RejectedMessageException(RejectReason.MISSING_FIELD, path(e), what + ": missing field '" + path(e) + "'");
      }
      throw new RejectedMessageException(
          e.getPath().isEmpty() ? RejectReason.MALFORMED : RejectReason.INVALID_FIELD, e.getPath().isEmpty() ? null : path(e),
          what + ": " + (e.getPath().isEmpty() ? "not a JSON object" : "field '" + path(e) + "' has the wrong type"));
    } catch (JsonMappingException e) {
      throw new RejectedMessageException(RejectReason.INVALID_FIELD, what + ": " + rootMessage(e));
    } catch (JsonProcessingException e) {
      throw new RejectedMessageException(RejectReason.MALFORMED, what + " is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The path of the object being built when a constructor threw (its own field comes from the violation). */
  private static String parentPath(JsonMappingException e) {
    return path(e.getPath());
  }

  private static String qualify(String parent, String field) {
    if (field == null) {
      return parent.isEmpty() ? null : parent;
    }
    return parent.isEmpty() ? field : parent + "." + field;
  }

  private static String path(JsonMappingException e) {
    return path(e.getPath());
  }

  private static String path(java.util.List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof JsonProcessingException j ? j.getOriginalMessage() : t.getMessage();
  }

  private static String abbreviate(String s) {
    return Checks.abbreviate(s);
  }
}
