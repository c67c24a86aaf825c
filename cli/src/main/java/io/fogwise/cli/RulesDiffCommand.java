package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.cloud.publish.Candidate;
import io.fogwise.cloud.publish.CandidateDiff;
import io.fogwise.cloud.publish.CandidateStore;
import io.fogwise.cloud.publish.Proposals;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRejected;
import io.fogwise.policy.PolicyStore;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fogwise rules diff}: the cloud miner's candidate for a scope against the live policy,
 * for review before {@code fogwise rules approve}.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Show the cloud miner's candidate bundle against the live policy: a unified diff per rule file,",
        "parameter changes (old -> new), its findings (support, confidence, data window) and its base version.",
        "Exit codes: 0 a candidate exists, 1 none, 2 bad input or an unreadable candidate, 3 NATS unreachable."})
final class RulesDiffCommand extends PolicyCommands.Base {
  @Option(names = "--scope", defaultValue = Subjects.GLOBAL_SCOPE, paramLabel = "SCOPE",
      description = "The candidate's scope. Default: ${DEFAULT-VALUE}.")
  String scope;

  @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT",
      description = "text or json. Default: ${DEFAULT-VALUE}.")
  String output;

  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    String s = PolicyCommands.scope(scope);
    boolean json = switch (output) {
      case "json" -> true;
      case "text" -> false;
      default -> throw new CliFailure(2, "-o must be text or json, got '" + output + "'");
    };
    return withNats(nats -> {
      CandidateStore.Stored stored = candidate(nats, s);
      Candidate c = stored.candidate();
      PolicyStore store = PolicyStore.open(nats);
      CandidateDiff diff = live(store, s, (v, sources, params) -> CandidateDiff.of(c, v, sources, params));
      if (json) {
        try {
          out.println(MessageCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(diff));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new CliFailure(2, "cannot write JSON: " + e.getMessage());
        }
      } else {
        out.print(diff.text());
      }
      return 0;
    });
  }

  /** The candidate of {@code scope}, or exit 1 saying there is none. */
  static CandidateStore.Stored candidate(Connection nats, String scope) throws CliFailure {
    try {
      return CandidateStore.on(nats).get(scope).orElseThrow(() -> new CliFailure(1, "no candidate for " + scope + " in "
          + Subjects.POLICY_CANDIDATE_BUCKET + ": the cloud miner proposes one after a pass that found something"
          + " ('fogwise cloud mine --now' runs one; 'fogwise cloud' needs --signing-key)"));
    } catch (IllegalStateException e) {
      throw new CliFailure(2, e.getMessage());
    }
  }

  /** What to do with the live policy of a scope. */
  interface LiveBody<T> {
    T run(long version, List<PolicyBundle.RuleFile> sources, Map<String, PolicyBundle.Param> parameters);
  }

  /** Runs {@code body} with the live version, files and parameters of {@code scope} (v0 of global: the built-in packs). */
  static <T> T live(PolicyStore store, String scope, LiveBody<T> body) throws CliFailure {
    long v = store.liveVersion(scope);
    if (v == 0) {
      return body.run(0, scope.equals(Subjects.GLOBAL_SCOPE) ? Proposals.builtInFiles() : List.of(), Map.of());
    }
    try {
      PolicyBundle b = PolicyBundles.decode(store.raw(scope, v).orElseThrow(() -> new CliFailure(2,
          "the live pointer of " + scope + " names v" + v + ", which is not stored; repair it with"
              + " 'fogwise rules repair --scope " + scope + "'")));
      return body.run(v, b.sources(), b.parameters());
    } catch (PolicyRejected e) {
      throw new CliFailure(2, "live " + scope + " v" + v + " cannot be read: " + e.getMessage());
    }
  }
}
