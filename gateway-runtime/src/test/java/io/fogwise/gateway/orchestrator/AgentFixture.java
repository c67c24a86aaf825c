package io.fogwise.gateway.orchestrator;

import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.orchestrator.OrchestratorContract;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
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
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/**
 * The contract fixture of the adapters whose devices are edge agents (the {@code process}
 * adapter, the agents' {@code docker} runtime): the gateway's {@link ProcessOrchestrator} with
 * its identity and instance key on a real secure hub, and two devices' reports read from their
 * own heartbeats by an independent subscription. Subclasses start the agents and kill from outside.
 */
abstract class AgentFixture implements OrchestratorContract.Fixture {
  final String gateway;
  final String device;
  final String second;
  private final Duration bound;
  final Connection nats;
  final ProcessOrchestrator orchestrator;
  private volatile List<InstanceReport> last = List.of();
  private volatile List<InstanceReport> lastSecond = List.of();

  /**
   * @param bound how long an await or an intent may take (a container boots a JVM)
   */
  AgentFixture(NatsServer server, String gateway, String device, String second, Duration bound) throws Exception {
    this.gateway = gateway;
    this.device = device;
    this.second = second;
    this.bound = bound;
    nats = Nats.connect(NatsOptions.component(server.url(), gateway + "-gateway", server.auth(Role.GATEWAY, gateway))
        .build());
    orchestrator = new ProcessOrchestrator(nats, Duration.ofSeconds(10), gateway,
        InstanceCredentials.signedBy(InstanceSigner.load(server.identity().instanceKeyFile(gateway)), Duration.ZERO));
    Dispatcher d = nats.createDispatcher();
    d.subscribe(Subjects.heartbeat(gateway, device), m -> last = decode(m.getData()).instances());
    d.subscribe(Subjects.heartbeat(gateway, second), m -> lastSecond = decode(m.getData()).instances());
  }

  private static Heartbeat decode(byte[] data) {
    try {
      return MessageCodec.decode(data, Heartbeat.class);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The kind both devices run and the configuration of its instances. */
  abstract String kind();

  Map<String, String> config() {
    return Map.of();
  }

  @Override
  public Orchestrator orchestrator() {
    return orchestrator;
  }

  @Override
  public InstanceIntent runnable(String service, long epoch) {
    return new InstanceIntent(service, kind(), "v1", epoch, device, config());
  }

  @Override
  public InstanceIntent runnableOnSecondDevice(String service, long epoch) {
    return new InstanceIntent(service, kind(), "v1", epoch, second, config());
  }

  @Override
  public List<InstanceReport> reports() {
    return last;
  }

  @Override
  public List<InstanceReport> secondDeviceReports() {
    return lastSecond;
  }

  @Override
  public void await(String what, BooleanSupplier condition) {
    Awaitility.await(what).atMost(bound).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
  }

  @Override
  public <T> T complete(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(bound.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }
}
