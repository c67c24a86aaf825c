package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceState;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;

/** {@code fogwise status}: the gateway at a glance, and what needs the operator's attention. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "The gateway at a glance: devices by state, services by phase, live rules, and its problems.")
final class StatusCommand extends ReadCommand {

  @Override
  void execute(PrintWriter out, PrintWriter err) throws CliFailure {
    GatewayStatus st;
    List<ServiceState> services;
    try (GatewayClient client = gw.connect()) {
      st = read(client, ServiceRequest.Op.STATUS, null).gateway();
      services = read(client, ServiceRequest.Op.DESCRIBE, null).states();
    }
    Map<String, Integer> phases = new TreeMap<>();
    for (ServiceState s : services) {
      phases.merge(s.phase().name(), 1, Integer::sum);
    }
    if (format.structured()) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("gateway", st);
      doc.put("servicesByPhase", phases);
      Output.structured(out, format, doc);
      return;
    }
    DescribeCommand.field(out, "Gateway", st.gatewayId());
    DescribeCommand.field(out, "Up", Output.age(Math.max(0, st.atMillis() - st.startedAtMillis())) + " (since "
        + Output.dateTime(st.startedAtMillis()) + ")");
    DescribeCommand.field(out, "Devices", counts(st.devices()));
    DescribeCommand.field(out, "Services", services.size() + (phases.isEmpty() ? "" : " (" + counts(phases) + ")"));
    DescribeCommand.field(out, "Instances", Integer.toString(st.instances()));
    DescribeCommand.field(out, "Rules", st.rules());
    DescribeCommand.field(out, "Problems", st.problems().isEmpty() ? "none" : "");
    for (String p : st.problems()) {
      out.println("  - " + p);
    }
  }

  private static String counts(Map<String, Integer> m) {
    StringBuilder sb = new StringBuilder();
    m.forEach((k, v) -> {
      if (v > 0) {
        sb.append(sb.length() == 0 ? "" : ", ").append(v).append(' ').append(k);
      }
    });
    return sb.length() == 0 ? "0" : sb.toString();
  }
}
