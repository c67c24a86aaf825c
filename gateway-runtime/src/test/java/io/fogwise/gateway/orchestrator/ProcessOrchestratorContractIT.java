package io.fogwise.gateway.orchestrator;

import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.OrchestratorContract;
import io.fogwise.protocol.Layer;
import io.fogwise.testsupport.NatsServer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@code process} adapter against a real edge agent and a real (secure) nats-server: the same
 * contract the in-memory orchestrator passes. Reports are the agent's own heartbeats, read by an
 * independent subscriber; an instance is killed from outside by making its service crash.
 */
class ProcessOrchestratorContractIT extends OrchestratorContract {
  private static final String GW = "contract-gw";
  private static final String DEVICE = "contract-dev";
  private static final String SECOND = "contract-dev-2";
  private static NatsServer server;

  /** Instances (service#epoch) told to crash, as the OOM killer or an operator would kill them. */
  private static final Set<String> killed = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void hub() {
    server = NatsServer.start();
  }

  @AfterAll
  static void stopHub() {
    server.close();
  }

  @Override
  protected Fixture fixture() throws Exception {
    return new ProcessFixture();
  }

  private static final class ProcessFixture extends AgentFixture {
    final EdgeAgent agent;
    final EdgeAgent secondAgent;

    ProcessFixture() throws Exception {
      super(server, GW, DEVICE, SECOND, Duration.ofSeconds(15));
      agent = agent(DEVICE);
      secondAgent = agent(SECOND);
    }

    private static EdgeAgent agent(String id) {
      return EdgeAgent.start(AgentConfig.builder()
          .natsUrl(server.url())
          .auth(server.deviceAuth(GW, id))
          .deviceId(id)
          .gatewayId(GW)
          .layer(Layer.EDGE)
          .heartbeatInterval(Duration.ofMillis(50))
          .restartBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
          .service("killable", ctx -> () -> {
            String key = ctx.serviceName() + "#" + ctx.epoch();
            while (!ctx.awaitStop(Duration.ofMillis(20))) {
              if (killed.remove(key)) {
                throw new IllegalStateException("killed from outside");
              }
            }
          })
          .build());
    }

    @Override
    String kind() {
      return "killable";
    }

    @Override
    public InstanceIntent unstartable(String service, long epoch) {
      return new InstanceIntent(service, "no-such-kind", "v1", epoch, DEVICE, Map.of());
    }

    @Override
    public void killFromOutside(String service, long epoch) {
      killed.add(service + "#" + epoch);
    }

    @Override
    public void close() throws Exception {
      agent.close();
      secondAgent.close();
      nats.close();
    }
  }
}
