package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.DeviceSummary;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.ServiceState;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fogwise describe service|device NAME}: one thing in full, with its recent events. */
@Command(name = "describe", mixinStandardHelpOptions = true,
    description = "Show one service (spec, placements, phase and why, recent events) or one device in full.",
    subcommands = {DescribeCommand.Service.class, DescribeCommand.Device.class})
final class DescribeCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** What both describe: the name and how many events. */
  abstract static class Base extends ReadCommand {
    @Parameters(paramLabel = "NAME", description = "Its name.")
    String name;

    @Option(names = "--events", paramLabel = "N", defaultValue = "10",
        description = "How many recent events to show. Default: ${DEFAULT-VALUE}.")
    int events;

    @Option(names = "--all", description = "Also routine events (HEARTBEAT_TIMING measurements).")
    boolean all;

    void eventsSection(PrintWriter out, List<AdaptationEvent> list) {
      out.println("Events:" + (list.isEmpty() ? "     none recent" : ""));
      if (!list.isEmpty()) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"TIME", "TYPE", "DEVICE", "EPOCH", "RULE", "REASON"});
        for (AdaptationEvent e : list) {
          rows.add(new String[] {Output.time(e.atMillis()), e.type().name(), Output.orDash(e.deviceId()),
              e.epoch() == 0 ? "-" : Long.toString(e.epoch()), Output.orDash(e.rule()), Output.orDash(e.reason())});
        }
        indent(out, Output.table(rows));
      }
    }
  }

  @Command(name = "service", mixinStandardHelpOptions = true,
      description = "A service: its spec, phase and why, each placement (device, epoch, state, ready), recent events.")
  static final class Service extends Base {
    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      ServiceState st;
      List<AdaptationEvent> recent;
      try (GatewayClient client = gw.connect()) {
        st = read(client, ServiceRequest.Op.DESCRIBE, name).states().get(0);
        recent = shown(read(client, ServiceRequest.Op.EVENTS, name).events(), all, events);
      }
      if (format.structured()) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("state", st);
        doc.put("events", recent);
        Output.structured(out, format, doc);
        return;
      }
      ServiceSpec s = st.spec();
      field(out, "Name", s.name());
      field(out, "Gateway", gw.gateway);
      field(out, "Kind", s.kind() == null ? "-" : s.kind());
      if (s.image() != null) {
        field(out, "Image", s.image());
      }
      field(out, "Version", s.version());
      field(out, "Placement", ServiceCommand.placement(s.placement()));
      field(out, "Replicas", s.replicas() + " desired, " + st.ready() + " ready");
      field(out, "Phase", Output.phase(st.phase().name()));
      field(out, "Reason", Output.orDash(st.reason()));
      if (st.failures() > 0) {
        field(out, "Failures", st.failures() + " in a row" + (st.retryInMs() > 0 ? ", next try in "
            + Output.age(st.retryInMs()) : ""));
      }
      field(out, "Critical", s.critical() ? "yes" : "no");
      if (s.latencyObjectiveMs() != null) {
        field(out, "Latency", s.latencyObjectiveMs() + " ms objective");
      }
      field(out, "Config", s.config().isEmpty() ? "-" : Output.labels(s.config()));
      out.println("Placements:" + (st.placements().isEmpty() ? " none" : ""));
      if (!st.placements().isEmpty()) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"DEVICE", "EPOCH", "STATE", "READY", "REASON"});
        for (ServiceState.Instance i : st.placements()) {
          rows.add(new String[] {i.deviceId(), Long.toString(i.epoch()), i.state(), i.ready() ? "yes" : "no",
              Output.orDash(i.reason())});
        }
        indent(out, Output.table(rows));
      }
      eventsSection(out, recent);
    }
  }

  @Command(name = "device", mixinStandardHelpOptions = true,
      description = "A device: layer, labels, state and suspicion, the kinds it runs, its instances, recent events.")
  static final class Device extends Base {
    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      DeviceSummary d;
      List<AdaptationEvent> recent;
      try (GatewayClient client = gw.connect()) {
        d = read(client, ServiceRequest.Op.DEVICES, name).devices().get(0);
        recent = shown(read(client, ServiceRequest.Op.EVENTS, name).events(), all, events);
      }
      if (format.structured()) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("device", d);
        doc.put("events", recent);
        Output.structured(out, format, doc);
        return;
      }
      field(out, "Name", d.id());
      field(out, "Gateway", gw.gateway);
      field(out, "Layer", d.layer().name());
      field(out, "Class", d.deviceClass());
      field(out, "Labels", Output.labels(d.labels()));
      field(out, "State", Output.phase(d.state()) + (d.quarantined() ? " (quarantined)" : ""));
      field(out, "Suspicion", String.format(java.util.Locale.ROOT, "phi %.1f, last heard %s ago", d.phi(),
          Output.age(d.silenceMs())));
      field(out, "Kinds", d.kinds().isEmpty() ? "(not announced: an older agent or a Swarm node)"
          : String.join(", ", d.kinds()));
      field(out, "Instances", d.instances().isEmpty() ? "none" : String.join(", ", d.instances()));
      if (d.cpuLoad() != null) {
        field(out, "CPU", String.format(java.util.Locale.ROOT, "%.2f", d.cpuLoad()));
      }
      if (d.batteryPct() != null) {
        field(out, "Battery", String.format(java.util.Locale.ROOT, "%.0f%%", d.batteryPct()));
      }
      eventsSection(out, recent);
    }
  }

  static void field(PrintWriter out, String name, String value) {
    out.println(String.format("%-12s%s", name + ":", value));
  }

  static void indent(PrintWriter out, String table) {
    for (String line : table.split("\\R")) {
      out.println("  " + line);
    }
  }
}
