package io.fogwise.gateway.orchestrator;

import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.orchestrator.OrchestratorContract;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
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

  private static final class ProcessFixture implements Fixture {
    final Connection nats;
    final ProcessOrchestrator orchestrator;
    final EdgeAgent agent;
    final EdgeAgent second;
    volatile List<InstanceReport> last = List.of();
    volatile List<InstanceReport> lastSecond = List.of();

    ProcessFixture() throws Exception {
      // the orchestrator speaks for gateway GW, with its identity and instance key
      nats = Nats.connect(NatsOptions.component(server.url(), "contract-gateway", server.auth(Role.GATEWAY, GW))
          .build());
      orchestrator = new ProcessOrchestrator(nats, Duration.ofSeconds(3), GW,
          InstanceCredentials.signedBy(InstanceSigner.load(server.identity().instanceKeyFile(GW)), Duration.ZERO));
      Dispatcher d = nats.createDispatcher();
      d.subscribe(Subjects.heartbeat(GW, DEVICE), m -> last = decode(m.getData()).instances());
      d.subscribe(Subjects.heartbeat(GW, SECOND), m -> lastSecond = decode(m.getData()).instances());
      agent = agent(DEVICE);
      second = agent(SECOND);
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

    private static Heartbeat decode(byte[] data) {
      try {
        return MessageCodec.decode(data, Heartbeat.class);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public Orchestrator orchestrator() {
      return orchestrator;
    }

    @Override
    public InstanceIntent runnable(String service, long epoch) {
      return new InstanceIntent(service, "killable", "v1", epoch, DEVICE, Map.of());
    }

    @Override
    public InstanceIntent runnableOnSecondDevice(String service, long epoch) {
      return new InstanceIntent(service, "killable", "v1", epoch, SECOND, Map.of());
    }

    @Override
    public List<InstanceReport> secondDeviceReports() {
      return lastSecond;
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
    public List<InstanceReport> reports() {
      return last;
    }

    @Override
    public void await(String what, BooleanSupplier condition) {
      Awaitility.await(what).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
          .until(condition::getAsBoolean);
    }

    @Override
    public <T> T complete(CompletionStage<T> stage) throws Exception {
      return join(stage, Duration.ofSeconds(10));
    }

    @Override
    public void close() throws Exception {
      agent.close();
      second.close();
      nats.close();
    }
  }
}
