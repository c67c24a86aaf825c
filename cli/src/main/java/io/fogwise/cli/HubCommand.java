package io.fogwise.cli;

import io.fogwise.testsupport.NatsServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "hub", mixinStandardHelpOptions = true, subcommands = HubMoveCommand.class,
    description = {"Run the messaging hub: nats-server with JetStream, until Ctrl-C.",
        "Says 'listening' only once nats-server answers on its port; exits with nats-server's status if it dies"
            + " (or restarts it, with --restart); nats-server never outlives the hub, even one killed with SIGKILL."})
final class HubCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "4222", description = "Client port (0 = a free one). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--leaf-port",
      description = "Port gateways' leaf nodes connect to ('fogwise gateway --leaf'); 0 = a free one, -1 = none. "
          + "Default: 7422 with the default --port 4222, else a free one (printed at start).")
  Integer leafPort;

  @Option(names = "--leaf-advertise", paramLabel = "HOST:PORT",
      description = "The address gateways' leaf nodes reach the leaf port at (behind a proxy or NAT); they reconnect "
          + "to it. Default: the leaf port on this host's loopback.")
  String leafAdvertise;

  @Option(names = "--mqtt-port",
      description = "Accept MQTT 3.1.1 sensors on this port (0 = a free one): devices that publish heartbeats and "
          + "telemetry without a Fogwise agent, over TLS with a password from 'fogwise identity issue device ID "
          + "--gateway GW --mqtt'. Default: none.")
  Integer mqttPort;

  @Option(names = "--store", description = "JetStream store directory (default: a temporary one).")
  Path store;

  @Option(names = "--restart", description = "Restart nats-server on the same port and store when it dies"
      + " (back-off from 500 ms to 10 s), instead of exiting with its status.")
  boolean restart;

  @Option(names = "--home", paramLabel = "DIR", defaultValue = "${env:FW_HOME}",
      description = "Identity home whose operator, accounts and TLS certificate the hub serves; created "
          + "(with the operator 'admin') if it does not exist (env FW_HOME). Default: ~/.fogwise.")
  Path home;

  @Option(names = "--insecure",
      description = "No authentication and no TLS: anyone who reaches the port may read and write every subject, "
          + "command devices and change services. Only for a throw-away experiment on a closed machine.")
  boolean insecure;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    NatsServer first;
    try {
      NatsServer.Builder b = NatsServer.builder().port(port).store(store)
          .domain(io.fogwise.protocol.Subjects.CLOUD_DOMAIN);
      // a second hub on this machine (another --port) must not collide on the leaf port
      int leaf = leafPort != null ? leafPort : port == 4222 ? 7422 : 0;
      if (leaf >= 0) {
        b.leafListen(leaf).leafAdvertise(leafAdvertise);
      }
      if (mqttPort != null) {
        b.mqttListen(mqttPort);
      }
      if (insecure) {
        spec.commandLine().getErr().println("WARNING: fogwise hub --insecure: NO AUTHENTICATION AND NO TLS. Anyone who "
            + "reaches port " + port + " can publish heartbeats for any device, command devices, delete services and "
            + "rewrite policy.");
        b.insecure();
      } else {
        Path h = home != null ? home : IdentityOptions.defaultHome();
        b.identity(h);
        spec.commandLine().getOut().println("hub: identities and CA in " + h.toAbsolutePath()
            + " (operator credentials: " + h.resolve("creds/operator-admin.creds") + ")");
      }
      first = b.start();
    } catch (IllegalStateException | IllegalArgumentException | java.io.UncheckedIOException e) {
      spec.commandLine().getErr().println("fogwise hub: " + e.getMessage());
      return 1;
    }
    return new HubSupervisor(first, restart, RestartBackoff.DEFAULT, spec.commandLine().getOut(),
        spec.commandLine().getErr()).run();
  }
}
