package io.fogwise.rules.sandbox;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compile-time limits on what one expression in a rule may allocate. The run-time budget
 * ({@link Budget}) stops a cycle that allocates too much in total, but one call such as
 * {@code String.format("%0900000000d", 1)} asks for a gigabyte at once and fails with an
 * {@code OutOfMemoryError} before any budget can look; so sizes a rule writes down are
 * limited where it is written, and sizes it would compute are not accepted at all.
 */
final class AllocationLimits {
  /**
   * Widest {@code String.format} width or precision. A message or reason needs at most a few
   * hundred characters; {@code %0900000000d} asks for 900 MB.
   */
  static final int MAX_FORMAT_WIDTH = 1_000;

  /** Largest {@code new StringBuilder(capacity)}: 64 KiB is more than any message, far below the budget. */
  static final int MAX_BUILDER_CAPACITY = 64 * 1024;

  /** Largest {@code over window:length(n)}: a length window keeps n facts alive. */
  static final int MAX_WINDOW_LENGTH = 10_000;

  /** One format specifier, as java.util.Formatter reads it. */
  private static final Pattern SPECIFIER =
      Pattern.compile("%(\\d+\\$)?([-#+ 0,(<]*)?(\\d+)?(\\.\\d+)?([tT])?([a-zA-Z%])");

  private AllocationLimits() {}

  /** Why {@code format} (a format string literal) asks for too much, or null if it does not. */
  static String formatProblem(String format) {
    Matcher m = SPECIFIER.matcher(format);
    while (m.find()) {
      String width = m.group(3);
      String precision = m.group(4) == null ? null : m.group(4).substring(1);
      if (tooLarge(width, MAX_FORMAT_WIDTH) || tooLarge(precision, MAX_FORMAT_WIDTH)) {
        return "format specifier " + m.group() + " asks for " + (tooLarge(width, MAX_FORMAT_WIDTH) ? "a width" : "a precision")
            + " above the limit of " + MAX_FORMAT_WIDTH + " characters";
      }
    }
    return null;
  }

  /** Whether the decimal {@code digits} (or null) exceed {@code limit}. */
  static boolean tooLarge(String digits, int limit) {
    if (digits == null || digits.isEmpty()) {
      return false;
    }
    String d = digits.replaceFirst("^0+(?=\\d)", "");
    return d.length() > 9 || Integer.parseInt(d) > limit;
  }
}
