package io.fogwise.rules.source;

/**
 * A problem in a rule file, positioned like a compiler error.
 *
 * @param file the rule file name
 * @param line 1-based line, or 0 if unknown
 * @param column 1-based column, or 0 if unknown
 * @param message what is wrong
 */
public record RuleError(String file, int line, int column, String message) {
  @Override
  public String toString() {
    return file + ":" + line + ":" + column + ": " + message;
  }
}
