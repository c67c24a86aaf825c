package io.fogwise.cli;

import io.fogwise.edge.InstanceProcess;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "instance", mixinStandardHelpOptions = true,
    description = {"Run one service instance until SIGTERM: what the publisher and subscriber images run.",
        "Configured only by the environment, set by the agent (docker runtime) or the gateway (swarm):",
        "FW_NATS_URL, FW_GATEWAY_ID, FW_DEVICE_ID, FW_SERVICE, FW_KIND, FW_EPOCH, FW_CONFIG (a JSON object),",
        "FW_STANDBY, FW_CONTROL_PORT and FW_CONTROL_TOKEN (the agent's probe and hand-over on 127.0.0.1),",
        "FW_INSTANCE_CREDS or FW_INSTANCE_CREDS_FILE, FW_CA, FW_INSECURE.",
        "Exit codes: 0 stopped, 1 cannot start (hub, port), 2 wrong environment."})
final class InstanceCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return InstanceProcess.run(System.getenv());
  }
}
