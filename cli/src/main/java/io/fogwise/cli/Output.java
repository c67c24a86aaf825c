package io.fogwise.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fogwise.protocol.MessageCodec;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a read prints: a table (the default), a wide table with more columns, JSON or YAML (the
 * gateway's own field names, for scripts). Colours only where a person reads: on a terminal,
 * never with {@code NO_COLOR} or {@code TERM=dumb}.
 */
final class Output {
  private Output() {}

  /** The {@code -o} formats. */
  enum Format {
    table, wide, json, yaml;

    boolean structured() {
      return this == json || this == yaml;
    }
  }

  private static final ObjectMapper JSON = MessageCodec.mapper().copy().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS))
      .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL);

  /** Prints {@code value} as JSON or YAML. */
  static void structured(PrintWriter out, Format f, Object value) {
    try {
      String text = f == Format.yaml ? YAML.writeValueAsString(value) : JSON.writeValueAsString(value);
      out.print(text.endsWith("\n") ? text : text + System.lineSeparator());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot print " + value.getClass().getSimpleName(), e);
    }
  }

  /** Left-aligned columns, header first (the same layout as every other table of the CLI). */
  static String table(List<String[]> rows) {
    return PolicyCommands.table(rows);
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT);
  private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  /** A wall time as a local {@code HH:mm:ss.SSS}. */
  static String time(long wallMillis) {
    return TIME.format(Instant.ofEpochMilli(wallMillis).atZone(ZoneId.systemDefault()));
  }

  /** A wall time as a local date and time. */
  static String dateTime(long wallMillis) {
    return DATE_TIME.format(Instant.ofEpochMilli(wallMillis).atZone(ZoneId.systemDefault()));
  }

  /** {@code 3m12s}, {@code 2h05m}, {@code 850ms}: how long, for a person. */
  static String age(long millis) {
    if (millis < 1000) {
      return millis + "ms";
    }
    long s = millis / 1000;
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return s / 60 + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }
    if (s < 86_400) {
      return s / 3600 + "h" + String.format(Locale.ROOT, "%02d", s % 3600 / 60) + "m";
    }
    return s / 86_400 + "d" + String.format(Locale.ROOT, "%02d", s % 86_400 / 3600) + "h";
  }

  /** {@code -} for nothing. */
  static String orDash(Object v) {
    return v == null || v.toString().isEmpty() ? "-" : v.toString();
  }

  /** Labels as {@code k=v,k=v} in key order, {@code -} for none. */
  static String labels(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return "-";
    }
    StringBuilder sb = new StringBuilder();
    new java.util.TreeMap<>(labels).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return sb.toString();
  }

  /** Whether to colour output: a terminal, no {@code NO_COLOR}, not {@code TERM=dumb}. */
  static boolean colours(boolean terminal, Map<String, String> env) {
    String noColor = env.get("NO_COLOR");
    return terminal && (noColor == null || noColor.isEmpty()) && !"dumb".equals(env.get("TERM"));
  }

  private static final boolean COLOURS = colours(System.console() != null, System.getenv());

  /** {@code word} in a colour that says good (green), in progress (yellow) or bad (red), when colours are on. */
  static String phase(String word) {
    return paint(word, COLOURS);
  }

  static String paint(String word, boolean colours) {
    if (!colours) {
      return word;
    }
    String code = switch (word) {
      case "RUNNING", "ALIVE" -> "32";
      case "STARTING", "MOVING", "DEGRADED", "SUSPECTED" -> "33";
      case "FAILING", "UNPLACEABLE", "LOST" -> "31";
      default -> null;
    };
    return code == null ? word : "\u001b[" + code + "m" + word + "\u001b[0m";
  }
}
