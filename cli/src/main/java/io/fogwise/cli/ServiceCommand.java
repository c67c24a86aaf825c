package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.cli.GatewayClient.Reply;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fogwise service apply|list|delete|move}: declare services on a running gateway over
 * NATS. Exit codes: 0 done, 1 the gateway refused, 2 bad input (nothing sent), 3 gateway or
 * NATS unreachable.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
    description = {"Declare, list, delete and move services on a running gateway (request/reply on fw.gw.<id>.svc).",
        "Exit codes: 0 done, 1 refused by the gateway, 2 bad input (nothing sent), 3 no gateway or NATS."},
    subcommands = {ServiceCommand.Apply.class, ServiceCommand.ListServices.class, ServiceCommand.Delete.class,
        ServiceCommand.Move.class})
final class ServiceCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Where the gateway is and how long to wait for it; shared by every subcommand. */
  static final class GatewayOptions {
    @Option(names = "--gateway", paramLabel = "ID", defaultValue = "${env:FW_GATEWAY_ID:-gw-1}",
        description = "Gateway id (env FW_GATEWAY_ID). Default: ${DEFAULT-VALUE}.")
    String gateway;

    @Option(names = "--nats", paramLabel = "URL", defaultValue = "${env:FW_NATS_URL:-nats://127.0.0.1:4222}",
        description = "NATS URL (env FW_NATS_URL). Default: ${DEFAULT-VALUE}.")
    String nats;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
        converter = PolicyCommands.DurationConverter.class,
        description = "How long to wait for the gateway's answer: 10s, 500ms, 2m (a bare number is seconds)."
            + " Default: ${DEFAULT-VALUE}.")
    java.time.Duration timeout;

    @Mixin IdentityOptions identity;

    GatewayClient connect() throws CliFailure {
      return GatewayClient.connect(nats, gateway, timeout, identity.operator("fogwise"));
    }

    /** A connection that is re-established when lost, for a command that runs until Ctrl-C. */
    GatewayClient connectLasting(io.nats.client.ConnectionListener listener) throws CliFailure {
      return GatewayClient.connect(nats, gateway, timeout, identity.operator("fogwise"), listener);
    }
  }

  /** {@code --wait} and how long: shared by apply, move and delete. */
  static final class WaitOptions {
    @Option(names = "--wait", description = "Wait until the change is done (exit 0) or has failed (exit 1, with the"
        + " gateway's reason); see --wait-timeout.")
    boolean wait;

    @Option(names = "--wait-timeout", paramLabel = "DURATION", defaultValue = "2m",
        converter = PolicyCommands.DurationConverter.class,
        description = "With --wait: give up after this long (exit 1, saying where it stands). Default: ${DEFAULT-VALUE}.")
    java.time.Duration waitTimeout;
  }

  /** Runs a subcommand and turns a {@link CliFailure} into its one line and exit code. */
  abstract static class Base implements Callable<Integer> {
    @Mixin GatewayOptions gw;
    @Spec CommandSpec spec;

    @Override
    public final Integer call() {
      try {
        execute(spec.commandLine().getOut(), spec.commandLine().getErr());
        return 0;
      } catch (CliFailure f) {
        spec.commandLine().getErr().println("fogwise service " + spec.name() + ": " + f.getMessage());
        return f.exitCode();
      } finally {
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().flush();
      }
    }

    abstract void execute(PrintWriter out, PrintWriter err) throws CliFailure;

    String refusal(ServiceResponse r) {
      return "gateway " + gw.gateway + " refused: " + (r.field() != null ? "field '" + r.field() + "': " : "")
          + (r.error() != null ? r.error() : "no reason given");
    }
  }

  @Command(name = "apply", mixinStandardHelpOptions = true,
      description = {"Declare the services in FILEs (.yaml/.yml with one spec per '---' document, or .json).",
          "Every document of every file is validated first; if one is invalid nothing is sent (exit 2)."})
  static final class Apply extends Base {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Spec files.")
    List<Path> files;

    @Mixin WaitOptions waiting;

    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      List<SpecFiles.Document> docs;
      try {
        docs = SpecFiles.read(files);
      } catch (SpecFiles.InvalidSpecs e) {
        e.problems().forEach(err::println);
        int n = e.problems().size();
        throw new CliFailure(2, n + (n == 1 ? " problem" : " problems") + " in the spec files; nothing was applied");
      }
      List<String> refused = new ArrayList<>();
      int applied = 0;
      List<String> toWaitFor = new ArrayList<>();
      try (GatewayClient client = gw.connect()) {
        for (SpecFiles.Document d : docs) {
          Reply reply;
          try {
            java.util.Optional<String> durable = client.provisionDurable(d.spec());
            if (durable.isPresent()) {
              out.println("durable channel of " + d.spec().name() + ": stream "
                  + io.fogwise.protocol.DurableChannel.streamName(d.spec().config().getOrDefault("app",
                      io.fogwise.protocol.Subjects.DEFAULT_APP)) + " ready (" + durable.get() + ")");
            }
            reply = client.send(ServiceRequest.apply(d.spec()));
          } catch (CliFailure f) {
            throw applied == 0 && refused.isEmpty() ? f
                : new CliFailure(f.exitCode(), f.getMessage() + "; " + applied + " of " + docs.size()
                    + " specs were applied before that");
          }
          ServiceResponse r = reply.response();
          if (r.ok()) {
            applied++;
            toWaitFor.add(d.spec().name());
            String outcome = r.outcome() == null ? "applied" : r.outcome(); // a gateway before 17 does not say
            out.println(outcome + " " + summary(r.services().isEmpty() ? d.spec() : r.services().get(0)));
            out.flush();
          } else {
            refused.add(d.spec().name());
            err.println("not applied " + d.spec().name() + " (" + d.file() + " document " + d.index() + "): " + refusal(r));
          }
        }
        if (refused.isEmpty() && waiting.wait) {
          Waits waits = new Waits(client, gw.gateway, waiting.waitTimeout, out, err);
          for (String name : toWaitFor) {
            waits.untilRunning(name);
          }
        }
      }
      if (!refused.isEmpty()) {
        throw new CliFailure(1, "gateway " + gw.gateway + " refused " + String.join(", ", refused) + "; "
            + applied + " of " + docs.size() + " specs applied");
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The services declared on the gateway.")
  static final class ListServices extends Base {
    @Option(names = "--json", description = "Print the gateway's raw JSON answer.")
    boolean json;

    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      Reply reply;
      try (GatewayClient client = gw.connect()) {
        reply = client.send(ServiceRequest.list());
      }
      if (json) {
        out.println(reply.raw());
      }
      if (!reply.response().ok()) {
        throw new CliFailure(1, refusal(reply.response()));
      }
      if (!json) {
        List<ServiceSpec> specs = new ArrayList<>(reply.response().services());
        if (specs.isEmpty()) {
          out.println("no services on gateway " + gw.gateway);
          return;
        }
        specs.sort(Comparator.comparing(ServiceSpec::name));
        out.print(table(specs));
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a service; its instances are stopped.")
  static final class Delete extends Base {
    @Parameters(paramLabel = "NAME", description = "The service.")
    String name;

    @Mixin WaitOptions waiting;

    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      ServiceRequest request = request(() -> ServiceRequest.delete(name));
      try (GatewayClient client = gw.connect()) {
        ServiceResponse r = client.send(request).response();
        if (!r.ok()) {
          throw new CliFailure(1, refusal(r));
        }
        out.println("deleted " + name);
        out.flush();
        if (waiting.wait) {
          new Waits(client, gw.gateway, waiting.waitTimeout, out, err).untilGone(name);
        }
      }
    }
  }

  @Command(name = "move", mixinStandardHelpOptions = true,
      description = "Move a service to another layer or device (planned, make-before-break).")
  static final class Move extends Base {
    @Parameters(paramLabel = "NAME", description = "The service.")
    String name;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
      @Option(names = "--to-layer", paramLabel = "LAYER", required = true, description = "CLOUD, FOG or EDGE.")
      Layer layer;

      @Option(names = "--to-device", paramLabel = "ID", required = true, description = "A device id.")
      String device;
    }

    @Mixin WaitOptions waiting;

    @Override
    void execute(PrintWriter out, PrintWriter err) throws CliFailure {
      ServiceRequest request = request(() -> target.layer != null
          ? ServiceRequest.moveToLayer(name, target.layer) : ServiceRequest.moveToDevice(name, target.device));
      try (GatewayClient client = gw.connect()) {
        ServiceResponse r = client.send(request).response();
        if (!r.ok()) {
          throw new CliFailure(1, refusal(r));
        }
        String to = target.layer != null ? target.layer.name() : "device " + target.device;
        if ("unchanged".equals(r.outcome())) {
          out.println(r.note() != null ? r.note() : name + " already runs on " + to + "; nothing to move");
          return;
        }
        if (r.services().isEmpty()) {
          out.println("moving " + name + " to " + to);
        }
        for (ServiceSpec s : r.services()) {
          out.println("moving " + name + " to " + to + ": " + summary(s));
        }
        if (r.note() != null) {
          out.println("note: " + r.note());
        }
        out.flush();
        if (waiting.wait) {
          new Waits(client, gw.gateway, waiting.waitTimeout, out, err).untilMoved(name, target.layer, target.device);
        }
      }
    }
  }

  /** Builds a request, reporting an invalid name or device id as bad input. */
  static ServiceRequest request(Supplier<ServiceRequest> build) throws CliFailure {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, e.getMessage());
    }
  }

  /** {@code publisher (publisher, 1 replica, EDGE {pub=true})}. */
  static String summary(ServiceSpec s) {
    int n = s.replicas();
    return s.name() + " (" + kindOrImage(s) + ", " + n + (n == 1 ? " replica, " : " replicas, ") + placement(s.placement()) + ")";
  }

  static String kindOrImage(ServiceSpec s) {
    if (s.kind() == null) {
      return s.image();
    }
    return s.image() == null ? s.kind() : s.kind() + " " + s.image();
  }

  static String placement(ServiceSpec.Placement p) {
    String labels = p.labels().isEmpty() ? "" : new TreeMap<>(p.labels()).toString();
    if (p.layer() == null) {
      return labels.isEmpty() ? "anywhere" : "any layer " + labels;
    }
    return labels.isEmpty() ? p.layer().name() : p.layer().name() + " " + labels;
  }

  static String table(List<ServiceSpec> specs) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "KIND/IMAGE", "VERSION", "REPLICAS", "PLACEMENT", "CRITICAL", "LATENCY"});
    for (ServiceSpec s : specs) {
      rows.add(new String[] {s.name(), kindOrImage(s), s.version(), Integer.toString(s.replicas()), placement(s.placement()),
          s.critical() ? "yes" : "no", s.latencyObjectiveMs() == null ? "-" : s.latencyObjectiveMs() + " ms"});
    }
    return PolicyCommands.table(rows);
  }
}
