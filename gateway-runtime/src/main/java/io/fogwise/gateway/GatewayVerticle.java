package io.fogwise.gateway;

import io.fogwise.gateway.cache.CacheEndpoint;
import io.fogwise.gateway.cache.CacheMetrics;
import io.fogwise.gateway.cache.CloudCache;
import io.fogwise.gateway.cache.CloudSource;
import io.fogwise.gateway.cache.WarmStore;
import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.gateway.orchestrator.ProcessOrchestrator;
import io.fogwise.gateway.policy.PolicyManager;
import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.policy.PolicyStore;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.gateway.store.EpochAnnouncements;
import io.fogwise.gateway.store.KvDesiredStore;
import io.fogwise.gateway.core.health.Problems;
import io.fogwise.gateway.lease.GatewayLease;
import io.fogwise.gateway.lease.IdLease;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Scheduler;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.gateway.http.EngineAccess;
import io.fogwise.gateway.http.GatewayHttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway as a Vert.x verticle, deployed with the worker threading model: its handlers
 * run one at a time on a worker thread, so the decision core may fire rules without blocking
 * an event loop. NATS callbacks decode and validate on the NATS dispatcher thread and hand
 * valid messages to this verticle's context.
 */
final class GatewayVerticle extends VerticleBase {
  /** The process orchestrator, which also renews instances' expiring credentials; null with swarm. */
  private ProcessOrchestrator orchestrator;
  /** The swarm orchestrator ({@code --orchestrator swarm}), whose nodes are also the devices; else null. */
  private volatile io.fogwise.gateway.swarm.SwarmOrchestrator swarm;
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  private final GatewayConfig config;
  private final PrometheusMeterRegistry meters;
  private volatile int httpPort = -1;
  private volatile String httpUrl;
  private final MessageRejections rejections;
  private Connection nats;
  private volatile GatewayEngine engine;
  /** The NATS connection state as its listener last saw it, for /health. */
  private volatile String natsState = "CONNECTING";
  private java.util.concurrent.ScheduledExecutorService tickTimer;
  private io.fogwise.gateway.core.DecisionTicker ticker;
  /**
   * Heartbeats received but not yet stamped above this many (and above half the device count:
   * 100 ms of heartbeats at 5 Hz) mean the gateway is behind its inbound messages, which the
   * tick reference cannot see; below it the backlog is a few milliseconds of work.
   */
  private static final long BACKLOG_MIN = 1_000;
  /** Where heartbeats wait before they are stamped: read by the tick timer to see a backlog. */
  private volatile Dispatcher inbound;
  /** Devices known, as of the last tick (read by the tick timer's thread). */
  private volatile int devices;
  private PolicyStore policyStore;
  private PolicyManager policy;
  private Context ctx;
  private final Problems problems = new Problems();
  private volatile IdLease lease;
  private volatile Scheduler.Cancellable keepingLease;
  private final java.util.concurrent.CompletableFuture<String> lost = new java.util.concurrent.CompletableFuture<>();
  private volatile CloudCache cache;
  /** The dashboard's stream: the events and heartbeat rates this gateway sees. */
  private final io.fogwise.gateway.http.LiveFeed live;
  private CacheEndpoint cacheEndpoint;

  GatewayVerticle(GatewayConfig config, PrometheusMeterRegistry meters, MessageRejections rejections) {
    this.config = config;
    this.meters = meters;
    this.rejections = rejections;
    this.live = io.fogwise.gateway.http.LiveFeed.create(config.clock);
  }

