package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.DeviceSummary;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceState;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fogwise get devices|services|events}: the fleet as its gateway sees it, one table each. */
@Command(name = "get", mixinStandardHelpOptions = true,
    description = "List devices, services (where they run, epoch, ready, phase, why not) or recent events.",
    subcommands = {GetCommand.Devices.class, GetCommand.Services.class, GetCommand.Events.class})
final class GetCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "services", aliases = "service", mixinStandardHelpOptions = true,
      description = "Every declared service (or NAME): its devices and epochs, how many are ready, its phase and why.")
  static final class Services extends ReadCommand {
    @Parameters(arity = "0..1", paramLabel = "NAME", description = "Only this service.")
    String name;

    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      List<ServiceState> states;
      try (GatewayClient client = gw.connect()) {
        states = read(client, ServiceRequest.Op.DESCRIBE, name).states();
      }
      if (format.structured()) {
        Output.structured(out, format, states);
      } else if (states.isEmpty()) {
        out.println("no services on gateway " + gw.gateway);
      } else {
        out.print(servicesTable(states, format == Output.Format.wide));
      }
    }
  }

  @Command(name = "devices", aliases = "device", mixinStandardHelpOptions = true,
      description = "Every device that reported to the gateway (or NAME): layer, state, the instances it runs, labels.")
  static final class Devices extends ReadCommand {
    @Parameters(arity = "0..1", paramLabel = "NAME", description = "Only this device.")
    String name;

    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      List<DeviceSummary> devices;
      try (GatewayClient client = gw.connect()) {
        devices = read(client, ServiceRequest.Op.DEVICES, name).devices();
      }
      if (format.structured()) {
        Output.structured(out, format, devices);
      } else if (devices.isEmpty()) {
        out.println("no devices have reported to gateway " + gw.gateway);
      } else {
        out.print(devicesTable(devices, format == Output.Format.wide));
      }
    }
  }

  @Command(name = "events", aliases = "event", mixinStandardHelpOptions = true,
      description = "The gateway's recent adaptation events, oldest first, with their reasons and deciding rules.")
  static final class Events extends ReadCommand {
    @Parameters(arity = "0..1", paramLabel = "NAME", description = "Only events about this service or device.")
    String name;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--all", description = "Also routine events (HEARTBEAT_TIMING measurements).")
    boolean all;

    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      if (limit < 1) {
        throw new CliFailure(2, "--limit must be at least 1, got " + limit);
      }
      List<AdaptationEvent> events;
      try (GatewayClient client = gw.connect()) {
        events = shown(read(client, ServiceRequest.Op.EVENTS, name).events(), all, limit);
      }
      if (format.structured()) {
        Output.structured(out, format, events);
      } else if (events.isEmpty()) {
        out.println("no events" + (name == null ? "" : " about " + name) + " on gateway " + gw.gateway);
      } else {
        out.print(eventsTable(events, format == Output.Format.wide));
      }
    }
  }
}
