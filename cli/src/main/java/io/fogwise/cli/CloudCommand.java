package io.fogwise.cli;

import io.fogwise.cloud.CloudConfig;
import io.fogwise.cloud.CloudService;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fogwise cloud}: runs the cloud service until SIGTERM or Ctrl-C; {@code fogwise cloud
 * data ...} manages its data directly in JetStream, whether the service runs or not.
 */
@Command(name = "cloud", mixinStandardHelpOptions = true,
    description = {"Run the cloud service until SIGTERM or Ctrl-C: it answers the gateways' reads of cloud data",
        "(request/reply on fw.cloud.data.get) from JetStream (KV fw-cloud-data, object store fw-cloud-objects).",
        "'fogwise cloud data put|get|list|delete' manage the data, with or without the service running.",
        "With --signing-key it signs the rules the miner generates: proposed as a candidate ('fogwise rules diff',",
        "'fogwise rules approve') or, with --publish auto, published at once. 'fogwise cloud mine --now' runs a pass.",
        "Exit codes: 2 bad option, 3 NATS or JetStream unavailable at start; stopped by SIGTERM it exits 143 (Ctrl-C: 130)."},
    subcommands = {CloudDataCommand.class, CloudMineCommand.class})
final class CloudCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--nats", paramLabel = "URL", defaultValue = "${env:FW_NATS_URL:-nats://127.0.0.1:4222}",
      description = "NATS URL (env FW_NATS_URL). Default: ${DEFAULT-VALUE}.")
  String nats;

  @picocli.CommandLine.Mixin IdentityOptions identity;

  @Option(names = "--id", paramLabel = "ID", defaultValue = "${env:FW_CLOUD_ID:-cloud}",
      description = "The service's identity (env FW_CLOUD_ID). Default: ${DEFAULT-VALUE}.")
  String id;

  @Option(names = "--workers", defaultValue = "" + CloudConfig.DEFAULT_WORKERS,
      description = "Threads answering data requests (1-64). Default: ${DEFAULT-VALUE}.")
  int workers;

  @Option(names = "--signing-key", paramLabel = "NAME.key",
      description = {"The cloud key (from 'fogwise rules keygen'; NAME.pub beside it, which gateways --trust-key)",
          "that signs mined rules. Without it the miner stores findings only."})
  java.nio.file.Path signingKey;

  @Option(names = "--publish", paramLabel = "MODE", defaultValue = "propose",
      description = {"propose: store mined rules as a candidate for 'fogwise rules approve'; auto: publish them at once.",
          "Default: ${DEFAULT-VALUE}."})
  String publish;

  @Override
  public Integer call() throws InterruptedException {
    CloudConfig config;
    try {
      config = CloudConfig.builder(nats).workers(workers)
          .signingKey(signingKey == null ? null : PolicyCommands.signingKey(signingKey))
          .publishMode(io.fogwise.cloud.publish.Proposals.Mode.parse(publish))
          .auth(identity.resolve(io.fogwise.identity.Role.CLOUD, id, "fogwise cloud")).build();
    } catch (GatewayClient.CliFailure e) {
      spec.commandLine().getErr().println("fogwise cloud: " + e.getMessage());
      return e.exitCode();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("fogwise cloud: --" + e.getMessage());
      return 2;
    }
    CloudService cloud;
    try {
      cloud = CloudService.start(config);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("fogwise cloud: not a valid NATS URL: '" + nats + "' (" + e.getMessage() + ")");
      return 2;
    } catch (UncheckedIOException e) {
      spec.commandLine().getErr().println("fogwise cloud: " + e.getMessage());
      return 3;
    }
    Waiting.untilShutdown(cloud, "cloud");
    return 0;
  }
}
