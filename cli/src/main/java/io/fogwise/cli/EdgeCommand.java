package io.fogwise.cli;

import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.protocol.Layer;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "edge", mixinStandardHelpOptions = true,
    description = {"Run an edge agent until SIGTERM or Ctrl-C.",
        "Every option may also come from the environment: FW_NATS_URL, FW_DEVICE_ID, FW_GATEWAY, FW_LAYER,",
        "FW_LABELS, FW_DEVICE_CLASS, FW_HEARTBEAT_MS, FW_TELEMETRY_MS, FW_CREDS, FW_CA, FW_HOME, FW_INSECURE;",
        "options win."})
final class EdgeCommand implements Callable<Integer> {
  @Option(names = "--nats", description = "NATS URL.")
  String nats;

  @Option(names = "--id", description = "Device id.")
  String id;

  @Option(names = "--gateway", description = "Gateway id to report to.")
  String gateway;

  @Option(names = "--layer", description = "CLOUD, FOG or EDGE.")
  Layer layer;

  @Option(names = "--labels", description = "Placement labels, k=v,k=v.")
  String labels;

  @Option(names = "--device-class", description = "Device class rule parameters are keyed by.")
  String deviceClass;

  @picocli.CommandLine.Mixin IdentityOptions identity;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--heartbeat-ms", description = "Heartbeat interval in milliseconds (default 200).")
  Long heartbeatMs;

  @Override
  public Integer call() throws Exception {
    AgentConfig.Builder b = AgentConfig.fromEnvironment(System.getenv());
    if (nats != null) {
      b.natsUrl(nats);
    }
    if (id != null) {
      b.deviceId(id);
    }
    if (gateway != null) {
      b.gatewayId(gateway);
    }
    if (layer != null) {
      b.layer(layer);
    }
    if (labels != null) {
      b.labels(AgentConfig.parseLabels(labels));
    }
    if (deviceClass != null) {
      b.deviceClass(deviceClass);
    }
    if (heartbeatMs != null) {
      b.heartbeatInterval(Duration.ofMillis(heartbeatMs));
    }
    String device = id != null ? id : System.getenv(AgentConfig.ENV_DEVICE_ID);
    if (device != null && !"true".equalsIgnoreCase(System.getenv(AgentConfig.ENV_INSECURE))) {
      try {
        b.auth(identity.resolve(io.fogwise.identity.Role.DEVICE, device, "fogwise edge"));
      } catch (GatewayClient.CliFailure e) {
        spec.commandLine().getErr().println("fogwise edge: " + e.getMessage());
        return e.exitCode();
      }
    }
    EdgeAgent agent = EdgeAgent.start(b.build());
    Waiting.untilShutdown(agent, "agent " + agent.deviceId());
    return 0;
  }
}
