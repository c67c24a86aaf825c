package io.fogwise.cloud.publish;

import io.fogwise.cloud.mining.MiningResult;
import java.util.List;
import java.util.Objects;

/**
 * The cloud's answer on {@value io.fogwise.protocol.Subjects#CLOUD_MINE}: what a pass found and
 * what publishing it did. JSON field names are the protocol.
 *
 * @param atMillis when the pass ran
 * @param fromMillis start of the data window mined
 * @param toMillis end of the data window mined
 * @param findings what it found, one line each
 * @param refusals why it published nothing (too little data, ...)
 * @param outcome a {@link Proposal.Outcome} name, or {@code FAILED} when the pass itself failed
 * @param version the candidate's or published version (0 when none)
 * @param baseVersion the live version the bundle was built on
 * @param message one line: what happened and what to do next
 * @param details compiler errors, gateways' outcomes
 */
public record MineReply(long atMillis, long fromMillis, long toMillis, List<String> findings, List<String> refusals,
    String outcome, long version, long baseVersion, String message, List<String> details) {
  /** The outcome of a pass that failed before it found anything. */
  public static final String FAILED = "FAILED";

  public MineReply {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(message, "message");
    findings = findings == null ? List.of() : List.copyOf(findings);
    refusals = refusals == null ? List.of() : List.copyOf(refusals);
    details = details == null ? List.of() : List.copyOf(details);
  }

  /** A pass's result and what publishing it did. */
  public static MineReply of(MiningResult r, Proposal p) {
    return new MineReply(r.atMillis(), r.fromMillis(), r.toMillis(), r.findings(), r.refusals(), p.outcome().name(),
        p.version(), p.baseVersion(), p.message(), p.details());
  }

  /** A pass that failed: {@code why}. */
  public static MineReply failed(long atMillis, String why) {
    return new MineReply(atMillis, 0, 0, List.of(), List.of(), FAILED, 0, 0, why, List.of());
  }

  /** Whether the pass found something (proposed, published, or findings only). */
  public boolean found() {
    try {
      return Proposal.Outcome.valueOf(outcome).found();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
