package io.fogwise.testsupport;

import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real {@code nats-server} child process with JetStream on, a free port and its own
 * temporary store: the messaging hub of {@code fogwise hub}, the demo, the benchmarks and every
 * integration test.
 *
 * <p>The server never outlives the JVM that started it, even one killed with SIGKILL. Java
 * cannot ask the kernel for a parent-death signal, so nats-server runs under a small
 * {@code sh} watchdog ({@link #WATCHDOG}) whose standard input is a pipe only this JVM writes
 * to: when this JVM dies the kernel closes the pipe, the watchdog reads end-of-file and stops
 * the server (SIGINT, then SIGKILL after {@link #STOP_GRACE}). A shell is a few hundred
 * kilobytes and starts in a millisecond, where a launcher JVM would cost tens of megabytes per
 * hub; {@code /bin/sh} is on every machine that has nats-server.
 *
 * <p>Secure by default: the server runs in operator mode with the identities of an
 * {@link IdentityHome} (a temporary one in the store unless given) and TLS with the home's
 * certificate; anonymous clients are refused. {@link Builder#insecure()} is the only way off.
 * Tests and tools connect with {@link #auth}, {@link #deviceAuth} or {@link #connect()}.
 */
public final class NatsServer implements AutoCloseable {
  /** The command that installs the server on Debian-based machines. */
  public static final String INSTALL_HINT = "apt-get update && apt-get install -y nats-server";

  /** How long a server may take to answer the NATS handshake on its port. */
  public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long a stopping server may take to exit after SIGINT before it is killed: JetStream
   * flushes its store on the way out, which takes milliseconds on a healthy disk.
   */
  public static final Duration STOP_GRACE = Duration.ofSeconds(5);

  /** How long one readiness probe may wait for the server's INFO and PONG lines. */
  private static final int PROBE_TIMEOUT_MILLIS = 1_000;

  /** Pause between readiness probes while the server is still starting. */
  private static final long PROBE_INTERVAL_MILLIS = 25;

  /**
   * The watchdog, run as {@code sh -c WATCHDOG fogwise-nats <log> <grace-tenths> nats-server
   * args...}. It prints the server's pid on its standard output, exits with the server's exit
   * status (128 + n when signal n killed it) and stops the server when its standard input
   * closes or when it is sent SIGTERM itself. SIGINT is the stop signal because nats-server
   * 2.9 exits 0 on it (1 on SIGTERM) after the same graceful shutdown.
   *
   * <p>Only the JVM decides when the server stops: the server runs in a session of its own
   * ({@code setsid}, when installed) and the watchdog ignores SIGINT and SIGHUP, so a Ctrl-C
   * in the terminal reaches the JVM, whose shutdown then stops the server, rather than killing
   * the server first and making a supervisor believe it died.
   *
   * <p>A non-interactive shell gives background jobs /dev/null as standard input, so the pipe
   * is kept on descriptor 3 for the watcher and closed for nats-server itself.
   */
  static final String WATCHDOG = String.join("\n",
      "log=$1; grace=$2; shift 2",
      "command -v setsid >/dev/null 2>&1 && set -- setsid \"$@\"",
      "trap '' INT HUP",
      "exec 3<&0 </dev/null",
      // not a process group leader (no job control), so setsid execs in place: $! is the server
      "\"$@\" 3<&- >>\"$log\" 2>&1 &",
      "server=$!",
      "echo \"$server\"",
      "trap 'kill -INT \"$server\" 2>/dev/null' TERM",
      "(",
      "  while read -r _; do :; done",
      "  kill -INT \"$server\" 2>/dev/null",
      "  i=0",
      "  while kill -0 \"$server\" 2>/dev/null && [ \"$i\" -lt \"$grace\" ]; do sleep 0.1; i=$((i + 1)); done",
      "  kill -KILL \"$server\" 2>/dev/null",
      ") <&3 >/dev/null 2>&1 &",
      "watcher=$!",
      "exec 3<&-",
      // a trapped signal interrupts wait before the server has exited: wait again
      "while :; do",
      "  wait \"$server\"",
      "  status=$?",
      "  kill -0 \"$server\" 2>/dev/null || break",
      "done",
      "kill \"$watcher\" 2>/dev/null",
      "exit \"$status\"");

  private static final Pattern SERVER_NAME = Pattern.compile("\"server_name\"\\s*:\\s*\"([^\"]*)\"");

  private final Process watchdog;
  private final OutputStream lifeline;
  private final long serverPid;
  private final int port;
  private final Path storeDir;
  private final Path log;
  private final long logStart;
  private final String name;
  private final CompletableFuture<Integer> exit;
  private final Path config;
  private final IdentityHome identity;
  /** What the server serves: {@link #identity}, a site export, or null when insecure. */
  private final io.fogwise.identity.ServerIdentity served;
  private final Extras extras;
  private final Map<String, NatsAuth> auths = new ConcurrentHashMap<>();
  private volatile boolean ownsStore;

  private NatsServer(Process watchdog, long serverPid, int port, Path storeDir, boolean ownsStore, Path log,
      long logStart, String name, Path config, IdentityHome identity, io.fogwise.identity.ServerIdentity served,
      Extras extras) {
    this.watchdog = watchdog;
    this.lifeline = watchdog.getOutputStream();
    this.serverPid = serverPid;
    this.port = port;
    this.storeDir = storeDir;
    this.ownsStore = ownsStore;
    this.log = log;
    this.logStart = logStart;
    this.name = name;
    this.config = config;
    this.identity = identity;
    this.served = served;
    this.extras = extras;
    this.exit = watchdog.onExit().thenApply(Process::exitValue);
  }

  /** Starts a secure server on a free loopback port with a temporary store and identities. */
  public static NatsServer start() {
    return builder().start();
  }

  /**
   * Starts a secure server (identities in {@code <store>/identity}) and returns once it
   * answers on its port.
   *
   * @param port the port, or 0 for a free one
   * @param storeDir the JetStream store, or null for a temporary one removed on close
   * @throws IllegalStateException if nats-server is not installed, exits during start-up (the
   *     message says why, e.g. that the port is in use) or does not answer in time
   */
  public static NatsServer start(int port, Path storeDir) {
    return builder().port(port).store(storeDir).start();
  }

  /**
   * As {@link #start(int, Path)}, with a nats-server configuration file for what has no
   * command-line flag (leaf nodes, a JetStream domain); the address, port, name and store given
   * here override the file's.
   *
   * @param config the file, or null for none
   */
  public static NatsServer start(int port, Path storeDir, Path config) {
    return builder().port(port).store(storeDir).config(config).start();
  }

  /** How to start a server. */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of a server start; secure unless {@link #insecure()}. */
  public static final class Builder {
    private int port;
    private Path store;
    private Path config;
    private Path identity;
    private Path site;
    private boolean insecure;
    private String domain;
    private int leafPort = -1;
    private int mqttPort = -1;
    private String leafAdvertise;
    private String leafRemote;
    private Path leafRemoteCreds;
    private boolean provision = true;

    private Builder() {}

    /** This server's JetStream domain, or null (the default) for none. */
    public Builder domain(String domain) {
      this.domain = domain;
      return this;
    }

    /**
     * Accepts leaf-node connections on loopback {@code port} (0 = a free one; TLS with the
     * identity home's hub certificate on a secure server).
     */
    public Builder leafListen(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("leaf port must be 0..65535, not " + port);
      }
      this.leafPort = port;
      return this;
    }

    /**
     * Accepts MQTT 3.1.1 clients on loopback {@code port} (0 = a free one): sensors that publish
     * heartbeats and telemetry without a Fogwise agent. On a secure server they connect over TLS
     * with the identity home's hub certificate and log in with a bearer-token user JWT as
     * password ({@link IdentityHome#issueMqtt}); anonymous clients are refused.
     */
    public Builder mqttListen(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("MQTT port must be 0..65535, not " + port);
      }
      this.mqttPort = port;
      return this;
    }

    /**
     * The address ({@code host:port}) leaf nodes are told to reconnect to, when they reach this
     * server through something else (a proxy, a NAT, an emulated link); default: the listen
     * address.
     */
    public Builder leafAdvertise(String hostPort) {
      this.leafAdvertise = hostPort;
      return this;
    }

    /**
     * Makes this server a leaf node of the server whose leaf-node listener is at {@code url}
     * (host:port), authenticated with {@code credentials} and, on a secure server, over TLS
     * trusting the identity home's CA.
     */
    public Builder leafOf(String url, Path credentials) {
      this.leafRemote = Objects.requireNonNull(url, "url");
      this.leafRemoteCreds = credentials;
      return this;
    }

    /**
     * Whether to create, as the operator, the shared buckets and every issued gateway's at
     * start (the default): a hub does; a gateway's leaf node, which has no operator
     * credentials, does not.
     */
    public Builder provision(boolean provision) {
      this.provision = provision;
      return this;
    }

    /** The port, or 0 (the default) for a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535, not " + port);
      }
      this.port = port;
      return this;
    }

    /** The JetStream store, or null (the default) for a temporary one removed on close. */
    public Builder store(Path store) {
      this.store = store;
      return this;
    }

    /** A nats-server configuration file added to the generated one, or null. */
    public Builder config(Path config) {
      this.config = config;
      return this;
    }

    /** The identity home to serve (created if absent); default {@code <store>/identity}. */
    public Builder identity(Path home) {
      this.identity = home;
      return this;
    }

    /**
     * Serves a site export ({@code fogwise identity export-site}) instead of an identity home:
     * a site's NATS on a machine that holds none of the fleet's private keys. Such a server
     * creates no buckets and issues no identities.
     */
    public Builder site(Path siteHome) {
      this.site = siteHome;
      return this;
    }

    /** No authentication and no TLS: anyone who reaches the port may do anything. */
    public Builder insecure() {
      this.insecure = true;
      return this;
    }

    /** Starts the server and returns once it answers on its port. */
    public NatsServer start() {
      try {
        boolean owns = store == null;
        Path dir = owns ? Files.createTempDirectory("fogwise-nats-") : store;
        try {
          IdentityHome home = insecure || site != null ? null
              : IdentityHome.openOrInit(identity == null ? dir.resolve("identity") : identity);
          io.fogwise.identity.ServerIdentity served = insecure ? null
              : site != null ? io.fogwise.identity.SiteHome.open(site) : home;
          int leaf = leafPort == 0 ? freePort() : leafPort;
          int mqtt = mqttPort == 0 ? freePort() : mqttPort;
          Extras extras = new Extras(domain, leaf, leafAdvertise, leafRemote, leafRemoteCreds, provision, mqtt);
          return launch(port == 0 ? freePort() : port, dir, owns, !owns, config, home, served, extras);
        } catch (IOException | RuntimeException e) {
          if (owns) {
            delete(dir);
          }
          throw e;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start nats-server", e);
      }
    }
  }

  /**
   * Starts a new server on this one's port and store once this one has exited, for a
   * supervisor that restarts a dead hub. The new server takes over the store, and its removal
   * when it is temporary.
   *
   * @throws IllegalStateException if this server is still running, or the new one cannot start
   */
  public NatsServer restarted() {
    if (isAlive()) {
      throw new IllegalStateException("nats-server (pid " + serverPid + ") is still running on port " + port);
    }
    try {
      NatsServer next = launch(port, storeDir, ownsStore, true, config, identity, served, extras);
      ownsStore = false;
      return next;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restart nats-server", e);
    }
  }

  /** Starts the watchdog and server; on failure the server is stopped and the store left alone. */
  private static NatsServer launch(int port, Path store, boolean owns, boolean keepsLog, Path config,
      IdentityHome identity, io.fogwise.identity.ServerIdentity served, Extras extras) throws IOException {
    Path binary =
        find()
            .orElseThrow(
                () -> new IllegalStateException("nats-server not found on PATH; install it with: " + INSTALL_HINT));
    Files.createDirectories(store);
    Path log = store.resolve("nats-server.log");
    long logStart = Files.exists(log) ? Files.size(log) : 0;
    // a name of its own, checked in the INFO line, so a server already on the port is not taken for this one
    String name = "fogwise-hub-" + port + "-" + UUID.randomUUID().toString().substring(0, 8);
    long graceTenths = STOP_GRACE.toMillis() / 100;
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", WATCHDOG, "fogwise-nats", log.toString(),
        Long.toString(graceTenths), binary.toString(), "-a", "127.0.0.1", "-p", Integer.toString(port), "-n", name,
        "-js", "-sd", store.toString()));
    Path generated = generatedConfig(store, config, served, extras);
    if (generated != null) {
      cmd.add("-c");
      cmd.add(generated.toString());
    }
    Process watchdog = new ProcessBuilder(cmd).redirectError(Redirect.appendTo(log.toFile())).start();
    long pid;
    try {
      pid = readPid(watchdog);
    } catch (IOException | RuntimeException e) {
      watchdog.destroyForcibly();
      throw new IllegalStateException("nats-server watchdog did not start: " + e.getMessage() + "; see " + log, e);
    }
    NatsServer server = new NatsServer(watchdog, pid, port, store, owns, log, logStart, name, config, identity, served,
        extras);
    server.awaitReady(STARTUP_TIMEOUT, keepsLog);
    if (identity != null && extras.provision()) {
      try {
        server.provision();
      } catch (IOException | RuntimeException e) {
        server.stop();
        throw new IllegalStateException("nats-server started but its buckets could not be created: " + e.getMessage(), e);
      }
    }
    return server;
  }

  /**
   * The configuration the server runs with: the identity home's part (operator, accounts,
   * resolver, TLS), written fresh at every start so revocations made while it was down apply,
   * followed by the caller's file; null when there is neither.
   */
  private static Path generatedConfig(Path store, Path config, io.fogwise.identity.ServerIdentity identity,
      Extras extras) throws IOException {
    if (identity == null && extras.isEmpty()) {
      return config;
    }
    String text = "";
    if (identity != null) {
      Path resolver = Files.createDirectories(store.resolve("jwt"));
      text = identity.serverConfig(resolver);
    }
    text += extras.config(identity);
    if (config != null) {
      text += "\n# from " + config.toAbsolutePath() + "\n" + Files.readString(config, StandardCharsets.UTF_8) + "\n";
    }
    Path out = store.resolve("fogwise-hub.conf");
    Files.writeString(out, text, StandardCharsets.UTF_8);
    return out;
  }

  private static long readPid(Process watchdog) throws IOException {
    // not closed: closing our end of the watchdog's stdout would only invite a SIGPIPE later
    BufferedReader out = new BufferedReader(new InputStreamReader(watchdog.getInputStream(), StandardCharsets.US_ASCII));
    String line = out.readLine();
    if (line == null) {
      throw new IOException("it exited before starting nats-server");
    }
    return Long.parseLong(line.trim());
  }

  /** The {@code nats-server} binary on PATH (or in /usr/sbin), if installed. */
  public static Optional<Path> find() {
    String path = System.getenv().getOrDefault("PATH", "");
    List<String> dirs = new ArrayList<>(List.of(path.split(java.io.File.pathSeparator)));
    dirs.add("/usr/sbin");
    dirs.add("/usr/local/bin");
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(d, "nats-server");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** A port free on loopback right now. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitReady(Duration timeout, boolean keepsLog) {
    String seeLog = keepsLog ? " (log: " + log + ")" : "";
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (exit.isDone()) {
        throw new IllegalStateException(startFailure(exit.join()) + seeLog);
      }
      if (answersHandshake()) {
        return;
      }
      try {
        // wakes early if the server exits
        exit.get(PROBE_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException stillStarting) {
        // probe again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop();
        throw new IllegalStateException("interrupted while nats-server was starting on port " + port, e);
      }
    }
    String problem = lastProblem().map(p -> ": " + p).orElse("");
    stop();
    throw new IllegalStateException("nats-server did not answer on port " + port + " within " + timeout.toMillis()
        + " ms" + problem + seeLog);
  }

  /**
   * A NATS handshake with this server: its INFO line (carrying this server's name, so another
   * server on the port does not count), then CONNECT and PING answered by PONG.
   */
  private boolean answersHandshake() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), PROBE_TIMEOUT_MILLIS);
      s.setSoTimeout(PROBE_TIMEOUT_MILLIS);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String info = in.readLine();
      if (info == null || !info.startsWith("INFO ")) {
        return false;
      }
      Matcher m = SERVER_NAME.matcher(info);
      if (!m.find() || !m.group(1).equals(name)) {
        return false;
      }
      if (info.contains("\"tls_required\":true")) {
        return true; // serving: the rest of the handshake is TLS and authentication
      }
      OutputStream out = s.getOutputStream();
      out.write("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"fogwise-readiness\"}\r\nPING\r\n"
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      return "PONG".equals(in.readLine());
    } catch (IOException notYet) {
      return false;
    }
  }

  private String startFailure(int status) {
    List<String> lines = logSinceStart();
    boolean inUse = lines.stream().anyMatch(l -> l.contains("address already in use"));
    String why = inUse
        ? "port " + port + " is already in use by another process"
        : "it exited with " + describeStatus(status) + lastProblem().map(p -> ": " + p).orElse("");
    return "nats-server could not start on 127.0.0.1:" + port + ": " + why;
  }

  /**
   * Words for an exit status as the watchdog reports it: 128 + n when signal n killed the
   * server, as shells do.
   */
  public static String describeStatus(int status) {
    if (status > 128 && status < 160) {
      int signal = status - 128;
      String signalName = switch (signal) {
        case 1 -> "SIGHUP";
        case 2 -> "SIGINT";
        case 6 -> "SIGABRT";
        case 9 -> "SIGKILL";
        case 11 -> "SIGSEGV";
        case 15 -> "SIGTERM";
        default -> "signal " + signal;
      };
      return "status " + status + " (killed by " + signalName + ")";
    }
    return "status " + status;
  }

  /**
   * The server's last error or fatal log line since it was started (e.g. the reason it
   * exited), if it logged one.
   */
  public Optional<String> lastProblem() {
    List<String> lines = logSinceStart();
    for (int i = lines.size() - 1; i >= 0; i--) {
      String l = lines.get(i);
      int level = Math.max(l.indexOf("[FTL] "), l.indexOf("[ERR] "));
      // the readiness probe reads INFO and leaves before TLS: not a problem of the server
      if (level >= 0 && !l.contains("TLS handshake error: EOF")) {
        return Optional.of(l.substring(level).trim());
      }
    }
    // a configuration error is printed without a level, as the server's last words
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith("nats-server: ")) {
        return Optional.of(lines.get(i).trim());
      }
    }
    return Optional.empty();
  }

  private List<String> logSinceStart() {
    try {
      byte[] all = Files.readAllBytes(log);
      int from = (int) Math.min(logStart, all.length);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  public int port() {
    return port;
  }

  /** Whether this server authenticates clients and speaks TLS. */
  public boolean isSecure() {
    return served != null;
  }

  /**
   * The identities this server serves.
   *
   * @throws IllegalStateException if it was started insecure
   */
  public IdentityHome identity() {
    if (identity == null) {
      throw new IllegalStateException("this nats-server was started --insecure or from a site export: it has no"
          + " identity home");
    }
    return identity;
  }

  /**
   * How identity {@code id} of {@code role} (not a device: see {@link #deviceAuth}) connects,
   * issuing its credentials on first use; {@link NatsAuth#insecure()} on an insecure server.
   */
  public NatsAuth auth(Role role, String id) {
    if (role == Role.DEVICE) {
      throw new IllegalArgumentException("a device belongs to a gateway: use deviceAuth(gateway, device)");
    }
    return authFor(role, id, null);
  }

  /** How device {@code deviceId} of gateway {@code gatewayId} connects (issued on first use). */
  public NatsAuth deviceAuth(String gatewayId, String deviceId) {
    return authFor(Role.DEVICE, deviceId, gatewayId);
  }

  /** How the operator (allowed everything in the fleet account) connects. */
  public NatsAuth operatorAuth() {
    return authFor(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
  }

  private NatsAuth authFor(Role role, String id, String gatewayId) {
    if (identity == null) {
      // insecure, or a site export: its credentials as exported, nothing issued here
      return served == null ? NatsAuth.insecure() : NatsAuth.files(served.credsFile(role, id), served.caFile());
    }
    return auths.computeIfAbsent(role.label() + "/" + id + "/" + gatewayId, k -> {
      if (identity.current(role, id).isEmpty()) {
        identity.issue(role, id, gatewayId);
        if (role == Role.GATEWAY && isAlive() && extras.provision()) {
          identity.pushAccount(url()); // the account now lists the gateway's instance key
          try (Connection c = connect()) {
            io.fogwise.protocol.Buckets.ensureAll(c, io.fogwise.protocol.Buckets.ofGateway(id));
            io.fogwise.protocol.HistoryStreams.ensureCloud(c.jetStreamManagement(), List.of(id));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }
      }
      return identity.auth(role, id);
    });
  }

  /**
   * The credentials file of an identity (issued on first use), to hand to a child process;
   * empty on an insecure server.
   */
  public Optional<Path> credsFile(Role role, String id, String gatewayId) {
    if (identity == null) {
      return Optional.empty();
    }
    authFor(role, id, gatewayId);
    return Optional.of(identity.credsFile(role, id));
  }

  /**
   * Creates, as the operator, the buckets gateways may use but not create (a gateway allowed to
   * create a stream could make it capture any subject): the shared ones and those of every
   * gateway issued in the identity home.
   */
  private void provision() throws IOException {
    try (Connection c = connect()) {
      io.fogwise.protocol.Buckets.ensureAll(c, io.fogwise.protocol.Buckets.shared());
      List<String> gateways = new ArrayList<>();
      for (IdentityHome.Entry e : identity.list()) {
        if (e.role().equals(Role.GATEWAY.label()) && !e.revoked()) {
          io.fogwise.protocol.Buckets.ensureAll(c, io.fogwise.protocol.Buckets.ofGateway(e.id()));
          gateways.add(e.id());
        }
      }
      // history: direct gateways by subject, and every gateway's leaf node, should it run one, by sourcing
      io.fogwise.protocol.HistoryStreams.ensureCloud(c.jetStreamManagement(), gateways);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while creating buckets", e);
    }
  }

  /** A connection as the operator, for tests and tools; the caller closes it. */
  public Connection connect() throws IOException, InterruptedException {
    return Nats.connect(NatsOptions.oneShot(url(), NatsOptions.CONNECT_TIMEOUT, operatorAuth()).build());
  }

  /** The port leaf nodes connect to, or -1 when this server accepts none. */
  public int leafPort() {
    return extras.leafPort();
  }

  /** The port MQTT clients connect to, or -1 when this server accepts none. */
  public int mqttPort() {
    return extras.mqttPort();
  }

  /** This server's JetStream domain, or null. */
  public String domain() {
    return extras.domain();
  }

  /** Options beyond the identity home's part, kept so a restart runs with the same. */
  private record Extras(String domain, int leafPort, String leafAdvertise, String leafRemote, Path leafRemoteCreds,
      boolean provision, int mqttPort) {
    boolean isEmpty() {
      return domain == null && leafPort < 0 && leafRemote == null && mqttPort < 0;
    }

    String config(io.fogwise.identity.ServerIdentity identity) {
      StringBuilder b = new StringBuilder();
      if (domain != null) {
        b.append("jetstream { domain: ").append(quote(domain)).append(" }\n");
      }
      if (mqttPort >= 0) {
        // MQTT 3.1.1 sessions live in JetStream (on here) and need the server name (-n); with
        // operator mode, MQTT clients log in with a bearer-token user JWT as their password
        b.append("mqtt {\n  listen: \"127.0.0.1:").append(mqttPort).append("\"\n");
        if (identity != null) {
          b.append("  tls: { cert_file: ").append(quote(identity.serverCert()))
              .append(", key_file: ").append(quote(identity.serverKey()))
              .append(", timeout: 2 }\n");
        }
        b.append("}\n");
      }
      if (leafPort >= 0 || leafRemote != null) {
        b.append("leafnodes {\n");
        if (leafPort >= 0) {
          b.append("  listen: \"127.0.0.1:").append(leafPort).append("\"\n");
          if (leafAdvertise != null) {
            // leaf nodes reconnect to the address this server tells them (nats-server 2.9 tells
            // its listen address even with no_advertise): a proxy's, a NAT's, an emulated link's
            b.append("  advertise: \"").append(leafAdvertise).append("\"\n");
          }
          if (identity != null) {
            b.append("  tls: { cert_file: ").append(quote(identity.serverCert()))
                .append(", key_file: ").append(quote(identity.serverKey()))
                .append(", timeout: 2 }\n");
          }
        }
        if (leafRemote != null) {
          b.append("  remotes: [ { url: \"").append(identity != null ? "tls://" : "nats://").append(leafRemote)
              .append("\"");
          if (identity != null) {
            b.append(", account: \"").append(identity.fleetAccount()).append("\"");
          }
          if (leafRemoteCreds != null) {
            b.append(", credentials: ").append(quote(leafRemoteCreds));
          }
          if (identity != null) {
            b.append(", tls: { ca_file: ").append(quote(identity.caFile())).append(" }");
          }
          b.append(" }");
          if (identity != null && domain != null) {
            // the system account too, so account updates pushed to the hub (revocations) reach this server
            b.append(",\n    { url: \"tls://").append(leafRemote).append("\", account: \"")
                .append(identity.systemAccount()).append("\", credentials: ")
                .append(quote(identity.siteSystemCreds(domain))).append(", tls: { ca_file: ")
                .append(quote(identity.caFile())).append(" } }");
          }
          b.append(" ]\n");
        }
        b.append("}\n");
      }
      return b.toString();
    }

    private static String quote(Object o) {
      return "\"" + o.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
  }

  /** The client URL, e.g. {@code nats://127.0.0.1:4222}. */
  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  /** The nats-server process id (not its watchdog's). */
  public long pid() {
    return serverPid;
  }

  /** The server's log file, in its store directory. */
  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return !exit.isDone();
  }

  /**
   * Completes with the server's exit status when it exits, for whatever reason: 0 after
   * {@link #close()}, 128 + n when signal n killed it.
   */
  public CompletableFuture<Integer> onExit() {
    return exit.copy();
  }

  /** Stops the server (SIGINT, SIGKILL after {@link #STOP_GRACE}) and removes a temporary store. */
  @Override
  public void close() {
    stop();
    if (ownsStore) {
      delete(storeDir);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp dir left behind is harmless
    }
  }

  private void stop() {
    try {
      lifeline.close(); // the watchdog stops the server
    } catch (IOException alreadyClosed) {
      // the watchdog has exited
    }
    try {
      exit.get(STOP_GRACE.toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      ProcessHandle.of(serverPid).ifPresent(ProcessHandle::destroyForcibly);
      watchdog.destroyForcibly();
    } catch (InterruptedException e) {
      ProcessHandle.of(serverPid).ifPresent(ProcessHandle::destroyForcibly);
      watchdog.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
