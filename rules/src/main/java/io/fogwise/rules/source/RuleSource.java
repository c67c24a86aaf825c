package io.fogwise.rules.source;

import java.util.Objects;

/**
 * One DRL file: its name (as reported in errors) and its text.
 *
 * @param fileName e.g. {@code failover.drl}, or one folder deep, e.g. {@code mined/precursors.drl} (the
 *     cloud miner's generated rules)
 * @param drl the rule text
 */
public record RuleSource(String fileName, String drl) {
  public RuleSource {
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(drl, "drl");
    if (!fileName.matches("([A-Za-z0-9_-]+/)?[A-Za-z0-9_.-]+\\.drl")) {
      throw new IllegalArgumentException("rule file name must be [A-Za-z0-9_.-]+.drl, optionally in one folder"
          + " ([A-Za-z0-9_-]+/), got '" + fileName + "'");
    }
  }
}
