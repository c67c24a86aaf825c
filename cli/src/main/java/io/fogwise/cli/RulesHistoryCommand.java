package io.fogwise.cli;

import io.fogwise.protocol.Subjects;
import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRejected;
import io.fogwise.policy.PolicyStore;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fogwise rules history}: the stored versions of a scope. */
@Command(name = "history", mixinStandardHelpOptions = true,
    description = {"The stored versions of a scope: VERSION, LIVE (*), AUTHOR, CREATED, SHA256, KEY, FILES.",
        "Exit codes: 0 shown, 2 bad scope, 3 NATS unreachable."})
final class RulesHistoryCommand extends PolicyCommands.Base {
  @Option(names = "--scope", required = true, paramLabel = "SCOPE", description = "'global' or 'gw.<gatewayId>'.")
  String scope;

  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    String s = PolicyCommands.scope(scope);
    return withNats(nats -> {
      PolicyStore store = PolicyStore.open(nats);
      List<Long> versions = store.versions(s);
      PolicyStore.PointerState pointer = store.pointerState(s);
      long live = pointer.version();
      if (pointer.malformed()) {
        err.println("fogwise rules history: the live pointer of " + s + " holds " + pointer.describe()
            + "; repair it with 'fogwise rules repair --scope " + s + "'");
      }
      if (versions.isEmpty()) {
        out.println("no versions stored for " + s + (s.equals(Subjects.GLOBAL_SCOPE) ? " (gateways run the built-in packs)" : ""));
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"VERSION", "LIVE", "AUTHOR", "CREATED", "SHA256", "KEY", "FILES"});
      for (long v : versions) {
        String mark = v == live ? "*" : "";
        byte[] raw = store.raw(s, v).orElse(null);
        if (raw == null) {
          continue;
        }
        PolicyBundle b;
        try {
          b = PolicyBundles.decode(raw);
        } catch (PolicyRejected e) {
          rows.add(new String[] {Long.toString(v), mark, "?", "?", "?", "?", "unreadable: " + e.getMessage()});
          continue;
        }
        String sha = b.sha256() == null ? "-" : b.sha256().substring(0, Math.min(12, b.sha256().length()));
        if (!PolicyBundles.sha256(b).equals(b.sha256())) {
          sha += " (MISMATCH)";
        }
        rows.add(new String[] {Long.toString(v), mark, b.author(),
            Instant.ofEpochMilli(b.createdAtMillis()).truncatedTo(ChronoUnit.SECONDS).toString(), sha,
            b.keyId() == null ? "-" : b.keyId(),
            String.join(",", b.sources().stream().map(PolicyBundle.RuleFile::fileName).toList())});
      }
      out.print(PolicyCommands.table(rows));
      if (live > 0 && !versions.contains(live)) {
        err.println("fogwise rules history: the live pointer of " + s + " is v" + live + ", which is not stored");
      }
      return 0;
    });
  }
}
