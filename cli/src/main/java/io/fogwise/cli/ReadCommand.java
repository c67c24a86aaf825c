package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.DeviceSummary;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.ServiceState;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every read ({@code get}, {@code describe}, {@code events}, {@code status}) shares: where
 * the gateway is, the {@code -o} format, one request, and a failure as one line with its exit
 * code (1 refused, 2 bad input, 3 no gateway or NATS).
 */
abstract class ReadCommand implements Callable<Integer> {
  /** Event types shown only with {@code --all}: periodic measurements, not decisions. */
  static final Set<String> ROUTINE_EVENTS = Set.of("HEARTBEAT_TIMING");

  @Mixin ServiceCommand.GatewayOptions gw;
  @Spec CommandSpec spec;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "table, wide (more columns), json or yaml. Default: ${DEFAULT-VALUE}.")
  Output.Format format;

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      execute(out, err);
      return 0;
    } catch (CliFailure f) {
      err.println(spec.qualifiedName() + ": " + f.getMessage());
      return f.exitCode();
    } finally {
      out.flush();
      err.flush();
    }
  }

  abstract void execute(PrintWriter out, PrintWriter err) throws CliFailure;

  /** Sends one read and returns the answer, or fails with the gateway's reason. */
  ServiceResponse read(GatewayClient client, ServiceRequest.Op op, String name) throws CliFailure {
    ServiceResponse r = client.send(ServiceCommand.request(() -> ServiceRequest.read(op, name))).response();
    if (!r.ok()) {
      throw new CliFailure(1, r.error() != null ? r.error() : "gateway " + gw.gateway + " refused the request");
    }
    return r;
  }

  // ---- the tables ----------------------------------------------------------------------

  static String servicesTable(List<ServiceState> states, boolean wide) {
    List<String[]> rows = new ArrayList<>();
    rows.add(wide
        ? new String[] {"NAME", "KIND/IMAGE", "VERSION", "READY", "PHASE", "DEVICES", "EPOCHS", "PLACEMENT", "FAILURES",
            "REASON"}
        : new String[] {"NAME", "KIND", "READY", "PHASE", "DEVICES", "EPOCHS", "REASON"});
    for (ServiceState st : states) {
      ServiceSpec s = st.spec();
      List<String> devices = new ArrayList<>();
      List<String> epochs = new ArrayList<>();
      for (ServiceState.Instance i : st.placements()) {
        devices.add(i.deviceId());
        epochs.add(Long.toString(i.epoch()));
      }
      String ready = st.ready() + "/" + s.replicas();
      String devs = devices.isEmpty() ? "-" : String.join(",", devices);
      String eps = epochs.isEmpty() ? "-" : String.join(",", epochs);
      rows.add(wide
          ? new String[] {s.name(), ServiceCommand.kindOrImage(s), s.version(), ready, st.phase().name(), devs, eps,
              ServiceCommand.placement(s.placement()), Integer.toString(st.failures()), Output.orDash(st.reason())}
          : new String[] {s.name(), s.instanceKind(), ready, st.phase().name(), devs, eps, Output.orDash(st.reason())});
    }
    return Output.table(rows);
  }

  static String devicesTable(List<DeviceSummary> devices, boolean wide) {
    List<String[]> rows = new ArrayList<>();
    rows.add(wide
        ? new String[] {"NAME", "LAYER", "STATE", "INSTANCES", "LABELS", "CLASS", "KINDS", "PHI", "SILENCE", "CPU",
            "BATTERY"}
        : new String[] {"NAME", "LAYER", "STATE", "INSTANCES", "LABELS"});
    for (DeviceSummary d : devices) {
      String state = d.state() + (d.quarantined() ? " (quarantined)" : "");
      String instances = d.instances().isEmpty() ? "-" : String.join(",", d.instances());
      rows.add(wide
          ? new String[] {d.id(), d.layer().name(), state, instances, Output.labels(d.labels()), d.deviceClass(),
              d.kinds().isEmpty() ? "(not announced)" : String.join(",", d.kinds()),
              String.format(java.util.Locale.ROOT, "%.1f", d.phi()), Output.age(d.silenceMs()),
              d.cpuLoad() == null ? "-" : String.format(java.util.Locale.ROOT, "%.2f", d.cpuLoad()),
              d.batteryPct() == null ? "-" : String.format(java.util.Locale.ROOT, "%.0f%%", d.batteryPct())}
          : new String[] {d.id(), d.layer().name(), state, instances, Output.labels(d.labels())});
    }
    return Output.table(rows);
  }

  static String eventsTable(List<AdaptationEvent> events, boolean wide) {
    List<String[]> rows = new ArrayList<>();
    rows.add(wide
        ? new String[] {"TIME", "SEQ", "TYPE", "SERVICE", "DEVICE", "EPOCH", "RULE", "REASON"}
        : new String[] {"TIME", "TYPE", "SERVICE", "DEVICE", "EPOCH", "REASON"});
    for (AdaptationEvent e : events) {
      rows.add(wide ? eventRowWide(e) : eventRow(e));
    }
    return Output.table(rows);
  }

  static String[] eventRow(AdaptationEvent e) {
    return new String[] {Output.time(e.atMillis()), e.type().name(), Output.orDash(e.service()),
        Output.orDash(e.deviceId()), e.epoch() == 0 ? "-" : Long.toString(e.epoch()), Output.orDash(e.reason())
            + (e.rule() == null ? "" : " [rule: " + e.rule() + "]")};
  }

  static String[] eventRowWide(AdaptationEvent e) {
    return new String[] {Output.time(e.atMillis()), Long.toString(e.seq()), e.type().name(), Output.orDash(e.service()),
        Output.orDash(e.deviceId()), e.epoch() == 0 ? "-" : Long.toString(e.epoch()), Output.orDash(e.rule()),
        Output.orDash(e.reason())};
  }

  /** The events to show: routine ones only with {@code all}, the last {@code limit}. */
  static List<AdaptationEvent> shown(List<AdaptationEvent> events, boolean all, int limit) {
    List<AdaptationEvent> kept = events.stream().filter(e -> all || !ROUTINE_EVENTS.contains(e.type().name())).toList();
    return kept.subList(Math.max(0, kept.size() - limit), kept.size());
  }
}