  @Override
  public Future<?> start() {
    ctx = context;
    String gw = config.gatewayId;
    return vertx.executeBlocking(() -> NatsConnections.connect(config.natsUrl, "gateway-" + gw, config.auth, this::connectionEvent))
            .compose(conn -> !config.leafSite ? Future.succeededFuture(conn) : vertx.executeBlocking(() -> {
              io.fogwise.gateway.leaf.LeafSite.ensure(conn, gw); // the lease lives there too
              return conn;
            }))
            .compose(this::holdLease)
            .compose(conn -> {
              nats = conn;
              natsState = "CONNECTED";
              return vertx.executeBlocking(() -> {
                EpochAnnouncements epochs = EpochAnnouncements.of(conn, gw);
                DesiredStore durable = config.durable ? KvDesiredStore.open(conn, gw) : DesiredStore.none();
                DesiredStore store = epochs.announcingBefore(durable);
                DesiredStore.Loaded loaded = durable.load();
                java.util.Optional<DesiredSnapshot> snapshot = loaded.snapshot();
                if (loaded.setAside().isPresent()) {
                  problems.report(new Problems.Problem("state.set-aside", "state_set_aside",
                      AdaptationEvent.Type.STATE_SET_ASIDE, loaded.setAside().get(), java.util.Map.of()));
                  // Epoch counters live on in the announcements: resume them, so stale instances stay fenced.
                  snapshot = issuedEpochs(epochs).map(m -> DesiredSnapshot.epochsOnly(config.clock.wallMillis(), m));
                }
                java.util.Map<String, java.util.List<Long>> rejected =
                    snapshot.map(DesiredSnapshot::rejectedPolicies).orElse(java.util.Map.of());
                java.util.Map<String, Long> applied =
                    snapshot.map(DesiredSnapshot::policyVersions).orElse(java.util.Map.of());
                policyStore = PolicyStore.attach(conn); // the hub or a push creates the bucket, never a gateway
                PolicyManager.Initial initial = PolicyManager.initial(gw, policyStore, config.trustedKeys,
                    new PolicyManager.Saved(applied,
                        (scope, v) -> rejected.getOrDefault(scope, java.util.List.of()).contains(v), durable),
                    config.rules, config.policy.useArtifacts(), problems);
                snapshot.ifPresent(s -> announceQuietly(epochs, s));
                if (config.orchestration == GatewayConfig.Orchestration.SWARM) {
                  swarm = startSwarm();
                }
                return new Object[] {store, snapshot, initial};
              });
            })
            .map(loaded -> {
              DesiredStore store = (DesiredStore) loaded[0];
              @SuppressWarnings("unchecked")
              java.util.Optional<DesiredSnapshot> saved = (java.util.Optional<DesiredSnapshot>) loaded[1];
              PolicyManager.Initial initial = (PolicyManager.Initial) loaded[2];
              RuleSet rules = initial.rules();
              java.util.Map<String, String> params = new java.util.TreeMap<>(config.parameters.values());
              params.putAll(initial.policy().parameters());
              Connection conn = nats;
              GatewayMetrics metrics = new io.fogwise.gateway.metrics.MicrometerGatewayMetrics(meters, gw);
              rejections.onRejection(metrics::rejected);
              problems.listen(new Problems.Listener() {
                @Override
                public void reported(Problems.Problem p) {
                  metrics.problem(p.kind());
                  ctx.runOnContext(v -> engine.policyEvent(p.type(), p.message(), p.details()));
                }

                @Override
                public void cleared(Problems.Problem p, String how) {
                  if (p.type() == AdaptationEvent.Type.POLICY_STORE_PROBLEM) {
                    ctx.runOnContext(v -> engine.policyEvent(AdaptationEvent.Type.POLICY_STORE_RECOVERED, how,
                        p.details()));
                  }
                }
              });
              engine = GatewayEngine.builder()
                  .gatewayId(gw)
                  .clock(config.clock)
                  .rules(rules)
                  .parameters(new io.fogwise.rules.model.Parameters(params))
                  .detector(config.detector)
                  .reconciler(config.reconciler)
                  .orchestrator(swarm != null ? swarm : (orchestrator = new ProcessOrchestrator(conn,
                      config.commandTimeout, gw, config.instanceCredentials, config.clock)))
                  .decisionThread(task -> ctx.runOnContext(v -> task.run()))
                  .events(e -> {
                    nats.publish(Subjects.events(gw), MessageCodec.encode(e));
                    live.event(e);
                  })
                  .metrics(metrics)
                  .store(store)
                  .problems(problems)
                  .build();
              saved.ifPresent(s -> {
                try {
                  engine.restore(s);
                } catch (RuntimeException e) {
                  problems.report(new Problems.Problem("state.restore", "state_set_aside",
                      AdaptationEvent.Type.STATE_SET_ASIDE, "the durable state parsed but could not be restored ("
                          + e + "); the gateway runs with what was restored", java.util.Map.of()));
                }
              });
              subscribe();
              if (swarm != null) {
                heartbeatsFromSwarm(swarm);
              }
              Scheduler scheduler = config.scheduler == null ? VertxScheduler.timers(vertx)
                  : VertxScheduler.onContext(config.scheduler, ctx);
              policy = new PolicyManager(gw, vertx, ctx, scheduler, () -> engine, policyStore, config.trustedKeys, conn,
                  config.clock, config.policy, store, problems, metrics);
              policy.start(initial);
              ticker = io.fogwise.gateway.core.DecisionTicker.start(tickTimer(), config.clock, config.tick,
                  task -> ctx.runOnContext(v -> task.run()), engine, () -> devices = engine.registry().size(),
                  () -> inbound == null ? 0 : inbound.getPendingMessageCount(),
                  () -> Math.max(BACKLOG_MIN, devices / 2));
              scheduler.every(config.statusInterval, this::publishStatus);
              scheduler.every(io.fogwise.gateway.http.LiveFeed.RATES_INTERVAL, live::sampleRates);
              ProcessOrchestrator renewing = orchestrator;
              java.util.Optional.ofNullable(renewing).flatMap(ProcessOrchestrator::renewCheckInterval)
                  .ifPresent(every -> scheduler.every(every, () -> renewing.renewDue(
                  engine.placements().stream()
                      .filter(p -> p.state() == io.fogwise.gateway.core.reconcile.Placement.State.RUNNING)
                      .map(p -> new ProcessOrchestrator.Running(p.deviceId(), p.service(),
                          engine.spec(p.service()).map(sp -> sp.config().get("app")).orElse(null), p.epoch()))
                      .toList())));
              startCache(conn, scheduler);
              LOG.info("gateway {} up: rules {} ({} rules, compiled in {} ms), NATS {}",
                  gw, rules.label(), rules.ruleNames().size(), rules.compileMillis(), config.natsUrl);
              publishStatus();
              return null;
            })
        .compose(v -> config.httpPort < 0 ? Future.succeededFuture() : GatewayHttpServer.start(vertx, config.httpPort,
            config.http, config.clock, EngineAccess.onContext(ctx, () -> engine),
            io.fogwise.gateway.http.HealthSource.fromSnapshot(() -> engine, () -> natsState, config.clock, this::lease), meters,
            cache, rejections, live)
            .map(server -> {
              httpPort = server.port();
              httpUrl = server.url();
              LOG.info("gateway {} HTTP API on {} (health, devices, services, events, metrics, cache); dashboard at {}",
                  gw, server.url(), server.url());
              return null;
            })
            .recover(err -> Future.failedFuture(new IllegalStateException(
                "cannot serve the HTTP API on port " + config.httpPort + ": " + err.getMessage(), err))));
  }

