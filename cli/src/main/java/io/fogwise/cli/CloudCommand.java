package io.fogwise.cli;

import io.fogwise.cloud.CloudConfig;
import io.fogwise.cloud.CloudService;
import io.fogwise.cloud.history.MinerService;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
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
        "Unless --no-miner, it also runs the miner: it ingests the history streams FW_TELEMETRY and FW_EVENTS into",
        "--miner-store, and the leading instance (lease in KV fw-miner) runs a mining pass every --mine-every.",
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
  @Option(names = "--no-miner", description = "Do not run the miner (ingestion and mining passes).")
  boolean noMiner;

  @Option(names = "--miner-store", paramLabel = "DIR", defaultValue = "${env:FW_MINER_STORE}",
      description = "The miner's history store (env FW_MINER_STORE); instances may share it on a shared volume."
          + " Default: $XDG_DATA_HOME/fogwise/miner or ~/.local/share/fogwise/miner.")
  Path minerStore;

  @Option(names = "--mine-every", paramLabel = "DURATION", defaultValue = "10m",
      converter = PolicyCommands.LongDurationConverter.class,
      description = "How often the leading miner runs a mining pass (e.g. 10m, 1h). Default: ${DEFAULT-VALUE}.")
  Duration mineEvery;

  @Option(names = "--miner-id", paramLabel = "ID", defaultValue = "${env:FW_MINER_ID}",
      description = "This miner instance (env FW_MINER_ID; letters, digits, '_', '.', '-'); every instance needs its own."
          + " Default: host name and pid.")
  String minerId;

  @Option(names = "--miner-identity", paramLabel = "ID", defaultValue = "${env:FW_MINER_IDENTITY:-miner}",
      description = "The miner's credentials, of role miner (env FW_MINER_IDENTITY; 'fogwise identity issue miner ID')."
          + " Without them the miner shares the service's connection, which the hub slows to about a thousand"
          + " messages/s. Default: ${DEFAULT-VALUE}.")
  String minerIdentity;

  /** How the miner runs as the options say, or null with {@code --no-miner}. */
  MinerService.Settings minerSettings() {
    if (noMiner) {
      return null;
    }
    return MinerService.Settings.of(minerStore != null ? minerStore : CloudConfig.defaultMinerStore(),
        minerId != null ? minerId : CloudConfig.defaultMinerId()).withMineEvery(mineEvery);
  }

  @Override
  public Integer call() throws InterruptedException {
    CloudConfig config;
    try {
      CloudConfig.Builder b = CloudConfig.builder(nats).workers(workers)
          .signingKey(signingKey == null ? null : PolicyCommands.signingKey(signingKey))
          .publishMode(io.fogwise.cloud.publish.Proposals.Mode.parse(publish))
          .auth(identity.resolve(io.fogwise.identity.Role.CLOUD, id, "fogwise cloud"));
      MinerService.Settings miner = minerSettings();
      if (miner != null) {
        b.miner(miner);
        if (!identity.insecure) {
          try {
            b.minerAuth(identity.resolve(io.fogwise.identity.Role.MINER, minerIdentity, "fogwise cloud"));
          } catch (GatewayClient.CliFailure e) {
            spec.commandLine().getErr().println("fogwise cloud: WARNING: " + e.getMessage()
                + "; the miner shares the service's connection (slow ingestion)");
          }
        }
      }
      config = b.build();
    } catch (GatewayClient.CliFailure e) {
      spec.commandLine().getErr().println("fogwise cloud: " + e.getMessage());
      return e.exitCode();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("fogwise cloud: --" + e.getMessage());
      return 2;
    }
    try (Waiting waiting = Waiting.onSignals("cloud")) {
      CloudService cloud;
      try {
        cloud = CloudService.start(config);
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("fogwise cloud: not a valid NATS URL: '" + nats + "' (" + e.getMessage() + ")");
        return 2;
      } catch (UncheckedIOException | IllegalStateException e) {
        spec.commandLine().getErr().println("fogwise cloud: " + e.getMessage());
        return 3;
      }
      waiting.until(cloud);
      return 0;
    }
  }
}
