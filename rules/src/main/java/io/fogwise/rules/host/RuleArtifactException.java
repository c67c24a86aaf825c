package io.fogwise.rules.host;

/** Compiled rules that cannot be loaded: unreadable, built for another runtime, or failing a check. */
public final class RuleArtifactException extends Exception {
  public RuleArtifactException(String message) {
    super(message);
  }
}
