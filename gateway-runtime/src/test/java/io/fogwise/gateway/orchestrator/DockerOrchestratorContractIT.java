package io.fogwise.gateway.orchestrator;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.fogwise.containers.Images;
import io.fogwise.containers.Labels;
import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.edge.container.DockerRuntime;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.OrchestratorContract;
import io.fogwise.protocol.Layer;
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

  private static final class DockerFixture extends AgentFixture {
    final DockerRuntime runtime;
    final DockerRuntime secondRuntime;
    final EdgeAgent agent;
    final EdgeAgent secondAgent;

    DockerFixture() throws Exception {
      super(server, GW, DEVICE, SECOND, Duration.ofSeconds(60));
      runtime = runtime(DEVICE);
      secondRuntime = runtime(SECOND);
      agent = agent(DEVICE, runtime);
      secondAgent = agent(SECOND, secondRuntime);
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

    @Override
    String kind() {
      return "publisher";
    }

    @Override
    Map<String, String> config() {
      return Map.of("app", "contract", "rateHz", "20");
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
    public void close() throws Exception {
      agent.close();
      secondAgent.close();
      runtime.close();
      secondRuntime.close();
      nats.close();
      DockerRuntime.removeDevice(docker, DEVICE);
      DockerRuntime.removeDevice(docker, SECOND);
    }
  }
}