  /**
   * The swarm orchestrator on this host's engine, which must be a Swarm manager: refused in one
   * line saying what to do otherwise.
   */
  private io.fogwise.gateway.swarm.SwarmOrchestrator startSwarm() {
    com.github.dockerjava.api.DockerClient docker = io.fogwise.containers.DockerClients.connect();
    io.fogwise.containers.DockerClients.problem(docker).ifPresent(why -> {
      throw new IllegalStateException("--orchestrator swarm: " + why);
    });
    try {
      docker.inspectSwarmCmd().exec();
    } catch (RuntimeException e) {
      throw new IllegalStateException("--orchestrator swarm: this host's Docker engine is not a Swarm manager ("
          + e.getMessage().strip() + "); run 'docker swarm init' here, or use --orchestrator process", e);
    }
    if (config.instanceCredentials.renewAfter().isPresent()) {
      LOG.warn("gateway {}: the swarm orchestrator does not renew instance credentials: an instance loses the hub "
          + "when its credentials expire (--instance-ttl; with swarm the CLI default is no expiry)", config.gatewayId);
    }
    io.fogwise.gateway.swarm.SwarmOrchestrator.Settings settings = io.fogwise.gateway.swarm.SwarmOrchestrator.Settings
        .builder(config.gatewayId, config.instanceNatsUrl)
        .insecure(config.auth.isInsecure())
        .caFile(config.auth.caFile().orElse(null))
        .clock(config.clock)
        .build();
    LOG.info("gateway {}: orchestrating with the Swarm at {} (devices are nodes labelled {})", config.gatewayId,
        System.getenv().getOrDefault("DOCKER_HOST", io.fogwise.containers.DockerClients.DEFAULT_HOST),
        io.fogwise.containers.Labels.DEVICE);
    return io.fogwise.gateway.swarm.SwarmOrchestrator.start(docker, settings, config.instanceCredentials);
  }

  /**
   * Each Swarm node labelled as a device heartbeats as an agent would, through the path a
   * decoded NATS heartbeat takes: stamped with the clock on arrival, handed to the decision
   * context.
   */
  private void heartbeatsFromSwarm(io.fogwise.gateway.swarm.SwarmOrchestrator s) {
    io.fogwise.gateway.swarm.SwarmHeartbeats beats = new io.fogwise.gateway.swarm.SwarmHeartbeats(config.gatewayId,
        io.fogwise.gateway.swarm.SwarmOrchestrator.Settings.DEFAULT_POLL_INTERVAL);
    s.watch(view -> {
      for (Heartbeat hb : beats.of(view)) {
        long arrival = config.clock.nanos();
        live.heartbeat();
        ctx.runOnContext(v -> engine.onHeartbeat(hb, arrival));
      }
    });
  }

