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
        "Every option may also come from the environment: FW_NATS_URL, FW_DEVICE_ID, FW_GATEWAY_ID, FW_LAYER,",
        "FW_LABELS, FW_DEVICE_CLASS, FW_HEARTBEAT_MS, FW_TELEMETRY_MS, FW_CREDS, FW_CA, FW_HOME, FW_INSECURE,",
        "FW_RUNTIME, FW_IMAGES (kind=image,...); options win."})
final class EdgeCommand implements Callable<Integer> {
  @Option(names = "--nats", description = "NATS URL.")
  String nats;

  @Option(names = "--id", paramLabel = "ID", description = "Device id (env FW_DEVICE_ID); required.")
  String id;

  @Option(names = "--gateway", paramLabel = "ID", description = "Gateway id to report to (env FW_GATEWAY_ID); required.")
  String gateway;

  @Option(names = "--layer", description = "CLOUD, FOG or EDGE.")
  Layer layer;

  @Option(names = "--labels", description = "Placement labels, k=v,k=v.")
  String labels;

  @Option(names = "--device-class", description = "Device class rule parameters are keyed by.")
  String deviceClass;

  @picocli.CommandLine.Mixin IdentityOptions identity;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--heartbeat", paramLabel = "DURATION", converter = PolicyCommands.DurationConverter.class,
      description = "Heartbeat interval, e.g. 200ms or 1s (default 200ms).")
  Duration heartbeat;

  @Option(names = "--heartbeat-ms", hidden = true, description = "Deprecated: --heartbeat in milliseconds.")
  Long heartbeatMs;

  @Option(names = "--runtime", description = "Where services run: process (in this JVM, the default) or docker "
      + "(containers on the local Docker engine, DOCKER_HOST).")
  String runtime;

  @Option(names = "--image", description = "With --runtime docker: the image of a kind, kind=image (repeatable; "
      + "defaults: publisher=fogwise/publisher:latest, subscriber=fogwise/subscriber:latest).")
  java.util.List<String> images;

  @Option(names = "--warm-spares", paramLabel = "N", description = {"With --runtime docker: keep N booted containers "
      + "per image that a START takes over instead of booting a JVM (a failover's critical path); 0-8, default 0.",
      "Env FW_WARM_SPARES."})
  Integer warmSpares;

  @Option(names = "--instance-nats", paramLabel = "URL", description = {"Where hosted instances connect: the hub of "
      + "application data, when it is not --nats (e.g. the cloud's while this device's gateway runs a site).",
      "'fogwise hub move' moves them to --nats. Default: --nats."})
  String instanceNats;

  @Option(names = "--latency-log", paramLabel = "DIR", description = "Subscribers write one CSV line per message "
      + "received to DIR/<service>-e<epoch>.csv (arrival, epoch, number, latency): raw data for benchmarks.")
  java.nio.file.Path latencyLog;

  private int usage(String message) {
    String name = spec.qualifiedName();
    spec.commandLine().getErr().println(name + ": " + message + " (see '" + name + " --help')");
    return 2;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  @Override
  public Integer call() throws Exception {
    AgentConfig.Builder b = AgentConfig.fromEnvironment(System.getenv());
    if (nats != null) {
      b.natsUrl(nats);
    }
    b.instanceNatsUrl(instanceNats).latencyLogDir(latencyLog);
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
    if (heartbeat != null || heartbeatMs != null) {
      b.heartbeatInterval(heartbeat != null ? heartbeat : Duration.ofMillis(heartbeatMs));
    }
    String device = id != null ? id : blankToNull(System.getenv(AgentConfig.ENV_DEVICE_ID));
    if (device == null) {
      return usage("which device is this? give --id ID (or set " + AgentConfig.ENV_DEVICE_ID + "), e.g. --id edge-1");
    }
    if (gateway == null && AgentConfig.gatewayFrom(System.getenv(), AgentConfig.ENV_GATEWAY,
        AgentConfig.ENV_GATEWAY_DEPRECATED) == null) {
      return usage("which gateway does it report to? give --gateway ID (or set " + AgentConfig.ENV_GATEWAY
          + "), e.g. --gateway gw-1");
    }
    if (device != null && !"true".equalsIgnoreCase(System.getenv(AgentConfig.ENV_INSECURE))) {
      try {
        b.auth(identity.resolve(io.fogwise.identity.Role.DEVICE, device, "fogwise edge"));
      } catch (GatewayClient.CliFailure e) {
        spec.commandLine().getErr().println("fogwise edge: " + e.getMessage());
        return e.exitCode();
      }
    }
    // the hook is in place before anything starts: a signal during the start stops it all afterwards
    try (Waiting waiting = Waiting.onSignals("agent " + device)) {
      String rt = runtime != null ? runtime : System.getenv().getOrDefault("FW_RUNTIME", "process");
      io.fogwise.edge.container.DockerRuntime containers = null;
      if ("docker".equals(rt)) {
        java.util.Map<String, String> kinds = new java.util.TreeMap<>(io.fogwise.containers.Images.defaults());
        java.util.List<String> pairs = new java.util.ArrayList<>();
        if (images != null) {
          pairs.addAll(images);
        } else if (System.getenv("FW_IMAGES") != null) {
          pairs.addAll(java.util.Arrays.asList(System.getenv("FW_IMAGES").split(",")));
        }
        for (String pair : pairs) {
          int eq = pair.indexOf('=');
          if (eq <= 0 || eq == pair.length() - 1) {
            spec.commandLine().getErr().println("fogwise edge: --image must be kind=image, got '" + pair + "' (see --help)");
            return 2;
          }
          kinds.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        AgentConfig draft = b.build();
        int spares;
        try {
          spares = warmSpares != null ? warmSpares : Integer.parseInt(System.getenv().getOrDefault("FW_WARM_SPARES", "0"));
        } catch (NumberFormatException e) {
          spares = -1;
        }
        if (spares < 0 || spares > 8) {
          spec.commandLine().getErr().println("fogwise edge: --warm-spares must be within [0, 8] (see --help)");
          return 2;
        }
        try {
          containers = io.fogwise.edge.container.DockerRuntime.start(io.fogwise.containers.DockerClients.connect(),
              draft.deviceId(), draft.gatewayId(), kinds,
              new io.fogwise.edge.container.DockerRuntime.Spares(spares, draft.auth().caFile(), draft.natsUrl()));
        } catch (IllegalStateException | IllegalArgumentException e) {
          spec.commandLine().getErr().println("fogwise edge: " + e.getMessage());
          return 1;
        }
        b.services(containers.kinds());
      } else if (!"process".equals(rt)) {
        spec.commandLine().getErr().println("fogwise edge: --runtime must be process or docker, got '" + rt + "' (see --help)");
        return 2;
      }
      EdgeAgent agent = EdgeAgent.start(b.build());
      io.fogwise.edge.container.DockerRuntime owned = containers;
      waiting.until(() -> {
        agent.close();
        if (owned != null) {
          owned.close();
        }
      });
      return 0;
    }
  }
}
