package io.fogwise.cloud.publish;

import java.util.List;
import java.util.Objects;

/**
 * What publishing one mining pass's result did.
 *
 * @param outcome what happened
 * @param version the candidate's or published version (0 when none)
 * @param baseVersion the live version it was built on
 * @param message one line for operators: what happened and what to do next
 * @param details more lines: compiler errors, gateways' outcomes
 */
public record Proposal(Outcome outcome, long version, long baseVersion, String message, List<String> details) {
  public Proposal {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(message, "message");
    details = details == null ? List.of() : List.copyOf(details);
  }

  /** What publishing a pass's result did. */
  public enum Outcome {
    /** Stored as the scope's candidate, for {@code fogwise rules diff} and {@code approve}. */
    PROPOSED,
    /** Published at once ({@code --publish auto}). */
    PUBLISHED,
    /** Found something, but the service has no signing key: findings only. */
    FINDINGS_ONLY,
    /** The pass found nothing worth publishing (its refusals say why). */
    NOTHING_TO_PUBLISH,
    /** The bundle would equal the live one. */
    UNCHANGED,
    /** The bundle was refused (does not compile, too large, live policy unreadable); nothing stored. */
    REFUSED;

    /** Whether the pass found something (exit 0 of {@code fogwise cloud mine --now}). */
    public boolean found() {
      return this == PROPOSED || this == PUBLISHED || this == FINDINGS_ONLY;
    }
  }

  static Proposal of(Outcome outcome, String message) {
    return new Proposal(outcome, 0, 0, message, List.of());
  }
}
