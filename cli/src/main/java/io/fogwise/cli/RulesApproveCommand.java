package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.cloud.publish.Candidate;
import io.fogwise.cloud.publish.CandidateStore;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.Subjects;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fogwise rules approve}: publishes the cloud miner's candidate exactly as the cloud
 * signed it (no operator key needed; its compiled artifacts were stored when it was proposed),
 * waits for the online gateways like {@code rules push}, then removes the candidate.
 */
@Command(name = "approve", mixinStandardHelpOptions = true,
    description = {"Publish the cloud miner's candidate for a scope exactly as the cloud signed it (gateways must",
        "trust the cloud key: 'fogwise gateway --trust-key cloud.pub'), wait for each online gateway like push,",
        "then remove the candidate. Refused if the live version moved since the candidate was made.",
        "Prints GATEWAY, VERSION, STATE, MS, BUILD, FIRST ERROR. Exit codes: 0 applied by every online gateway",
        "(or none online), 1 rejected or rolled back by one, 2 nothing published (no candidate, live version moved,",
        "tampered candidate), 3 a gateway did not answer within --timeout, or NATS unreachable."})
final class RulesApproveCommand extends PolicyCommands.Base {
  @Option(names = "--scope", defaultValue = Subjects.GLOBAL_SCOPE, paramLabel = "SCOPE",
      description = "The candidate's scope. Default: ${DEFAULT-VALUE}.")
  String scope;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      converter = PolicyCommands.DurationConverter.class,
      description = "How long to wait for the gateways' outcomes. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    String s = PolicyCommands.scope(scope);
    return withNats(nats -> {
      CandidateStore.Stored stored;
      try {
        stored = RulesDiffCommand.candidate(nats, s);
      } catch (CliFailure f) {
        throw f.exitCode() == 1 ? new CliFailure(2, f.getMessage()) : f;
      }
      Candidate c = stored.candidate();
      PolicyBundle bundle = c.bundle();
      if (!PolicyBundles.sha256(bundle).equals(bundle.sha256())) {
        throw new CliFailure(2, "candidate " + c.describe() + " does not match its SHA-256 (tampered or corrupted);"
            + " not published. 'fogwise cloud mine --now' makes a fresh one");
      }
      PolicyStore store = PolicyStore.open(nats);
      long live = store.liveVersion(s);
      long latest = store.latestVersion(s);
      if (live != c.baseVersion() || latest >= bundle.version()) {
        throw new CliFailure(2, "candidate " + c.describe() + " was made on " + s + " v" + c.baseVersion()
            + ", but live is now v" + live + (latest > live ? " (stored up to v" + latest + ")" : "")
            + "; not published. Run 'fogwise cloud mine --now' for a fresh candidate on v" + live
            + ", review it with 'fogwise rules diff', then approve it");
      }
      out.println("approving candidate " + c.describe() + " by " + bundle.author() + ", key " + bundle.keyId()
          + (c.artifacts().isEmpty() ? "" : "; precompiled by the cloud: " + String.join(", ", c.artifacts())));
      try (PolicyAcks acks = PolicyAcks.listen(nats)) {
        Map<String, GatewayStatus> online = acks.discover();
        Set<String> expected = new TreeSet<>(online.keySet());
        String gateway = PolicyCommands.gatewayOf(s);
        if (gateway != null) {
          expected.retainAll(Set.of(gateway));
        }
        int exit = acks.publishAndWait(bundle, expected, timeout, out, err);
        // published: the candidate is spent whatever the gateways answered (a newer one stays)
        if (CandidateStore.on(nats).remove(s, stored.revision())) {
          out.println("candidate " + c.describe() + " removed from " + Subjects.POLICY_CANDIDATE_BUCKET);
        }
        return exit;
      }
    });
  }
}
