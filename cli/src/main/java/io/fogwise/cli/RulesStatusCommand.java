package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.Subjects;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyStore;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code fogwise rules status}: the live policy of every online gateway and the live pointers. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"The online gateways (status within 1.5 s) with the policy they run, and the live pointers",
        "in the policy bucket: global and each online gateway's scope. Exit codes: 0 shown, 3 NATS unreachable."})
final class RulesStatusCommand extends PolicyCommands.Base {
  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    return withNats(nats -> {
      PolicyStore store = PolicyStore.open(nats);
      Map<String, GatewayStatus> online;
      try (PolicyAcks acks = PolicyAcks.listen(nats)) {
        online = acks.discover();
      }
      PolicyStore.PointerState global = store.pointerState(Subjects.GLOBAL_SCOPE);
      out.println("policy bucket " + Subjects.POLICY_BUCKET + ": global live " + pointer(global) + " ("
          + PolicyAcks.count(store.versions(Subjects.GLOBAL_SCOPE).size(), "version") + " stored)");
      if (online.isEmpty()) {
        out.println("no gateway online (no status on " + Subjects.ALL_STATUS + " within "
            + GatewayClient.seconds(PolicyAcks.DISCOVERY) + ")");
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"GATEWAY", "RUNNING", "GLOBAL POINTER", "GATEWAY POINTER"});
      for (GatewayStatus s : online.values()) {
        String scope = PolicyBundle.gatewayScope(s.gatewayId());
        String gwPointer = PolicyBundle.isScope(scope) ? scope + " " + pointer(store.pointerState(scope)) : "-";
        rows.add(new String[] {s.gatewayId(), s.rules() == null ? "-" : s.rules(), "global " + pointer(global),
            gwPointer});
      }
      out.print(PolicyCommands.table(rows));
      for (GatewayStatus s : online.values()) {
        s.problems().forEach(p -> out.println(s.gatewayId() + ": problem: " + p));
      }
      return 0;
    });
  }

  private static String pointer(PolicyStore.PointerState p) {
    if (p.malformed()) {
      return p.describe() + " - repair with 'fogwise rules repair'";
    }
    return p.version() == 0 ? "none (built-in packs)" : "v" + p.version();
  }
}
