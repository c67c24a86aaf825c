package io.fogwise.cli;

import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = "Run a fog gateway until SIGTERM or Ctrl-C.")
final class GatewayCommand implements Callable<Integer> {
  /**
   * The exit status when another live gateway holds this id, at start or by taking it over later:
   * distinct, so a supervisor can tell it from a crash and not restart into the same conflict.
   */
  static final int EXIT_ID_IN_USE = 4;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--id", defaultValue = "${env:FW_GATEWAY_ID:-gw-1}", description = "Gateway id (env FW_GATEWAY_ID). Default: ${DEFAULT-VALUE}.")
  String id;

  @Option(names = "--nats", defaultValue = "${env:FW_NATS_URL:-nats://127.0.0.1:4222}", description = "NATS URL (env FW_NATS_URL). Default: ${DEFAULT-VALUE}.")
  String nats;

  @Option(names = "--http-port", defaultValue = "${env:FW_HTTP_PORT:-8080}",
      description = "HTTP API and /metrics port; 0 = a free one, -1 = none (env FW_HTTP_PORT). Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Option(names = "--ephemeral", description = "Do not keep desired state in JetStream KV (start afresh every time).")
  boolean ephemeral;

  @Option(names = "--trust-key", paramLabel = "FILE",
      description = {"A public key (.pub from 'fogwise rules keygen') or a directory of them; policy bundles must be",
          "signed by one of these keys (repeatable; env FW_TRUST_KEYS, comma-separated). Without any, only the",
          "built-in packs run."})
  java.util.List<java.nio.file.Path> trustKeys = new java.util.ArrayList<>();

  @Option(names = "--no-artifacts",
      description = {"Always compile pushed policy here; never load the signed compiled artifacts the pusher stores",
          "(by default a gateway loads one when it is signed by a trusted key and built from exactly its sources)."})
  boolean noArtifacts;

  @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "60s",
      converter = PolicyCommands.DurationConverter.class,
      description = {"How long to wait for NATS, durable state and the first rule compile before giving up",
          "(raise it when many gateways start at once on a small machine). Default: ${DEFAULT-VALUE}."})
  java.time.Duration startTimeout;

  @picocli.CommandLine.Mixin CacheOptions cache;

  @Override
  public Integer call() throws Exception {
    java.util.List<java.nio.file.Path> keys = new java.util.ArrayList<>(trustKeys);
    String env = System.getenv("FW_TRUST_KEYS");
    if (keys.isEmpty() && env != null && !env.isBlank()) {
      for (String k : env.split(",")) {
        keys.add(java.nio.file.Path.of(k.strip()));
      }
    }
    io.fogwise.policy.TrustedKeys trusted = io.fogwise.policy.TrustedKeys.load(keys);
    Gateway gw;
    try {
      gw = Gateway.start(GatewayConfig.builder(id, nats).httpPort(httpPort).durable(!ephemeral)
          .trustedKeys(trusted).startTimeout(startTimeout).cache(cache.settings())
          .policy(io.fogwise.gateway.policy.PolicyManager.Settings.DEFAULT.withArtifacts(!noArtifacts)).build());
    } catch (io.fogwise.gateway.lease.LeaseHeldException e) {
      spec.commandLine().getErr().println("fogwise gateway: " + e.getMessage());
      return EXIT_ID_IN_USE;
    }
    String lost = Waiting.untilShutdownOr(gw, gw.lost(), "gateway " + id);
    if (lost != null) {
      spec.commandLine().getErr().println("fogwise gateway: " + lost);
      return EXIT_ID_IN_USE;
    }
    return 0;
  }
}
