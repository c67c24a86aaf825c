package io.fogwise.gateway.orchestrator;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.fogwise.containers.Images;
import io.fogwise.containers.Labels;
import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.edge.container.DockerRuntime;
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
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@code docker} adapter — edge agents whose services run as containers on the real Docker
 * engine — against a real (secure) nats-server: the same contract as the other adapters. Reports
 * are the agents' own heartbeats, read by an independent subscriber; an instance is killed from
 * outside with {@code docker kill}; the unstartable instance names an image the engine does not
 * have.
 */
class DockerOrchestratorContractIT extends OrchestratorContract {
  private static final String GW = "dcontract-gw";
  private static final String DEVICE = "dcontract-dev";
  private static final String SECOND = "dcontract-dev-2";
  private static NatsServer server;
  private static DockerClient docker;

  @BeforeAll
  static void hub() {
    docker = DockerEngine.require(Images.builtIn("publisher"), Images.builtIn("subscriber"));
    server = NatsServer.start();
  }

  @AfterAll
  static void stopHub() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected Fixture fixture() throws Exception {
    return new DockerFixture();
  }

  private static final class DockerFixture implements Fixture {
    final Connection nats;
    final ProcessOrchestrator orchestrator;
    final DockerRuntime runtime;
    final DockerRuntime secondRuntime;
    final EdgeAgent agent;
    final EdgeAgent second;
    volatile List<InstanceReport> last = List.of();
    volatile List<InstanceReport> lastSecond = List.of();

    DockerFixture() throws Exception {
      nats = Nats.connect(NatsOptions.component(server.url(), "dcontract-gateway", server.auth(Role.GATEWAY, GW)).build());
      orchestrator = new ProcessOrchestrator(nats, Duration.ofSeconds(10), GW,
          InstanceCredentials.signedBy(InstanceSigner.load(server.identity().instanceKeyFile(GW)), Duration.ZERO));
      Dispatcher d = nats.createDispatcher();
      d.subscribe(Subjects.heartbeat(GW, DEVICE), m -> last = decode(m.getData()).instances());
      d.subscribe(Subjects.heartbeat(GW, SECOND), m -> lastSecond = decode(m.getData()).instances());
      runtime = runtime(DEVICE);
      secondRuntime = runtime(SECOND);
      agent = agent(DEVICE, runtime);
      second = agent(SECOND, secondRuntime);
    }

    private static DockerRuntime runtime(String device) {
      Map<String, String> images = new TreeMap<>(Images.defaults());
      images.put("ghost", "fogwise/no-such-image:1");
      return DockerRuntime.start(docker, device, GW, images);
    }

    private static EdgeAgent agent(String id, DockerRuntime runtime) {
      return EdgeAgent.start(AgentConfig.builder()
          .natsUrl(server.url())
          .auth(server.deviceAuth(GW, id))
          .deviceId(id)
          .gatewayId(GW)
          .layer(Layer.EDGE)
          .heartbeatInterval(Duration.ofMillis(100))
          .restartBackoff(Duration.ofMillis(100), Duration.ofMillis(500))
          .services(runtime.kinds())
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
      return new InstanceIntent(service, "publisher", "v1", epoch, DEVICE, Map.of("app", "contract", "rateHz", "20"));
    }

    @Override
    public InstanceIntent runnableOnSecondDevice(String service, long epoch) {
      return new InstanceIntent(service, "publisher", "v1", epoch, SECOND, Map.of("app", "contract", "rateHz", "20"));
    }

    @Override
    public List<InstanceReport> secondDeviceReports() {
      return lastSecond;
    }

    @Override
    public InstanceIntent unstartable(String service, long epoch) {
      return new InstanceIntent(service, "ghost", "v1", epoch, DEVICE, Map.of());
    }

    @Override
    public void killFromOutside(String service, long epoch) {
      List<Container> mine = docker.listContainersCmd().withLabelFilter(Map.of(Labels.DEVICE, DEVICE,
          Labels.SERVICE, service, Labels.EPOCH, Long.toString(epoch))).exec();
      if (mine.isEmpty()) {
        throw new AssertionError("no running container of " + service + " epoch " + epoch);
      }
      for (Container c : mine) {
        docker.killContainerCmd(c.getId()).exec();
      }
    }

    @Override
    public List<InstanceReport> reports() {
      return last;
    }

    @Override
    public void await(String what, BooleanSupplier condition) {
      Awaitility.await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(condition::getAsBoolean);
    }

    @Override
    public <T> T complete(CompletionStage<T> stage) throws Exception {
      return join(stage, Duration.ofSeconds(30));
    }

    @Override
    public void close() throws Exception {
      agent.close();
      second.close();
      runtime.close();
      secondRuntime.close();
      nats.close();
      DockerRuntime.removeDevice(docker, DEVICE);
      DockerRuntime.removeDevice(docker, SECOND);
    }
  }
}
