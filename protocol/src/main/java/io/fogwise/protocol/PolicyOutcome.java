package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.list;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.required;

import java.util.List;

/**
 * What a gateway did with a policy bundle, on {@code fw.gw.<gatewayId>.rules}.
 *
 * @param gatewayId the gateway
 * @param scope the bundle's scope ({@code global} or {@code gw.<gatewayId>})
 * @param version the bundle's version
 * @param state APPLIED, REJECTED or ROLLED_BACK
 * @param reason one line a user understands (why rejected or rolled back), or null
 * @param errors rule errors with positions (a bundle that did not compile or pass the sandbox)
 * @param compileMillis time to compile the effective rule set
 * @param applyMillis time from receiving the bundle to the swap (or the rejection)
 * @param live the live policy after this outcome, e.g. {@code global v3 + gw.gw-1 v1}
 * @param atMillis wall time
 * @param build how an APPLIED rule set was built (null otherwise)
 * @param buildNote why a compiled artifact was not used, or null
 */
public record PolicyOutcome(String gatewayId, String scope, long version, State state, String reason,
    List<RuleErrorInfo> errors, long compileMillis, long applyMillis, String live, long atMillis, Build build,
    String buildNote) {

  public PolicyOutcome {
    id(gatewayId, "gatewayId");
    required(scope, "scope");
    nonNegative(version, "version");
    required(state, "state");
    errors = list(errors, "errors");
  }

  /** How the applied rule set was built. */
  public enum Build {
    /** Loaded from a signed artifact compiled in the cloud (by the pusher). */
    ARTIFACT,
    /** Compiled by the gateway. */
    COMPILED
  }

  /** The outcomes. */
  public enum State {
    APPLIED,
    REJECTED,
    /** Applied, then found unhealthy and replaced by the previous good version. */
    ROLLED_BACK
  }

  /**
   * A rule error as reported to the pusher.
   *
   * @param file the rule file
   * @param line 1-based line, 0 if unknown
   * @param column 1-based column, 0 if unknown
   * @param message what is wrong
   */
  public record RuleErrorInfo(String file, int line, int column, String message) {
    @Override
    public String toString() {
      return file + ":" + line + ":" + column + ": " + message;
    }
  }
}
