package io.fogwise.gateway;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.gateway.orchestrator.ProcessOrchestrator;
import io.fogwise.gateway.policy.PolicyManager;
import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.policy.PolicyStore;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
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
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  private final GatewayConfig config;
  private final PrometheusMeterRegistry meters;
  private volatile int httpPort = -1;
  private final MessageRejections rejections;
  private Connection nats;
  private GatewayEngine engine;
  private PolicyStore policyStore;
  private PolicyManager policy;
  private Context ctx;

  GatewayVerticle(GatewayConfig config, PrometheusMeterRegistry meters, MessageRejections rejections) {
    this.config = config;
    this.meters = meters;
    this.rejections = rejections;
  }

  @Override
  public Future<?> start() {
    ctx = context;
    String gw = config.gatewayId;
    return vertx.executeBlocking(() -> NatsConnections.connect(config.natsUrl, "gateway-" + gw))
            .compose(conn -> {
              nats = conn;
              return vertx.executeBlocking(() -> {
                DesiredStore store = config.durable ? io.fogwise.gateway.store.KvDesiredStore.open(conn, gw) : DesiredStore.none();
                java.util.Optional<DesiredSnapshot> snapshot = store.load();
                java.util.Map<String, java.util.List<Long>> rejected =
                    snapshot.map(DesiredSnapshot::rejectedPolicies).orElse(java.util.Map.of());
                policyStore = PolicyStore.open(conn);
                PolicyManager.Initial initial = PolicyManager.initial(gw, policyStore, config.trustedKeys,
                    (scope, v) -> rejected.getOrDefault(scope, java.util.List.of()).contains(v), config.rules,
                    config.policy.useArtifacts());
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
              engine = GatewayEngine.builder()
                  .gatewayId(gw)
                  .clock(config.clock)
                  .rules(rules)
                  .parameters(new io.fogwise.rules.model.Parameters(params))
                  .detector(config.detector)
                  .reconciler(config.reconciler)
                  .orchestrator(new ProcessOrchestrator(conn, config.commandTimeout, gw))
                  .decisionThread(task -> ctx.runOnContext(v -> task.run()))
                  .events(e -> nats.publish(Subjects.events(gw), MessageCodec.encode(e)))
                  .metrics(metrics)
                  .store(store)
                  .build();
              saved.ifPresent(engine::restore);
              subscribe();
              policy = new PolicyManager(gw, vertx, ctx, () -> engine, policyStore, config.trustedKeys, conn,
                  config.clock, config.policy);
              policy.start(initial);
              vertx.setPeriodic(config.tick.toMillis(), id -> engine.tick());
              vertx.setPeriodic(config.statusInterval.toMillis(), id -> publishStatus());
              LOG.info("gateway {} up: rules {} ({} rules, compiled in {} ms), NATS {}",
                  gw, rules.label(), rules.ruleNames().size(), rules.compileMillis(), config.natsUrl);
              publishStatus();
              return null;
            })
        .compose(v -> config.httpPort < 0 ? Future.succeededFuture() : GatewayHttpServer.start(vertx, config.httpPort,
            EngineAccess.onContext(ctx, () -> engine), meters)
            .map(server -> {
              httpPort = server.port();
              LOG.info("gateway {} HTTP API on http://127.0.0.1:{}/ (health, devices, services, events, metrics)",
                  gw, httpPort);
              return null;
            })
            .recover(err -> Future.failedFuture(new IllegalStateException(
                "cannot serve the HTTP API on port " + config.httpPort + ": " + err.getMessage(), err))));
  }

  int httpPort() {
    return httpPort;
  }

  private void subscribe() {
    String gw = config.gatewayId;
    Dispatcher d = nats.createDispatcher();
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
      if (policy != null) {
        policy.close();
      }
      if (engine != null) {
        engine.close();
      }
      if (nats != null) {
        nats.close();
      }
      return null;
    });
  }
}