  /**
   * The cache of cloud data: served on NATS (and HTTP, below), warm-started in the background
   * (the gateway does not wait for KV or the cloud), saved for the next warm start periodically.
   */
  private void startCache(Connection conn, Scheduler scheduler) {
    cache = CloudCache.create(config.cache, CloudSource.nats(conn, config.cache.requestTimeout()),
        config.durable ? WarmStore.jetStream(conn, config.gatewayId) : WarmStore.none(),
        CacheMetrics.micrometer(meters, config.gatewayId), config.clock, null, null);
    cacheEndpoint = CacheEndpoint.serve(conn, config.gatewayId, cache, rejections);
    cache.warmStart();
    scheduler.every(config.cache.persistInterval(), cache::persist);
  }

  /**
   * Takes the lease on the gateway id before anything touches state, devices or policy (one
   * gateway per id: a second one refuses to start, naming the holder), then renews it.
   */
  private Future<Connection> holdLease(Connection conn) {
    String summary = (config.durable ? "durable" : "ephemeral") + ", http "
        + (config.httpPort < 0 ? "off" : Integer.toString(config.httpPort)) + ", nats " + config.natsUrl;
    return vertx.executeBlocking(() -> {
      IdLease l = IdLease.jetStream(KvDesiredStore.bucket(conn, config.gatewayId), config.gatewayId,
          GatewayLease.Holder.thisProcess(summary), config.clock);
      l.acquire(IdLease.Sleeper.real());
      return l;
    }).map(l -> {
      lease = l;
      nats = conn;
      Scheduler scheduler = config.scheduler == null ? VertxScheduler.timers(vertx)
          : VertxScheduler.onContext(config.scheduler, ctx);
      keepingLease = l.keep(scheduler, task -> vertx.executeBlocking(() -> {
        task.run();
        return null;
      }, false), this::leaseLost);
      return conn;
    }).onFailure(err -> {
      try {
        conn.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** Another process took the id: stop acting at once (no command, event or decision more), then exit. */
  private void leaseLost(GatewayLease by) {
    String why = "gateway " + config.gatewayId + " lost its id to " + (by == null ? "a lease that does not parse"
        : by.describe()) + ": it stops acting now and exits rather than fight over the fleet";
    LOG.error(why);
    try {
      if (nats != null) {
        nats.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ctx.runOnContext(v -> {
      if (engine != null) {
        engine.close();
      }
      lost.complete(why);
    });
  }

  /** After a failed start (stop() is not called then): give the id back and disconnect. */
  void abandonFailedStart() {
    if (swarm != null) {
      swarm.close();
    }
    if (keepingLease != null) {
      keepingLease.cancel();
    }
    if (lease != null) {
      lease.release();
    }
    try {
      if (nats != null) {
        nats.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Completes, with a one-line reason, when another process took this gateway's id. */
  java.util.concurrent.CompletionStage<String> lost() {
    return lost;
  }

  /** The lease on the gateway id, while held. */
  java.util.Optional<GatewayLease> lease() {
    return lease == null ? java.util.Optional.empty() : lease.current();
  }

  /** The epochs announced before, or empty if there are none or they cannot be read. */
  private static java.util.Optional<java.util.Map<String, Long>> issuedEpochs(EpochAnnouncements epochs) {
    try {
      java.util.Map<String, Long> m = epochs.issued();
      return m.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(m);
    } catch (Exception e) {
      LOG.warn("cannot read the announced epochs to resume epoch counters: {}", e.toString());
      return java.util.Optional.empty();
    }
  }

  /** Announces the resumed epochs (again), so a deleted announcement bucket is filled at once. */
  private static void announceQuietly(EpochAnnouncements epochs, DesiredSnapshot s) {
    try {
      epochs.announce(s.epochs());
    } catch (Exception e) {
      LOG.warn("cannot announce epochs in KV {} (retried with the next save): {}", Subjects.EPOCH_BUCKET, e.toString());
    }
  }

  int httpPort() {
    return httpPort;
  }

  java.util.Optional<String> httpUrl() {
    return java.util.Optional.ofNullable(httpUrl);
  }

  /**
   * The timer decision ticks are requested from: a thread of its own (not the decision context,
   * so a busy decision thread cannot delay the stamp, and a pause of the whole process shows as
   * a gap between firings), or the configured scheduler in tests.
   */
  private Scheduler tickTimer() {
    if (config.scheduler != null) {
      return config.scheduler;
    }
    tickTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fogwise-tick-" + config.gatewayId);
      t.setDaemon(true);
      t.setPriority(Thread.MAX_PRIORITY);
      return t;
    });
    return Scheduler.executor(tickTimer);
  }

  /** On a NATS thread: the link state for /health, and the engine told on its own context. */
  private void connectionEvent(Connection conn, io.nats.client.ConnectionListener.Events type) {
    long at = config.clock.nanos();
    switch (type) {
      case DISCONNECTED -> {
        natsState = "DISCONNECTED";
        toEngine(e -> e.linkDown(at));
      }
      case RECONNECTED -> {
        natsState = "CONNECTED";
        toEngine(e -> e.linkUp(at));
      }
      case CLOSED -> natsState = "CLOSED";
      default -> { }
    }
  }

  private void toEngine(java.util.function.Consumer<GatewayEngine> call) {
    Context c = ctx;
    if (c != null) {
      c.runOnContext(v -> {
        GatewayEngine e = engine;
        if (e != null) {
          call.accept(e);
        }
      });
    }
  }

  private void subscribe() {
    String gw = config.gatewayId;
    Dispatcher d = nats.createDispatcher();
    inbound = d;
    d.subscribe(Subjects.heartbeats(gw), msg -> {
      long arrival = config.clock.nanos();
      Heartbeat hb = decode(msg, Heartbeat.class, "heartbeat");
      if (hb != null) {
        if (!hb.deviceId().equals(Subjects.lastToken(msg.getSubject()))) {
          rejections.reject("heartbeat", msg.getSubject(), new RejectedMessageException(
              io.fogwise.protocol.RejectReason.INVALID_FIELD,
              "heartbeat deviceId '" + hb.deviceId() + "' does not match its subject"));
          return;
        }
        live.heartbeat();
        ctx.runOnContext(v -> engine.onHeartbeat(hb, arrival));
      }
    });
    d.subscribe(Subjects.ALL_SUBSCRIBER_STATS, msg -> {
      io.fogwise.protocol.SubscriberStats s = decode(msg, io.fogwise.protocol.SubscriberStats.class, "stats");
      if (s != null) {
        ctx.runOnContext(v -> engine.onSubscriberStats(s));
      }
    });
    d.subscribe(Subjects.telemetries(gw), msg -> {
      Telemetry t = decode(msg, Telemetry.class, "telemetry");
      if (t != null) {
        ctx.runOnContext(v -> engine.onTelemetry(t));
      }
    });
    d.subscribe(Subjects.services(gw), msg -> {
      ServiceRequest req;
      try {
        io.fogwise.protocol.Relayed.check(msg);
        req = MessageCodec.decode(msg.getData(), ServiceRequest.class);
      } catch (RejectedMessageException e) {
        rejections.reject("service", msg.getSubject(), e);
        if (msg.getReplyTo() != null) {
          nats.publish(msg.getReplyTo(), MessageCodec.encode(ServiceResponse.error(e.field(), e.getMessage())));
        }
        return;
      }
      ctx.runOnContext(v -> {
        ServiceResponse resp = engine.handle(req);
        if (msg.getReplyTo() != null) {
          nats.publish(msg.getReplyTo(), MessageCodec.encode(resp));
        }
      });
    });
  }

  private <T> T decode(Message msg, Class<T> type, String kind) {
    try {
      io.fogwise.protocol.Relayed.check(msg);
      return MessageCodec.decode(msg.getData(), type);
    } catch (RejectedMessageException e) {
      rejections.reject(kind, msg.getSubject(), e);
      return null;
    }
  }

  private void publishStatus() {
    try {
      nats.publish(Subjects.status(config.gatewayId), MessageCodec.encode(engine.status()));
    } catch (RuntimeException e) {
      LOG.debug("status not published: {}", e.getMessage());
    }
  }

  GatewayEngine engine() {
    return engine;
  }

  Context context() {
    return ctx;
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      if (keepingLease != null) {
        keepingLease.cancel();
      }
      if (ticker != null) {
        ticker.close();
      }
      if (tickTimer != null) {
        tickTimer.shutdownNow();
      }
      if (policy != null) {
        policy.close();
      }
      if (cacheEndpoint != null) {
        cacheEndpoint.close();
      }
      if (cache != null) {
        cache.close(); // saves the warm-start copy while NATS is still up
      }
      if (engine != null) {
        engine.close();
      }
      if (swarm != null) {
        swarm.close(); // its Swarm services keep running: a restarted gateway finds them
      }
      if (lease != null) {
        lease.release(); // a restart under this id can take it at once
      }
      if (nats != null) {
        nats.close();
      }
      return null;
    });
  }
}
