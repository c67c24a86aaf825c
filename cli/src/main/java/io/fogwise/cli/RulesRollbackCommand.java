package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRejected;
import io.fogwise.policy.PolicyStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fogwise rules rollback}: republishes an earlier version's sources and parameters as a
 * new version, so history only grows and every gateway moves forward to it.
 */
@Command(name = "rollback", mixinStandardHelpOptions = true,
    description = {"Republish version N of a scope (its rule files and parameters) as a new version, signed with KEY,",
        "and wait for the online gateways like push. Exit codes as push; 2 also when version N does not exist."})
final class RulesRollbackCommand extends PolicyCommands.Base {
  @Option(names = "--scope", required = true, paramLabel = "SCOPE", description = "'global' or 'gw.<gatewayId>'.")
  String scope;

  @Option(names = "--to", required = true, paramLabel = "N", description = "The stored version to go back to.")
  long to;

  @Option(names = "--key", required = true, paramLabel = "NAME.key",
      description = "Private key from 'fogwise rules keygen'; NAME.pub must be beside it.")
  Path key;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      converter = PolicyCommands.DurationConverter.class,
      description = "How long to wait for the gateways' outcomes. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--no-precompile", description = "Publish the rule files only: every gateway compiles them itself.")
  boolean noPrecompile;

  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    String s = PolicyCommands.scope(scope);
    if (to < 1) {
      throw new CliFailure(2, "--to must be a version >= 1, got " + to);
    }
    PolicyBundles.SigningKey signingKey = PolicyCommands.signingKey(key);
    return withNats(nats -> {
      PolicyStore store = PolicyStore.open(nats);
      byte[] raw = store.raw(s, to).orElse(null);
      if (raw == null) {
        List<Long> versions = store.versions(s);
        throw new CliFailure(2, "scope " + s + " has no version " + to + " (stored: "
            + (versions.isEmpty() ? "none" : versions.toString().replaceAll("[\\[\\]]", "")) + ")");
      }
      PolicyBundle old;
      try {
        old = PolicyBundles.decode(raw);
      } catch (PolicyRejected e) {
        throw new CliFailure(2, s + " v" + to + " cannot be read back: " + e.getMessage());
      }
      if (!PolicyBundles.sha256(old).equals(old.sha256())) {
        throw new CliFailure(2, s + " v" + to + " does not match its SHA-256 (tampered or corrupted); not republished");
      }
      out.println("rolling back " + s + " to the content of v" + to + " (" + old.sources().size() + " files by "
          + old.author() + ")");
      return PolicyAcks.pushNewVersion(nats, s, "rollback to v" + to + " by " + PolicyCommands.user(), old.sources(),
          old.parameters(), signingKey, !noPrecompile, timeout, out, err);
    });
  }
}
