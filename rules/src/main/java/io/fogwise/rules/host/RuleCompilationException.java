package io.fogwise.rules.host;

import io.fogwise.rules.source.RuleError;
import java.util.List;
import java.util.stream.Collectors;

/** A rule set that did not compile; every error has a file and position. */
public final class RuleCompilationException extends Exception {
  private final List<RuleError> errors;

  public RuleCompilationException(List<RuleError> errors) {
    super(errors.stream().map(RuleError::toString).collect(Collectors.joining("\n")));
    this.errors = List.copyOf(errors);
  }

  public List<RuleError> errors() {
    return errors;
  }
}
