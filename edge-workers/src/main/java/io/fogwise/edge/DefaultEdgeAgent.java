package io.fogwise.edge;

import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.Credentials;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Scheduler;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.ForceReconnectOptions;
import io.nats.client.Options;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link EdgeAgent} implementation. */
final class DefaultEdgeAgent implements EdgeAgent {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultEdgeAgent.class);

  /** How long a HANDOVER waits for the server to confirm the instance's last messages. */
  static final Duration HANDOVER_FLUSH_TIMEOUT = Duration.ofSeconds(1);
  /** How long a renewal waits for the instance's published messages to reach the hub before it reconnects. */
  static final Duration RENEW_FLUSH_TIMEOUT = Duration.ofSeconds(1);
  /** A failing periodic publish is logged at most this often. */
  private static final long PUBLISH_WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final AgentConfig config;
  private final String deviceId;
  private final Clock clock;
  private final Connection nc;
  private final Backoff backoff;
  private final MessageRejections rejections;
  private final Map<String, HostedInstance> hosted = new ConcurrentHashMap<>();
  private final List<Scheduler.Cancellable> periodic = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ScheduledExecutorService heartbeats;
  private final ScheduledExecutorService telemetry;
  private final ExecutorService control;
  private final ProcessProbe probe = new ProcessProbe();
  private final String heartbeatSubject;
  private final String telemetrySubject;
  private final AtomicLong heartbeatSeq = new AtomicLong();
  private final AtomicLong lastPublishWarn = new AtomicLong(System.nanoTime() - PUBLISH_WARN_INTERVAL_NANOS);
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Dispatcher dispatcher;
  /** The renewable authentication of each instance connection the agent opened. */
  private final java.util.Map<Connection, RenewableAuth> instanceAuth = new java.util.concurrent.ConcurrentHashMap<>();

  private DefaultEdgeAgent(AgentConfig config, Connection nc) {
    this.config = config;
    this.deviceId = config.deviceId();
    this.clock = config.clock();
    this.nc = nc;
    this.instanceNatsUrl = config.instanceNatsUrl();
    this.backoff = new Backoff(config.restartBackoffBase(), config.restartBackoffMax());
    this.rejections = new MessageRejections("agent " + deviceId);
    this.heartbeatSubject = Subjects.heartbeat(config.gatewayId(), deviceId);
    this.telemetrySubject = Subjects.telemetry(config.gatewayId(), deviceId);
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(daemon("fw-agent-" + deviceId + "-heartbeat", Thread.MAX_PRIORITY));
    this.telemetry = Executors.newSingleThreadScheduledExecutor(daemon("fw-agent-" + deviceId + "-telemetry", Thread.NORM_PRIORITY));
    this.control = Executors.newSingleThreadExecutor(daemon("fw-agent-" + deviceId + "-control", Thread.NORM_PRIORITY));
  }

  static EdgeAgent start(AgentConfig config) {
    java.util.Objects.requireNonNull(config, "config");
    NatsListeners listeners = new NatsListeners(config.deviceId());
    Options options =
        NatsOptions.component(config.natsUrl(), config.deviceId(), config.auth())
            .errorListener(listeners)
            .connectionListener(listeners)
            .build();
    Connection nc;
    try {
      nc = Nats.connect(options);
    } catch (IOException e) {
      throw new IllegalStateException(
          "device " + config.deviceId() + ": cannot connect to NATS at " + config.natsUrl()
              + " (" + e.getMessage() + "); is nats-server running there?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("device " + config.deviceId() + ": interrupted while connecting to NATS", e);
    }
    DefaultEdgeAgent agent = new DefaultEdgeAgent(config, nc);
    agent.begin();
    return agent;
  }

  private void begin() {
    Dispatcher d = nc.createDispatcher(this::onCommand);
    d.subscribe(Subjects.command(config.gatewayId(), deviceId));
    dispatcher = d;
    try {
      // the subscription is asynchronous: once flushed, the server routes commands to us, so
      // a command sent after start() returns cannot meet "no responders"
      nc.flush(NatsOptions.CONNECT_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("device {}: command subscription not confirmed by the server: {}", deviceId, e.toString());
    }
    long hbMillis = config.heartbeatInterval().toMillis();
    Scheduler hb = config.scheduler() != null ? config.scheduler() : Scheduler.executor(heartbeats);
    Scheduler tm = config.scheduler() != null ? config.scheduler() : Scheduler.executor(telemetry);
    hb.after(Duration.ZERO, this::sendHeartbeat);
    periodic.add(hb.every(config.heartbeatInterval(), this::sendHeartbeat));
    tm.after(Duration.ZERO, this::sendTelemetry);
    periodic.add(tm.every(config.telemetryInterval(), this::sendTelemetry));
    LOG.info(
        "agent {} started: gateway {}, layer {}, class {}, labels {}, heartbeat every {} ms, kinds {}",
        deviceId,
        config.gatewayId(),
        config.layer(),
        config.deviceClass(),
        config.labels(),
        hbMillis,
        config.services().keySet());
  }

  @Override
  public String deviceId() {
    return deviceId;
  }

  @Override
  public List<InstanceReport> instances() {
    List<InstanceReport> list = new ArrayList<>(hosted.size());
    for (HostedInstance i : hosted.values()) {
      InstanceReport r = i.report();
      if (r != null) {
        list.add(r);
      }
    }
    list.sort(Comparator.comparing(InstanceReport::service));
    return list;
  }

  @Override
  public Optional<HostedService> service(String service) {
    HostedInstance i = hosted.get(service);
    return i == null ? Optional.empty() : Optional.of(i.hostedService());
  }

  @Override
  public MessageRejections rejections() {
    return rejections;
  }

  // ---- commands -------------------------------------------------------------------------

  /** On the NATS dispatcher: hand over to the control thread, never block here. */
  private void onCommand(Message msg) {
    try {
      control.execute(() -> handleCommand(msg));
    } catch (RejectedExecutionException e) {
      reply(msg, CommandReply.error(null, deviceId, "device " + deviceId + " is shutting down"));
    }
  }

  private void handleCommand(Message msg) {
    CommandReply reply;
    try {
      io.fogwise.protocol.Relayed.check(msg);
      Command command = MessageCodec.decode(msg.getData(), Command.class);
      reply = execute(command);
    } catch (RejectedMessageException e) {
      rejections.reject("command", msg.getSubject(), e);
      reply = CommandReply.error(null, deviceId, e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("device {}: command failed unexpectedly", deviceId, e);
      reply = CommandReply.error(null, deviceId, "internal error on device " + deviceId + ": " + e);
    }
    reply(msg, reply);
  }

  private void reply(Message msg, CommandReply reply) {
    String replyTo = msg.getReplyTo();
    if (replyTo == null || replyTo.isEmpty()) {
      LOG.debug("device {}: command without reply subject; reply dropped: {}", deviceId, reply);
      return;
    }
    try {
      nc.publish(replyTo, MessageCodec.encode(reply));
    } catch (RuntimeException e) {
      LOG.warn("device {}: cannot send command reply to {}: {}", deviceId, replyTo, e.toString());
    }
  }

  /** On the control thread, one command at a time. */
  private CommandReply execute(Command c) {
    if (closed.get()) {
      return CommandReply.error(c.requestId(), deviceId, "device " + deviceId + " is shutting down");
    }
    switch (c.action()) {
      case START:
        return startInstance(c);
      case STOP:
        return stopInstance(c);
      case HANDOVER:
        return handOver(c);
      case ACTIVATE:
        return activate(c);
      case RENEW:
        return renewInstance(c);
      case ATTACH:
        return attachInstance(c);
      case DETACH:
        return detachInstance(c);
      case HUB_MOVED:
        if (!instanceNatsUrl.equals(config.natsUrl())) {
          LOG.info("device {}: hub moved: instances started from now on connect to {} (not {})", deviceId,
              config.natsUrl(), instanceNatsUrl);
          instanceNatsUrl = config.natsUrl();
        }
        return CommandReply.ok(c.requestId(), deviceId);
      default:
        return CommandReply.error(c.requestId(), deviceId, "unknown action " + c.action());
    }
  }

  private CommandReply startInstance(Command c) {
    ServiceFactory factory = config.services().get(c.kind());
    if (factory == null) {
      LOG.info(
          "device {}: refused START of service '{}' epoch {}: unknown kind '{}'", deviceId, c.service(), c.epoch(), c.kind());
      return CommandReply.error(
          c.requestId(),
          deviceId,
          "unknown service kind '" + c.kind() + "' on device " + deviceId + " (known: "
              + String.join(", ", config.services().keySet()) + ")");
    }
    HostedInstance existing = hosted.get(c.service());
    if (existing != null && existing.epoch() == c.epoch()) {
      if (existing.kind().equals(c.kind())) {
        LOG.debug("device {}: {} already runs; START is a no-op", deviceId, existing);
        return CommandReply.ok(c.requestId(), deviceId);
      }
      return CommandReply.error(
          c.requestId(),
          deviceId,
          "service '" + c.service() + "' epoch " + c.epoch() + " already runs on device " + deviceId + " as kind '"
              + existing.kind() + "', not '" + c.kind() + "'");
    }
    if (factory instanceof ContainerFactory containers) {
      return startContainer(c, containers, existing);
    }
    Connection instanceConnection;
    try {
      instanceConnection = instanceConnection(c);
    } catch (IllegalArgumentException | IllegalStateException e) {
      LOG.info("device {}: refused START of service '{}' epoch {}: {}", deviceId, c.service(), c.epoch(), e.getMessage());
      return CommandReply.error(c.requestId(), deviceId, "cannot start service '" + c.service() + "' epoch " + c.epoch()
          + " on device " + deviceId + ": " + e.getMessage());
    }
    InstanceContext ctx = new InstanceContext(c.service(), c.kind(), c.epoch(), c.config(), deviceId, config.gatewayId(),
        instanceConnection, instanceConnection != nc, clock).latencyLogDir(config.latencyLogDir().orElse(null));
    HostedService service;
    try {
      service = java.util.Objects.requireNonNull(factory.create(ctx), "factory of kind '" + c.kind() + "' returned null");
    } catch (RuntimeException e) {
      ctx.closeOwnConnection();
      LOG.info("device {}: cannot start {}: {}", deviceId, ctx, e.getMessage());
      return CommandReply.error(
          c.requestId(), deviceId, "cannot start service '" + c.service() + "' epoch " + c.epoch() + " on device "
              + deviceId + ": " + e.getMessage());
    }
    return host(c, ctx, service, existing, "");
  }

  /** Hosts {@code service} for START {@code c}, in place of {@code existing} (another epoch), if any. */
  private CommandReply host(Command c, InstanceContext ctx, HostedService service, HostedInstance existing, String how) {
    if (existing != null) {
      LOG.info("device {}: replacing {} by epoch {}", deviceId, existing, c.epoch());
      hosted.remove(c.service(), existing);
      existing.stop();
    }
    HostedInstance instance = new HostedInstance(ctx, service, backoff);
    hosted.put(c.service(), instance);
    instance.start(c.standby());
    LOG.info("device {}: started {}{}{} (request {})", deviceId, ctx, how, c.standby() ? " in standby" : "",
        c.requestId());
    return CommandReply.ok(c.requestId(), deviceId);
  }

  /**
   * Starts an instance that runs as a container: the agent opens no connection for it (the
   * container opens its own with the START's credentials). The START is answered once the
   * container is created and started; the instance is reported from its first answered probe
   * on, which is what the gateway waits for before a hand-over.
   */
  private CommandReply startContainer(Command c, ContainerFactory factory, HostedInstance existing) {
    if (!config.auth().isInsecure() && c.credentials() == null) {
      return CommandReply.error(c.requestId(), deviceId, "cannot start service '" + c.service() + "' epoch " + c.epoch()
          + " on device " + deviceId + ": the START carries no instance credentials (is the gateway run without its "
          + "instance key?)");
    }
    InstanceContext ctx = new InstanceContext(c.service(), c.kind(), c.epoch(), c.config(), deviceId, config.gatewayId(),
        nc, false, clock);
    InstanceLaunch launch = new InstanceLaunch(config.natsUrl(), c.credentials(), config.auth().caFile(),
        config.auth().isInsecure(), c.containerOrNone());
    HostedService service;
    try {
      service = java.util.Objects.requireNonNull(factory.create(ctx, launch), "factory of kind '" + c.kind() + "' returned null");
    } catch (RuntimeException e) {
      LOG.info("device {}: cannot start {}: {}", deviceId, ctx, e.getMessage());
      return CommandReply.error(c.requestId(), deviceId, "cannot start service '" + c.service() + "' epoch " + c.epoch()
          + " on device " + deviceId + ": " + e.getMessage());
    }
    return host(c, ctx, service, existing, " as a container");
  }

  /**
   * The connection a new instance uses: its own, with the credentials its START carries, when
   * the agent itself authenticates (the device's credentials do not reach data subjects); the
   * agent's on a hub without authentication.
   *
   * @throws IllegalStateException if credentials are needed and missing, or the connection fails
   */
  private Connection instanceConnection(Command c) {
    String name = deviceId + "/" + c.service() + "#" + c.epoch();
    if (config.auth().isInsecure()) {
      // the agent's own connection, unless instances use another hub (--instance-nats)
      return instanceNatsUrl.equals(config.natsUrl()) ? nc : connectInstance(name, instanceNatsUrl, null);
    }
    if (c.credentials() == null) {
      throw new IllegalStateException("the START carries no instance credentials, and this device's own reach "
          + "only its heartbeat, telemetry and commands (is the gateway run without its instance key?)");
    }
    return connectInstance(name, instanceNatsUrl, new RenewableAuth(Credentials.parse(c.credentials())));
  }

  /**
   * Opens an instance's own connection to {@code url}: with its credentials ({@code renewable},
   * kept for RENEW), or without any on an insecure hub (null).
   */
  private Connection connectInstance(String name, String url, RenewableAuth renewable) {
    NatsListeners listeners = new NatsListeners(name);
    try {
      io.nats.client.Options.Builder options;
      if (renewable == null) {
        options = NatsOptions.component(url, name, config.auth());
      } else {
        NatsAuth auth = NatsAuth.of(renewable.credentials(), config.auth().caFile().orElseThrow());
        // the inbox (NatsAuth, from the credentials' tags) is per service epoch: it outlives renewals
        options = NatsOptions.component(url, name, auth).authHandler(renewable);
      }
      Connection conn = Nats.connect(options.errorListener(listeners).connectionListener(listeners).build());
      if (renewable != null) {
        instanceAuth.put(conn, renewable);
      }
      return conn;
    } catch (IOException e) {
      throw new IllegalStateException("cannot connect with the instance credentials: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting", e);
    }
  }

  /**
   * New credentials for a running instance's own connection: used from the next (re)connect,
   * which is forced now, so the connection never reaches the old ones' expiry.
   */
  private CommandReply renewInstance(Command c) {
    HostedInstance existing = hosted(c);
    if (existing == null) {
      return notHosted(c);
    }
    if (existing.hostedService() instanceof RenewableService renewable) {
      try {
        renewable.renew(c.credentials());
      } catch (RuntimeException e) {
        return CommandReply.error(c.requestId(), deviceId, "service '" + c.service() + "' epoch " + c.epoch()
            + " did not take its new credentials: " + e.getMessage());
      }
      return CommandReply.ok(c.requestId(), deviceId);
    }
    RenewableAuth auth = instanceAuth.get(existing.connection());
    if (auth == null) {
      return CommandReply.error(c.requestId(), deviceId, "service '" + c.service() + "' epoch " + c.epoch()
          + " runs on the agent's connection; it has no credentials of its own to renew");
    }
    Credentials next;
    try {
      next = Credentials.parse(c.credentials());
    } catch (IllegalArgumentException e) {
      return CommandReply.error(c.requestId(), deviceId, "unreadable credentials: " + e.getMessage());
    }
    auth.renew(next);
    // a publisher's output is held (as for a hand-over) while what it sent is flushed and the
    // connection is replaced, then resumes from its next number: nothing is in flight on the
    // socket that closes, and what it sends during the reconnect waits in the reconnect buffer
    OptionalLong held = existing.holdOutput();
    try {
      existing.connection().forceReconnect(ForceReconnectOptions.builder().flush(RENEW_FLUSH_TIMEOUT).build());
    } catch (IOException | RuntimeException e) {
      // e.g. the connection is reconnecting right now: it picks the new credentials up on its
      // next connect, at the latest when the hub ends the old ones
      LOG.warn("device {}: {} will reconnect with its new credentials on its own: {}", deviceId, existing, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      held.ifPresent(existing::releaseOutput);
    }
    LOG.debug("device {}: renewed the credentials of {}", deviceId, existing);
    return CommandReply.ok(c.requestId(), deviceId);
  }

  /** Where new instances connect: {@link AgentConfig#instanceNatsUrl()} until a hub move (HUB_MOVED). */
  private volatile String instanceNatsUrl;

  /** How long an ATTACH waits for a subscriber's traffic to arrive on its new connection. */
  static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(2);

  /** Hub moves under way: the new connection of each attached instance (by service), until DETACH. */
  private final java.util.Map<String, Connection> attached = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A hub move's first step: a second connection for the instance, to this agent's own server
   * (its gateway's), with the instance's credentials; the service takes traffic on both.
   */
  private CommandReply attachInstance(Command c) {
    HostedInstance existing = hosted(c);
    if (existing == null) {
      return notHosted(c);
    }
    if (!(existing.hostedService() instanceof HubMove movable)) {
      return CommandReply.error(c.requestId(), deviceId, "service '" + c.service() + "' epoch " + c.epoch() + " on "
          + deviceId + " cannot move to another server (kind " + existing.kind() + ")");
    }
    if (attached.containsKey(c.service())) {
      return CommandReply.ok(c.requestId(), deviceId); // a retried ATTACH
    }
    Connection old = existing.connection();
    Connection next;
    try {
      next = connectInstance(deviceId + "/" + c.service() + "#" + c.epoch(), config.natsUrl(), instanceAuth.get(old));
    } catch (IllegalStateException e) {
      return CommandReply.error(c.requestId(), deviceId, "service '" + c.service() + "' epoch " + c.epoch()
          + " cannot reach " + config.natsUrl() + ": " + e.getMessage());
    }
    try {
      movable.attach(next, ATTACH_TIMEOUT);
    } catch (Exception e) {
      closeQuietly(next);
      return CommandReply.error(c.requestId(), deviceId, "service '" + c.service() + "' epoch " + c.epoch()
          + " cannot move: " + e.getMessage());
    }
    attached.put(c.service(), next);
    LOG.info("device {}: {} attached to {} as well (hub move)", deviceId, existing, config.natsUrl());
    return CommandReply.ok(c.requestId(), deviceId);
  }

  /** A hub move's second step: the instance leaves its old connection, which is closed. */
  private CommandReply detachInstance(Command c) {
    HostedInstance existing = hosted(c);
    if (existing == null) {
      return notHosted(c);
    }
    Connection next = attached.remove(c.service());
    if (next == null) {
      return CommandReply.error(c.requestId(), deviceId, "service '" + c.service() + "' epoch " + c.epoch()
          + " was not attached to a new server (ATTACH first)");
    }
    try {
      ((HubMove) existing.hostedService()).detach();
    } catch (Exception e) {
      attached.put(c.service(), next);
      return CommandReply.error(c.requestId(), deviceId, "service '" + c.service() + "' epoch " + c.epoch()
          + " did not leave its old server: " + e.getMessage());
    }
    Connection old = existing.useConnection(next);
    RenewableAuth auth = instanceAuth.remove(old);
    if (auth != null) {
      instanceAuth.put(next, auth);
    }
    if (old != nc) {
      // jnats' close waits for its threads (up to a second): not on the control thread
      Thread closer = new Thread(() -> closeQuietly(old), "fw-close-" + c.service());
      closer.setDaemon(true);
      closer.start();
    }
    LOG.info("device {}: {} moved to {} (hub move)", deviceId, existing, config.natsUrl());
    return CommandReply.ok(c.requestId(), deviceId);
  }

  private static void closeQuietly(Connection conn) {
    try {
      conn.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private CommandReply stopInstance(Command c) {
    HostedInstance existing = hosted(c);
    if (existing == null) {
      return notHosted(c);
    }
    hosted.remove(c.service(), existing);
    existing.stop();
    Connection half = attached.remove(c.service()); // stopped in the middle of a hub move
    if (half != null) {
      closeQuietly(half);
    }
    LOG.info("device {}: stopped {} (request {})", deviceId, existing, c.requestId());
    return CommandReply.ok(c.requestId(), deviceId);
  }

  /**
   * Stops the instance's output and replies with its next number only once its last message was
   * handed to the connection and, as far as the server answers in time, confirmed by it (a
   * flush), so the last message precedes the reply.
   */
  private CommandReply handOver(Command c) {
    HostedInstance existing = hosted(c);
    if (existing == null) {
      return notHosted(c);
    }
    OptionalLong next = existing.handover();
    try {
      existing.connection().flush(HANDOVER_FLUSH_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // output has stopped regardless; the last messages may still be buffered for a reconnect
      LOG.warn(
          "device {}: handover of {}: NATS did not confirm the last messages within {} ms: {}",
          deviceId, existing, HANDOVER_FLUSH_TIMEOUT.toMillis(), e.toString());
    }
    Long number = next.isPresent() ? next.getAsLong() : null;
    LOG.info(
        "device {}: handed over {}{} (request {})",
        deviceId, existing, number == null ? "" : ", next number " + number, c.requestId());
    return CommandReply.handedOver(c.requestId(), deviceId, number);
  }

  private CommandReply activate(Command c) {
    HostedInstance existing = hosted(c);
    if (existing == null) {
      return notHosted(c);
    }
    if (existing.activate(c.number())) {
      LOG.info("device {}: activated {} from number {} (request {})", deviceId, existing, c.number(), c.requestId());
    } else {
      LOG.debug("device {}: {} is already active; ACTIVATE is a no-op", deviceId, existing);
    }
    return CommandReply.ok(c.requestId(), deviceId);
  }

  /** The instance the command addresses, or null unless its service runs with its epoch. */
  private HostedInstance hosted(Command c) {
    HostedInstance existing = hosted.get(c.service());
    return existing != null && existing.epoch() == c.epoch() ? existing : null;
  }

  private CommandReply notHosted(Command c) {
    HostedInstance other = hosted.get(c.service());
    String hosts = other == null ? "" : " (it hosts epoch " + other.epoch() + ")";
    LOG.info(
        "device {}: refused {} of service '{}' epoch {}: not hosted{}", deviceId, c.action(), c.service(), c.epoch(), hosts);
    return CommandReply.error(
        c.requestId(),
        deviceId,
        "no instance of service '" + c.service() + "' epoch " + c.epoch() + " on device " + deviceId + hosts);
  }

  // ---- heartbeats and telemetry ---------------------------------------------------------

  private void sendHeartbeat() {
    try {
      if (nc.getStatus() != Connection.Status.CONNECTED) {
        // do not queue heartbeats in the reconnect buffer: late heartbeats would lie about liveness
        return;
      }
      Heartbeat hb =
          new Heartbeat(
              deviceId,
              config.gatewayId(),
              heartbeatSeq.getAndIncrement(),
              clock.wallMillis(),
              (int) config.heartbeatInterval().toMillis(),
              config.layer(),
              config.deviceClass(),
              config.labels(),
              instances(),
              announcedKinds());
      nc.publish(heartbeatSubject, MessageCodec.encode(hb));
    } catch (RuntimeException e) {
      // a scheduled task that throws is never run again: heartbeats must survive any failure
      warnPublishFailure("heartbeat", e);
    }
  }

  /**
   * The kinds this agent can run, sorted, for its heartbeats: the gateway refuses a spec no
   * device can run. Too many to announce is announced as none, which the gateway reads as
   * "unknown" (never as "cannot run anything").
   */
  private List<String> announcedKinds() {
    java.util.Set<String> kinds = new java.util.TreeSet<>();
    for (String k : config.services().keySet()) {
      if (k.matches("[A-Za-z0-9_-]{1,64}")) { // a spec's kind is such an id; another name cannot be asked for
        kinds.add(k);
      }
    }
    return kinds.size() > Heartbeat.MAX_KINDS ? List.of() : List.copyOf(kinds);
  }

  private void sendTelemetry() {
    try {
      if (nc.getStatus() != Connection.Status.CONNECTED) {
        return;
      }
      SensorSource sensors = config.sensors();
      MemoryUsage heap = probe.heap();
      long max = heap.getMax() >= 0 ? heap.getMax() : heap.getCommitted();
      Telemetry t =
          new Telemetry(
              deviceId,
              config.gatewayId(),
              clock.wallMillis(),
              probe.processCpuLoad(),
              Math.max(0, heap.getUsed()),
              Math.max(0, max),
              clamp(sensors.batteryPct(), 0, 100),
              clamp(sensors.temperatureC(), -100, 300),
              Map.of());
      nc.publish(telemetrySubject, MessageCodec.encode(t));
    } catch (RuntimeException e) {
      warnPublishFailure("telemetry", e);
    }
  }

  private static Double clamp(OptionalDouble v, double min, double max) {
    if (v == null || v.isEmpty() || Double.isNaN(v.getAsDouble())) {
      return null;
    }
    return Math.max(min, Math.min(max, v.getAsDouble()));
  }

  private void warnPublishFailure(String what, RuntimeException e) {
    long now = System.nanoTime();
    long last = lastPublishWarn.get();
    if (now - last >= PUBLISH_WARN_INTERVAL_NANOS && lastPublishWarn.compareAndSet(last, now)) {
      LOG.warn("device {}: cannot publish {}: {}", deviceId, what, e.toString());
    } else {
      LOG.debug("device {}: cannot publish {}", deviceId, what, e);
    }
  }

  // ---- shutdown -------------------------------------------------------------------------

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    periodic.forEach(Scheduler.Cancellable::cancel);
    heartbeats.shutdownNow();
    telemetry.shutdownNow();
    Dispatcher d = dispatcher;
    if (d != null) {
      try {
        nc.closeDispatcher(d);
      } catch (RuntimeException e) {
        LOG.debug("device {}: closing the command dispatcher: {}", deviceId, e.toString());
      }
    }
    control.shutdown();
    try {
      if (!control.awaitTermination(HostedInstance.STOP_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS)) {
        control.shutdownNow();
      }
      heartbeats.awaitTermination(1, TimeUnit.SECONDS);
      telemetry.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<HostedInstance> instances = new ArrayList<>(hosted.values());
    hosted.clear();
    for (HostedInstance i : instances) {
      i.stop();
    }
    try {
      if (nc.getStatus() == Connection.Status.CONNECTED) {
        nc.flush(Duration.ofSeconds(1));
      }
    } catch (Exception e) {
      LOG.debug("device {}: final flush failed: {}", deviceId, e.toString());
    }
    try {
      nc.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("agent {} stopped ({} service instance(s) stopped)", deviceId, instances.size());
  }

  private static java.util.concurrent.ThreadFactory daemon(String name, int priority) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      t.setPriority(priority);
      return t;
    };
  }

  /** Reads this process's CPU load and heap. */
  static final class ProcessProbe {
    private final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    private final java.lang.management.MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    /** Process CPU load as a share of the whole machine, 0..1; 0 if unavailable. */
    double processCpuLoad() {
      if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
        double load = sun.getProcessCpuLoad();
        if (Double.isNaN(load) || load < 0) {
          return 0;
        }
        return Math.min(1, load);
      }
      return 0;
    }

    MemoryUsage heap() {
      return memory.getHeapMemoryUsage();
    }
  }
}
