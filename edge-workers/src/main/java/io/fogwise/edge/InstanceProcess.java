package io.fogwise.edge;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fogwise.containers.InstanceEnv;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.Credentials;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.ForceReconnectOptions;
import io.nats.client.Nats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service instance in a process of its own: what an instance container runs ({@code fogwise
 * instance}). Configured entirely by the environment ({@link InstanceEnv}), it hosts the kind's
 * service exactly as an agent would (the same {@link HostedInstance}: crash restarts with
 * back-off, standby, hand-over) on a NATS connection of its own, and answers its agent's probe
 * and hand-over on a control endpoint on 127.0.0.1 that requires a bearer token. SIGTERM stops
 * the service, flushes what it sent, and exits.
 */
public final class InstanceProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceProcess.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How many times the first connect is tried. */
  static final int CONNECT_ATTEMPTS = 3;

  private final HostedInstance instance;
  private final InstanceContext context;
  private final RenewableAuth renewable;
  private final HttpServer control;
  private final byte[] token;
  private final CountDownLatch closed = new CountDownLatch(1);

  private InstanceProcess(HostedInstance instance, InstanceContext context, RenewableAuth renewable, HttpServer control,
      String token) {
    this.instance = instance;
    this.context = context;
    this.renewable = renewable;
    this.control = control;
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Starts the instance {@code env} describes.
   *
   * @throws IllegalArgumentException with a message naming the variable when the environment is incomplete or wrong
   * @throws IllegalStateException when the hub cannot be reached or the control port is taken
   */
  public static InstanceProcess start(Map<String, String> env) {
    return start(env, null);
  }

  /**
   * Starts the instance {@code env} describes, on {@code server} when a warm spare already runs
   * its control endpoint (null: the instance opens its own when {@link InstanceEnv#CONTROL_PORT} is set).
   */
  static InstanceProcess start(Map<String, String> env, HttpServer spareServer) {
    String natsUrl = required(env, InstanceEnv.NATS_URL);
    String gateway = AgentConfig.gatewayFrom(env, InstanceEnv.GATEWAY, InstanceEnv.GATEWAY_DEPRECATED);
    if (gateway == null) {
      throw new IllegalArgumentException(InstanceEnv.GATEWAY + " is required");
    }
    String device = required(env, InstanceEnv.DEVICE);
    String service = required(env, InstanceEnv.SERVICE);
    String kind = required(env, InstanceEnv.KIND);
    long epoch;
    try {
      epoch = Long.parseLong(required(env, InstanceEnv.EPOCH));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(InstanceEnv.EPOCH + " must be a number, got '" + env.get(InstanceEnv.EPOCH) + "'");
    }
    Map<String, String> config = Map.of();
    String configJson = env.get(InstanceEnv.CONFIG);
    if (configJson != null && !configJson.isBlank()) {
      try {
        config = JSON.readValue(configJson, new TypeReference<LinkedHashMap<String, String>>() { });
      } catch (IOException e) {
        throw new IllegalArgumentException(InstanceEnv.CONFIG + " must be a JSON object of strings: " + e.getMessage());
      }
    }
    ServiceFactory factory = ServiceKinds.discover(InstanceProcess.class.getClassLoader()).get(kind);
    if (factory == null) {
      throw new IllegalArgumentException("unknown service kind '" + kind + "' (known: "
          + String.join(", ", ServiceKinds.discover(InstanceProcess.class.getClassLoader()).keySet()) + ")");
    }
    int port = 0;
    String portText = env.get(InstanceEnv.CONTROL_PORT);
    if (portText != null && !portText.isBlank()) {
      try {
        port = Integer.parseInt(portText.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(InstanceEnv.CONTROL_PORT + " must be a port number, got '" + portText + "'");
      }
    }
    String token = env.get(InstanceEnv.CONTROL_TOKEN);
    if (port > 0 && (token == null || token.length() < 16)) {
      throw new IllegalArgumentException(InstanceEnv.CONTROL_TOKEN + " (at least 16 characters) is required with "
          + InstanceEnv.CONTROL_PORT);
    }

    String name = device + "/" + service + "#" + epoch;
    RenewableAuth renewable = null;
    NatsAuth auth;
    if ("true".equalsIgnoreCase(env.get(InstanceEnv.INSECURE))) {
      auth = NatsAuth.insecure();
    } else {
      String creds = env.get(InstanceEnv.CREDS);
      String credsFile = env.get(InstanceEnv.CREDS_FILE);
      Credentials c;
      try {
        c = creds != null && !creds.isBlank() ? Credentials.parse(creds)
            : credsFile != null ? Credentials.read(Path.of(credsFile)) : null;
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("unreadable instance credentials: " + e.getMessage());
      }
      if (c == null) {
        throw new IllegalArgumentException(InstanceEnv.CREDS + " or " + InstanceEnv.CREDS_FILE
            + " is required (or " + InstanceEnv.INSECURE + "=true for a hub without authentication)");
      }
      Path ca = Path.of(required(env, InstanceEnv.CA));
      if (!Files.isReadable(ca)) {
        throw new IllegalArgumentException(InstanceEnv.CA + ": cannot read " + ca);
      }
      auth = NatsAuth.of(c, ca);
      renewable = new RenewableAuth(c);
    }
    NatsListeners listeners = new NatsListeners(name);
    io.nats.client.Options.Builder options = NatsOptions.component(natsUrl, name, auth)
        .errorListener(listeners).connectionListener(listeners);
    if (renewable != null) {
      options.authHandler(renewable);
    }
    Connection conn = null;
    // a container boots beside others on a loaded device: a first TLS handshake can miss its
    // timeout, so the first connect is tried a few times before the instance gives up (and its
    // agent restarts it with back-off)
    io.nats.client.Options built = options.build();
    for (int attempt = 1; conn == null; attempt++) {
      try {
        conn = Nats.connect(built);
      } catch (IOException e) {
        if (attempt >= CONNECT_ATTEMPTS) {
          throw new IllegalStateException("cannot connect to NATS at " + natsUrl + " (" + attempt + " attempts): "
              + e.getMessage(), e);
        }
        LOG.info("instance {}: connect attempt {} failed ({}); trying again", name, attempt, e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while connecting to NATS", e);
      }
    }
    InstanceContext ctx = new InstanceContext(service, kind, epoch, config, device, gateway, conn, true, Clock.system());
    HostedService hosted;
    try {
      hosted = Objects.requireNonNull(factory.create(ctx), "factory of kind '" + kind + "' returned null");
    } catch (RuntimeException e) {
      ctx.closeOwnConnection();
      throw new IllegalArgumentException("cannot start service '" + service + "': " + e.getMessage(), e);
    }
    HostedInstance instance = new HostedInstance(ctx, hosted,
        new Backoff(AgentConfig.DEFAULT_RESTART_BACKOFF_BASE, AgentConfig.DEFAULT_RESTART_BACKOFF_MAX));
    HttpServer server = spareServer;
    if (server == null && port > 0) {
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
      } catch (IOException e) {
        ctx.closeOwnConnection();
        throw new IllegalStateException("cannot listen on 127.0.0.1:" + port + " for the control endpoint: " + e.getMessage(), e);
      }
    }
    InstanceProcess p = new InstanceProcess(instance, ctx, renewable, server, token);
    boolean standby = "true".equalsIgnoreCase(env.get(InstanceEnv.STANDBY));
    instance.start(standby);
    if (spareServer != null) {
      spareServer.removeContext("/");
      spareServer.createContext("/", p::handle);
    } else if (server != null) {
      server.createContext("/", p::handle);
      server.setExecutor(Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fw-instance-control");
        t.setDaemon(true);
        return t;
      }));
      server.start();
    }
    LOG.info("instance {} ({}) started{}{}", name, kind, standby ? " in standby" : "",
        server == null ? "" : ", control endpoint on 127.0.0.1:" + port);
    return p;
  }

  /** The instance's report, as its agent probes it. */
  public InstanceReport report() {
    return instance.report();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String auth = x.getRequestHeaders().getFirst("Authorization");
      byte[] given = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
      if (token == null || !MessageDigest.isEqual(token, given)) {
        respond(x, 401, Map.of("error", "a bearer token is required"));
        return;
      }
      String path = x.getRequestURI().getPath();
      String method = x.getRequestMethod();
      switch (method + " " + path) {
        case "GET /health" -> {
          InstanceReport r = instance.report();
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("state", r.state().name());
          body.put("restarts", r.restarts());
          body.put("outputs", r.outputs());
          respond(x, 200, body);
        }
        case "POST /handover" -> {
          OptionalLong next = instance.handover();
          try {
            context.connection().flush(DefaultEdgeAgent.HANDOVER_FLUSH_TIMEOUT);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (Exception e) {
            LOG.warn("{}: hand-over: NATS did not confirm the last messages: {}", context, e.toString());
          }
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("next", next.isPresent() ? next.getAsLong() : null);
          respond(x, 200, body);
        }
        case "POST /activate" -> {
          String q = x.getRequestURI().getQuery();
          long number;
          try {
            number = Long.parseLong(q == null || !q.startsWith("number=") ? "" : q.substring(7));
          } catch (NumberFormatException e) {
            respond(x, 400, Map.of("error", "activate needs ?number=N"));
            return;
          }
          respond(x, 200, Map.of("changed", instance.activate(number)));
        }
        case "POST /renew" -> {
          if (renewable == null) {
            respond(x, 409, Map.of("error", "the instance runs without credentials of its own"));
            return;
          }
          Credentials next;
          try (InputStream in = x.getRequestBody()) {
            next = Credentials.parse(new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8));
          } catch (RuntimeException e) {
            respond(x, 400, Map.of("error", "unreadable credentials: " + e.getMessage()));
            return;
          }
          renewable.renew(next);
          OptionalLong held = instance.holdOutput();
          try {
            context.connection().forceReconnect(ForceReconnectOptions.builder().flush(DefaultEdgeAgent.RENEW_FLUSH_TIMEOUT).build());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (IOException | RuntimeException e) {
            LOG.warn("{} will reconnect with its new credentials on its own: {}", context, e.toString());
          } finally {
            held.ifPresent(instance::releaseOutput);
          }
          x.sendResponseHeaders(204, -1);
        }
        default -> respond(x, 404, Map.of("error", "no such endpoint: " + method + " " + path));
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: control request failed: {}", context, e.toString());
    }
  }

  private static void respond(HttpExchange x, int status, Map<String, ?> body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Blocks until {@link #close()}. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  /** Stops the service (its last output flushed), the control endpoint and the connection. */
  @Override
  public void close() {
    if (closed.getCount() == 0) {
      return;
    }
    if (control != null) {
      control.stop(0);
    }
    instance.stop(); // also closes the instance's own connection
    LOG.info("instance {} stopped", context);
    closed.countDown();
  }

  /**
   * Runs the instance {@code env} describes until SIGTERM (or Ctrl-C).
   *
   * @return the exit code: 0 after a stop, 2 when the environment is wrong, 1 when it cannot start
   */
  public static int run(Map<String, String> env) {
    InstanceProcess p;
    try {
      p = "true".equalsIgnoreCase(env.get(InstanceEnv.SPARE)) ? spare(env) : start(env);
    } catch (IllegalArgumentException e) {
      System.err.println("fogwise instance: " + e.getMessage());
      return 2;
    } catch (IllegalStateException e) {
      System.err.println("fogwise instance: " + e.getMessage());
      return 1;
    }
    Thread hook = new Thread(p::close, "fw-instance-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      p.awaitClose();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /**
   * A warm spare: the JVM boots, loads what an instance needs (NATS client, TLS, the kinds), opens
   * its control endpoint and waits for its agent's {@code POST /assign} (a JSON object of the
   * {@link InstanceEnv} variables of the instance it becomes), then starts that instance on the
   * same endpoint. A failover to a device with a spare does not wait for a JVM to boot.
   */
  static InstanceProcess spare(Map<String, String> env) {
    int port;
    try {
      port = Integer.parseInt(required(env, InstanceEnv.CONTROL_PORT));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(InstanceEnv.CONTROL_PORT + " must be a port number for a spare");
    }
    String token = required(env, InstanceEnv.CONTROL_TOKEN);
    byte[] expected = token.getBytes(StandardCharsets.UTF_8);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on 127.0.0.1:" + port + " for the control endpoint: " + e.getMessage(), e);
    }
    java.util.concurrent.CompletableFuture<InstanceProcess> assigned = new java.util.concurrent.CompletableFuture<>();
    server.createContext("/", x -> {
      try (x) {
        String auth = x.getRequestHeaders().getFirst("Authorization");
        byte[] given = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(expected, given)) {
          respond(x, 401, Map.of("error", "a bearer token is required"));
          return;
        }
        String what = x.getRequestMethod() + " " + x.getRequestURI().getPath();
        if (what.equals("GET /health")) {
          respond(x, 200, Map.of("state", "SPARE"));
        } else if (what.equals("POST /assign") && !assigned.isDone()) {
          Map<String, String> merged = new LinkedHashMap<>(env);
          merged.remove(InstanceEnv.SPARE);
          try (InputStream in = x.getRequestBody()) {
            merged.putAll(JSON.readValue(in.readNBytes(256 * 1024), new TypeReference<LinkedHashMap<String, String>>() { }));
          }
          merged.put(InstanceEnv.CONTROL_PORT, Integer.toString(port));
          merged.put(InstanceEnv.CONTROL_TOKEN, token);
          try {
            InstanceProcess p = start(merged, server);
            respond(x, 200, Map.of("assigned", true));
            assigned.complete(p);
          } catch (RuntimeException e) {
            respond(x, e instanceof IllegalArgumentException ? 400 : 500, Map.of("error", String.valueOf(e.getMessage())));
            assigned.completeExceptionally(e);
          }
        } else {
          respond(x, 404, Map.of("error", "a spare answers GET /health and POST /assign, not " + what));
        }
      }
    });
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fw-instance-control");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    warmUp();
    warmTls(env.get(InstanceEnv.NATS_URL), env.get(InstanceEnv.CA));
    LOG.info("spare ready on 127.0.0.1:{}", port);
    try {
      return assigned.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to be assigned");
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  /** Loads and initialises what every instance needs before it is one: TLS, the NATS client, the kinds. */
  private static void warmUp() {
    try {
      javax.net.ssl.SSLContext.getDefault();
      Class.forName("io.nats.client.impl.NatsConnection");
      ServiceKinds.discover(InstanceProcess.class.getClassLoader());
      JSON.writeValueAsString(Map.of("warm", "up"));
    } catch (Exception e) {
      LOG.debug("warm-up: {}", e.toString());
    }
  }

  /**
   * One TLS handshake with the hub before the spare is assigned, with no credentials and nothing
   * sent after it (the connection closes before NATS's CONNECT, so the hub sees no login): the
   * handshake's classes, certificate checks and crypto are the slowest part of a cold instance's
   * first connect, which is on a failover's critical path.
   */
  private static void warmTls(String natsUrl, String caPem) {
    if (natsUrl == null || caPem == null) {
      return;
    }
    try {
      java.net.URI u = java.net.URI.create(natsUrl.split(",")[0].trim());
      String host = u.getHost();
      int port = u.getPort() > 0 ? u.getPort() : 4222;
      java.security.cert.CertificateFactory cf = java.security.cert.CertificateFactory.getInstance("X.509");
      java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      ks.load(null, null);
      try (InputStream in = Files.newInputStream(Path.of(caPem))) {
        int i = 0;
        for (java.security.cert.Certificate c : cf.generateCertificates(in)) {
          ks.setCertificateEntry("ca" + i++, c);
        }
      }
      javax.net.ssl.TrustManagerFactory tmf =
          javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
      ctx.init(null, tmf.getTrustManagers(), null);
      try (java.net.Socket raw = new java.net.Socket()) {
        raw.connect(new InetSocketAddress(host, port), 2000);
        raw.setSoTimeout(2000);
        InputStream in = raw.getInputStream();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
          // the server's INFO line, in clear, before the TLS upgrade
        }
        try (javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true)) {
          javax.net.ssl.SSLParameters params = tls.getSSLParameters();
          params.setEndpointIdentificationAlgorithm("HTTPS");
          tls.setSSLParameters(params);
          tls.startHandshake();
        }
      }
      LOG.debug("spare: TLS with {} warmed up", natsUrl);
    } catch (Exception e) {
      LOG.debug("spare: TLS warm-up with {} failed: {}", natsUrl, e.toString());
    }
  }

  /** The instance images' entry point ({@code fogwise instance} is the same through the CLI). */
  public static void main(String[] args) {
    System.exit(run(System.getenv()));
  }

  private static String required(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " is required");
    }
    return v.trim();
  }
}
