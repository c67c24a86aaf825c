package io.fogwise.cli;

import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import java.time.Duration;
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

  /** An hour: a device that stops hosting an instance keeps its credential at most this long; one reconnect per half. */
  static final Duration DEFAULT_INSTANCE_TTL = Duration.ofHours(1);

  @picocli.CommandLine.Mixin IdentityOptions identity;

  @Option(names = "--instance-key", paramLabel = "FILE",
      description = "The gateway's scoped key for its instances' credentials. Default: beside --creds "
          + "(<name>.instance.nk), as 'fogwise identity issue gateway' writes it.")
  java.nio.file.Path instanceKey;

  @Option(names = "--instance-ttl", paramLabel = "DURATION",
      converter = PolicyCommands.LongDurationConverter.class,
      description = {"How long an instance's credentials are valid; the gateway renews them at half of it",
          "(RENEW: the instance reconnects with the new ones). Default: 1h; with --orchestrator swarm, which",
          "does not renew them, no expiry."})
  Duration instanceTtl;
  @Option(names = "--http-host", paramLabel = "ADDRESS", defaultValue = "${env:FW_HTTP_HOST:-127.0.0.1}",
      description = {"Address the HTTP API binds to (env FW_HTTP_HOST). Default: ${DEFAULT-VALUE}, so only this host",
          "reaches it; anything else (0.0.0.0: every interface) needs --api-tokens and TLS, or --insecure-http."})
  String httpHost;

  @Option(names = "--api-tokens", paramLabel = "FILE",
      description = {"API tokens file: one '<name> <role> <sha256-hex>' line per token, role read (GET only) or",
          "operator (everything). With it every HTTP request, /metrics and /health included, needs",
          "'Authorization: Bearer <token>', on loopback too; the file is re-read when it changes."})
  java.nio.file.Path apiTokens;

  @Option(names = "--http-tls-cert", paramLabel = "FILE", description = "PEM certificate chain: serve the HTTP API over TLS (with --http-tls-key).")
  java.nio.file.Path httpTlsCert;

  @Option(names = "--http-tls-key", paramLabel = "FILE", description = "PEM private key (PKCS#8 or PKCS#1) of --http-tls-cert.")
  java.nio.file.Path httpTlsKey;

  @Option(names = "--insecure-http",
      description = "Serve the HTTP API beyond loopback without API tokens or TLS (logged as a warning at start).")
  boolean insecureHttp;

  @Option(names = "--leaf", paramLabel = "HOST:PORT", defaultValue = "${env:FW_LEAF_REMOTE}",
      description = {"Run the site's own NATS server, a leaf node of the cloud hub whose leaf-node listener is at",
          "HOST:PORT ('fogwise hub' listens on 7422), in JetStream domain <id> (env FW_LEAF_REMOTE). The gateway",
          "and the site's devices connect to it (--leaf-port); desired state, the id lease, the last policy and",
          "the site's history live in it, so the site runs on while the cloud is unreachable. --nats is then unused.",
          "On a site host, --home is a site export ('fogwise identity export-site'), which holds no fleet keys."})
  String leaf;

  @Option(names = "--leaf-port", defaultValue = "${env:FW_LEAF_PORT:-4223}",
      description = "With --leaf: the client port of the site's NATS server, where devices connect; 0 = a free one (env FW_LEAF_PORT). Default: ${DEFAULT-VALUE}.")
  int leafPort;

  @Option(names = "--leaf-store", paramLabel = "DIR",
      description = "With --leaf: the site NATS server's JetStream store; keep it across restarts. Default: <home>/sites/<id>.")
  java.nio.file.Path leafStore;

  @Option(names = "--orchestrator", paramLabel = "NAME", defaultValue = "${env:FW_ORCHESTRATOR:-process}",
      description = {"Who runs the gateway's service instances (env FW_ORCHESTRATOR). Default: ${DEFAULT-VALUE}.",
          "process: edge agents ('fogwise edge') host them, commanded over NATS.",
          "swarm: this host's Docker engine is a Swarm manager; each Swarm node labelled fogwise.device=<id> (and",
          "layer=CLOUD|FOG|EDGE) is a device, each instance a Swarm service placed on its device's node",
          "(DOCKER_HOST names another engine)."})
  String orchestrator;

  @Option(names = "--instance-nats", paramLabel = "URL", defaultValue = "${env:FW_INSTANCE_NATS_URL}",
      description = {"With --orchestrator swarm: the hub's URL as instance containers on the nodes see it (env",
          "FW_INSTANCE_NATS_URL). Default: the gateway's own (--nats, or the site's with --leaf)."})
  String instanceNats;

  /** The orchestration {@code --orchestrator} names. */
  GatewayConfig.Orchestration orchestration() {
    return switch (orchestrator == null ? "process" : orchestrator.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "process" -> GatewayConfig.Orchestration.PROCESS;
      case "swarm" -> GatewayConfig.Orchestration.SWARM;
      default -> throw new IllegalArgumentException("--orchestrator must be process or swarm, not '" + orchestrator + "'");
    };
  }

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

  @Option(names = "--instance-start-timeout", paramLabel = "DURATION", defaultValue = "5s",
      converter = PolicyCommands.DurationConverter.class,
      description = {"How long a started instance may go unreported by its device before the start counts as failed",
          "and is retried (raise it for devices that run containers: a container boots a JVM). Default: ${DEFAULT-VALUE}."})
  java.time.Duration instanceStartTimeout;

  @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "60s",
      converter = PolicyCommands.DurationConverter.class,
      description = {"How long to wait for NATS, durable state and the first rule compile before giving up",
          "(raise it when many gateways start at once on a small machine). Default: ${DEFAULT-VALUE}."})
  java.time.Duration startTimeout;

  // the cache of cloud data: unset options keep the CloudCache.Settings.DEFAULT_ value
  @Option(names = "--cache-max-bytes", paramLabel = "N",
      description = "Bytes of cloud data the cache holds before evicting the least valuable items. Default: 67108864 (64 MiB).")
  Long cacheMaxBytes;

  @Option(names = "--cache-fresh-for", paramLabel = "DURATION", converter = PolicyCommands.LongDurationConverter.class,
      description = "How long a cached copy is fresh; after that a read asks the cloud first. Default: 5m.")
  java.time.Duration cacheFreshFor;

  @Option(names = "--cache-refresh-after", paramLabel = "DURATION", converter = PolicyCommands.LongDurationConverter.class,
      description = "A copy read this long after it was loaded is refreshed in the background (shorter than --cache-fresh-for). Default: 30s.")
  java.time.Duration cacheRefreshAfter;

  @Option(names = "--cache-max-stale", paramLabel = "DURATION", converter = PolicyCommands.LongDurationConverter.class,
      description = "The oldest copy served stale while the cloud cannot be reached (at least --cache-fresh-for). Default: 1h.")
  java.time.Duration cacheMaxStale;

  /** Where the HTTP API listens and who may call it, as the options say. */
  io.fogwise.gateway.http.GatewayHttpServer.Settings httpSettings() {
    return io.fogwise.gateway.http.GatewayHttpServer.Settings.builder().host(httpHost).apiTokens(apiTokens)
        .tlsCert(httpTlsCert).tlsKey(httpTlsKey).insecure(insecureHttp).build();
  }

  /** The cache settings the options ask for; IllegalArgumentException says which do not fit together. */
  io.fogwise.gateway.cache.CloudCache.Settings cacheSettings() {
    var b = io.fogwise.gateway.cache.CloudCache.Settings.builder();
    if (cacheMaxBytes != null) {
      b.maxBytes(cacheMaxBytes);
    }
    if (cacheFreshFor != null) {
      b.expireAfterWrite(cacheFreshFor);
    }
    if (cacheRefreshAfter != null) {
      b.refreshAfterWrite(cacheRefreshAfter);
    }
    if (cacheMaxStale != null) {
      b.maxStale(cacheMaxStale);
    }
    return b.build();
  }

  /** A settings complaint in the words of the command line: option names, durations as given. */
  static String inOptionTerms(String message) {
    String m = message.replaceFirst("^cache ", "")
        .replace("refreshAfterWrite", "--cache-refresh-after")
        .replace("expireAfterWrite", "--cache-fresh-for")
        .replace("maxStale", "--cache-max-stale")
        .replace("maxBytes", "--cache-max-bytes");
    java.util.regex.Matcher d = java.util.regex.Pattern.compile("PT([0-9HMS.]+)").matcher(m);
    return d.replaceAll(r -> r.group(1).toLowerCase(java.util.Locale.ROOT));
  }

  @Override
  public Integer call() throws Exception {
    java.util.List<java.nio.file.Path> keys = new java.util.ArrayList<>(trustKeys);
    String env = System.getenv("FW_TRUST_KEYS");
    if (keys.isEmpty() && env != null && !env.isBlank()) {
      for (String k : env.split(",")) {
        keys.add(java.nio.file.Path.of(k.strip()));
      }
    }
    for (java.nio.file.Path k : keys) {
      if (!java.nio.file.Files.exists(k)) {
        spec.commandLine().getErr().println("fogwise gateway: --trust-key " + k + ": no such file or directory"
            + " (give the .pub file, or a directory of them, that 'fogwise rules keygen --out DIR --name NAME' wrote"
            + " as DIR/NAME.pub)");
        return 2;
      }
    }
    io.fogwise.gateway.cache.CloudCache.Settings cache;
    try {
      cache = cacheSettings();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("fogwise gateway: " + inOptionTerms(e.getMessage()));
      return 2;
    }
    io.fogwise.policy.TrustedKeys trusted = io.fogwise.policy.TrustedKeys.load(keys);
    GatewayConfig config;
    HubSupervisor site = null;
    try {
      if (leaf != null && !leaf.isBlank()) {
        try {
          site = startLeaf();
        } catch (IllegalStateException | IllegalArgumentException | java.io.UncheckedIOException e) {
          spec.commandLine().getErr().println("fogwise gateway: the site's leaf node did not start: " + e.getMessage());
          return 1;
        }
      }
      GatewayConfig.Builder b = GatewayConfig.builder(id, site != null ? site.currentUrl() : nats).leafSite(site != null)
          .orchestration(orchestration());
      if (instanceNats != null && !instanceNats.isBlank()) {
        b.instanceNatsUrl(instanceNats.strip());
      }
      // what the options alone refuse comes first, before credentials are looked for
      if (httpPort >= 0) {
        var refusal = httpSettings().refusal();
        if (refusal.isPresent()) {
          throw new IllegalArgumentException(refusal.get());
        }
      }
      var auth = identity.resolve(io.fogwise.identity.Role.GATEWAY, id, "fogwise gateway");
      b.auth(auth);
      if (!auth.isInsecure()) {
        java.nio.file.Path key = instanceKey != null ? instanceKey : identity.instanceKeyFile(id);
        // the swarm orchestrator cannot renew credentials (no RENEW path into a container yet): no expiry by default
        Duration ttl = instanceTtl != null ? instanceTtl
            : orchestration() == GatewayConfig.Orchestration.SWARM ? Duration.ZERO : DEFAULT_INSTANCE_TTL;
        b.instanceSigner(io.fogwise.identity.InstanceSigner.load(key), ttl);
      }
      // refused here, before NATS is contacted: an HTTP API beyond loopback without tokens and TLS
      config = b.httpPort(httpPort).http(httpSettings()).durable(!ephemeral)
          .trustedKeys(trusted).startTimeout(startTimeout)
          .reconciler(new io.fogwise.gateway.core.reconcile.Reconciler.Settings(instanceStartTimeout,
              io.fogwise.gateway.core.reconcile.Reconciler.Settings.DEFAULT.missingGrace(),
              io.fogwise.gateway.core.reconcile.Reconciler.Settings.DEFAULT.stopRetry(),
              io.fogwise.gateway.core.reconcile.Reconciler.Settings.DEFAULT.avoidAfterFailure())).cache(cache)
          .policy(io.fogwise.gateway.policy.PolicyManager.Settings.DEFAULT.withArtifacts(!noArtifacts)).build();
    } catch (GatewayClient.CliFailure | IllegalArgumentException | IllegalStateException e) {
      spec.commandLine().getErr().println("fogwise gateway: " + e.getMessage());
      if (site != null) {
        site.stop();
      }
      return 2;
    }
    // the site's server stops inside the signal's wait too: a SIGTERM's hook holds the JVM until it is down
    try (Waiting waiting = Waiting.onSignals("gateway " + id)) {
      try {
        Gateway gw;
        try {
          gw = Gateway.start(config);
        } catch (io.fogwise.gateway.lease.LeaseHeldException e) {
          spec.commandLine().getErr().println("fogwise gateway: " + e.getMessage());
          return EXIT_ID_IN_USE;
        }
        String lost = waiting.untilOr(gw, gw.lost());
        if (lost != null) {
          spec.commandLine().getErr().println("fogwise gateway: " + lost);
          return EXIT_ID_IN_USE;
        }
        return 0;
      } finally {
        if (site != null) {
          site.stop();
        }
      }
    }
  }

  /**
   * Starts the site's NATS server as a leaf node of the cloud hub and keeps it running (restarted
   * on the same port and store if it dies) for as long as the gateway runs.
   */
  private HubSupervisor startLeaf() {
    String remote = leaf.strip().replaceFirst("^[a-z]+://", "");
    if (!remote.matches("[^:/\\s]+:[0-9]{1,5}")) {
      throw new IllegalArgumentException("--leaf wants the cloud hub's leaf-node address as HOST:PORT, not '" + leaf + "'");
    }
    var b = io.fogwise.testsupport.NatsServer.builder().port(leafPort).domain(io.fogwise.protocol.Subjects.gatewayDomain(id))
        .leafOf(remote, null).provision(false);
    java.nio.file.Path home = identity.home();
    if (identity.insecure) {
      b.insecure();
    } else {
      // a site export (no private keys of the fleet) on a site host; the whole home on the hub's machine
      io.fogwise.identity.ServerIdentity h = io.fogwise.identity.SiteHome.isSite(home)
          ? io.fogwise.identity.SiteHome.open(home) : io.fogwise.identity.IdentityHome.openOrInit(home);
      java.nio.file.Path creds = h.credsFile(io.fogwise.identity.Role.LEAF, id);
      if (!java.nio.file.Files.exists(creds)) {
        throw new IllegalStateException("no leaf-node credentials for " + id + " (" + creds + "); 'fogwise identity "
            + "issue leaf " + id + "' writes them (a gateway issued now gets them with its own)");
      }
      if (h instanceof io.fogwise.identity.SiteHome) {
        b.site(home).leafOf(remote, creds);
      } else {
        b.identity(home).leafOf(remote, creds);
      }
    }
    b.store(leafStore != null ? leafStore : home.resolve("sites").resolve(id));
    io.fogwise.testsupport.NatsServer server = b.start();
    HubSupervisor sup = new HubSupervisor("leaf node", server, true, RestartBackoff.DEFAULT,
        spec.commandLine().getOut(), spec.commandLine().getErr());
    Thread t = new Thread(() -> {
      try {
        sup.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "leaf-node-supervisor");
    t.setDaemon(true);
    t.start();
    spec.commandLine().getOut().println("gateway: site " + id + " runs its own NATS at " + server.url()
        + " (devices connect there), a leaf node of the cloud at " + remote);
    spec.commandLine().getOut().flush();
    return sup;
  }
}
