package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.Subjects;
import io.fogwise.policy.PolicyStore;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fogwise rules repair}: points a scope's live pointer that is malformed or names a
 * version that is not stored back at a stored version, so pushes can build on it again.
 */
@Command(name = "repair", mixinStandardHelpOptions = true,
    description = {"Point the live pointer of a scope back at a stored version (the highest, or --to N) when it is",
        "malformed or names a version that is not stored. Gateways never go below the version they run: this is",
        "not a rollback (that is 'fogwise rules rollback'). Exit codes: 0 repaired or nothing to repair,",
        "1 the pointer moved meanwhile, 2 bad input, 3 NATS unreachable."})
final class RulesRepairCommand extends PolicyCommands.Base {
  @Option(names = "--scope", required = true, paramLabel = "SCOPE", description = "'global' or 'gw.<gatewayId>'.")
  String scope;

  @Option(names = "--to", paramLabel = "N", description = "The stored version to point at. Default: the highest.")
  Long to;

  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    String s = PolicyCommands.scope(scope);
    if (to != null && to < 1) {
      throw new CliFailure(2, "--to must be a stored version >= 1, got " + to);
    }
    return withNats(nats -> {
      PolicyStore store = PolicyStore.open(nats);
      PolicyStore.PointerState before = store.pointerState(s);
      List<Long> versions = store.versions(s);
      long target = to != null ? to : versions.isEmpty() ? 0 : versions.get(versions.size() - 1);
      if (to != null && !versions.contains(to)) {
        throw new CliFailure(2, "scope " + s + " has no version " + to + " (stored: "
            + (versions.isEmpty() ? "none" : versions.toString().replaceAll("[\\[\\]]", "")) + ")");
      }
      boolean healthy = !before.malformed() && (before.absent() || store.raw(s, before.version()).isPresent());
      if (healthy && to == null) {
        out.println(s + ": the live pointer is " + before.describe() + (before.absent() ? "" : ", which is stored")
            + "; nothing to repair");
        return 0;
      }
      try {
        store.repair(s, target);
      } catch (IllegalStateException e) {
        throw new CliFailure(1, e.getMessage());
      }
      out.println(s + ": live pointer " + before.describe() + " -> " + (target == 0 ? "(none: no version is stored)"
          : "v" + target) + " in bucket " + Subjects.POLICY_BUCKET);
      out.println("gateways keep the version they run (they never go below it); the next 'fogwise rules push --scope "
          + s + "' publishes v" + (target + 1) + " or above");
      return 0;
    });
  }
}
