package io.fogwise.gateway.core.orchestrator;

import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Nested;

/** The in-memory orchestrator passes the contract, with hand-over and without, on simulated time. */
class InMemoryOrchestratorContractTest {

  static final class MemoryFixture implements OrchestratorContract.Fixture {
    final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    final InMemoryOrchestrator orchestrator;
    List<InstanceReport> last = List.of();
    List<InstanceReport> lastSecond = List.of();

    MemoryFixture(boolean handover) {
      orchestrator = handover ? InMemoryOrchestrator.create(scheduler) : InMemoryOrchestrator.withoutHandover(scheduler);
      orchestrator.device("d1").startLatency(java.time.Duration.ofMillis(120));
      orchestrator.device("broken").refuseStarts("unknown kind 'nope'");
    }

    @Override
    public Orchestrator orchestrator() {
      return orchestrator;
    }

    @Override
    public InstanceIntent runnable(String service, long epoch) {
      return new InstanceIntent(service, "publisher", "v1", epoch, "d1", Map.of());
    }

    @Override
    public InstanceIntent runnableOnSecondDevice(String service, long epoch) {
      return new InstanceIntent(service, "publisher", "v1", epoch, "d2", Map.of());
    }

    @Override
    public List<InstanceReport> secondDeviceReports() {
      return lastSecond;
    }

    @Override
    public InstanceIntent unstartable(String service, long epoch) {
      return new InstanceIntent(service, "nope", "v1", epoch, "broken", Map.of());
    }

    @Override
    public void killFromOutside(String service, long epoch) {
      orchestrator.device("d1").kill(service, epoch);
    }

    @Override
    public List<InstanceReport> reports() {
      return last;
    }

    @Override
    public void await(String what, BooleanSupplier condition) {
      // heartbeats every 200 ms of simulated time, for at most a simulated minute
      for (int i = 0; i < 300; i++) {
        last = orchestrator.reports("d1");
        lastSecond = orchestrator.reports("d2");
        if (condition.getAsBoolean()) {
          return;
        }
        scheduler.advanceMillis(200);
      }
      throw new AssertionError("not within a simulated minute: " + what + "; reports " + last);
    }

    @Override
    public <T> T complete(CompletionStage<T> stage) throws Exception {
      CompletableFuture<T> f = stage.toCompletableFuture();
      for (int i = 0; i < 600 && !f.isDone(); i++) {
        scheduler.advanceMillis(100);
      }
      if (!f.isDone()) {
        throw new AssertionError("the intent did not complete within a simulated minute");
      }
      try {
        return f.getNow(null);
      } catch (java.util.concurrent.CompletionException e) {
        throw new ExecutionException(e.getCause());
      }
    }
  }

  @Nested
  class WithHandover extends OrchestratorContract {
    @Override
    protected Fixture fixture() {
      return new MemoryFixture(true);
    }
  }

  @Nested
  class WithoutHandover extends OrchestratorContract {
    @Override
    protected Fixture fixture() {
      return new MemoryFixture(false);
    }
  }
}
