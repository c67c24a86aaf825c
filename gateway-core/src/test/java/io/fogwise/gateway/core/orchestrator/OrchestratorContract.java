package io.fogwise.gateway.core.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fogwise.protocol.InstanceReport;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every orchestrator adapter must do, checked the same way for each: the in-memory one
 * here, the {@code process} adapter against a real agent and nats-server, container adapters
 * against a real Docker engine. An adapter's test extends this class and supplies a
 * {@link Fixture}: one device, intents that can and cannot start there, a way to kill an
 * instance from outside, and the device's reports as the gateway would see them.
 */
public abstract class OrchestratorContract {

  /** One device under one adapter. */
  public interface Fixture extends AutoCloseable {
    Orchestrator orchestrator();

    /** An instance of {@code service} with {@code epoch} that can run on the fixture's device. */
    InstanceIntent runnable(String service, long epoch);

    /** The same, on a second device (a planned move goes from one device to another). */
    InstanceIntent runnableOnSecondDevice(String service, long epoch);

    /** An instance that the device must refuse to start (an unknown kind or image). */
    InstanceIntent unstartable(String service, long epoch);

    /** Kills the instance from outside the orchestrator (a crash, the OOM killer, an operator). */
    void killFromOutside(String service, long epoch) throws Exception;

    /** The latest report of the instances on the fixture's device. */
    List<InstanceReport> reports();

    /** The latest report of the instances on the second device. */
    List<InstanceReport> secondDeviceReports();

    /** Waits (or drives simulated time) until {@code condition} holds, failing after a generous bound. */
    void await(String what, java.util.function.BooleanSupplier condition);

    /** Completes {@code stage}, driving simulated time if the fixture has any. */
    <T> T complete(CompletionStage<T> stage) throws Exception;

    @Override
    default void close() throws Exception {}
  }

  /** A fresh fixture per test. */
  protected abstract Fixture fixture() throws Exception;

  private Fixture f;

  @BeforeEach
  void openFixture() throws Exception {
    f = fixture();
  }

  @AfterEach
  void closeFixture() throws Exception {
    f.close();
  }

  private Optional<InstanceReport> reported(String service, long epoch) {
    return f.reports().stream().filter(r -> r.service().equals(service) && r.epoch() == epoch).findFirst();
  }

  private boolean running(String service, long epoch) {
    return reported(service, epoch).filter(r -> r.state() == InstanceReport.InstanceState.RUNNING).isPresent();
  }

  private IntentFailedException failure(CompletionStage<?> stage) throws Exception {
    try {
      f.complete(stage);
    } catch (Exception e) {
      return IntentFailedException.of(e);
    }
    return fail("expected the intent to fail");
  }

  @Test
  void startRunsTheInstanceAndItIsReported() throws Exception {
    f.complete(f.orchestrator().start(f.runnable("svc-a", 1), Orchestrator.StartMode.ACTIVE));
    f.await("svc-a epoch 1 reported running", () -> running("svc-a", 1));
  }

  @Test
  void startingTheSameInstanceTwiceRunsItOnce() throws Exception {
    Orchestrator o = f.orchestrator();
    f.complete(o.start(f.runnable("svc-b", 4), Orchestrator.StartMode.ACTIVE));
    f.complete(o.start(f.runnable("svc-b", 4), Orchestrator.StartMode.ACTIVE));
    f.await("svc-b epoch 4 reported running", () -> running("svc-b", 4));
    assertEquals(1, f.reports().stream().filter(r -> r.service().equals("svc-b")).count(), f.reports().toString());
  }

  @Test
  void stopStopsTheInstance() throws Exception {
    Orchestrator o = f.orchestrator();
    f.complete(o.start(f.runnable("svc-c", 2), Orchestrator.StartMode.ACTIVE));
    f.await("svc-c running", () -> running("svc-c", 2));
    f.complete(o.stop("svc-c", 2, f.runnable("svc-c", 2).deviceId()));
    f.await("svc-c no longer reported", () -> reported("svc-c", 2).isEmpty());
  }

  @Test
  void aStopOfAStaleEpochLeavesTheCurrentInstanceRunning() throws Exception {
    Orchestrator o = f.orchestrator();
    f.complete(o.start(f.runnable("svc-d", 7), Orchestrator.StartMode.ACTIVE));
    f.await("svc-d epoch 7 running", () -> running("svc-d", 7));
    CompletionStage<Void> stale = o.stop("svc-d", 6, f.runnable("svc-d", 7).deviceId());
    try {
      f.complete(stale);
    } catch (Exception refused) {
      assertTrue(IntentFailedException.of(refused).refused(), "a stale stop is answered: " + refused);
    }
    // a later report still shows the current epoch running
    f.complete(o.start(f.runnable("svc-marker", 1), Orchestrator.StartMode.ACTIVE));
    f.await("a report after the stale stop", () -> running("svc-marker", 1));
    assertTrue(running("svc-d", 7), "epoch 7 still runs: " + f.reports());
  }

  @Test
  void anInstanceKilledFromOutsideIsReported() throws Exception {
    f.complete(f.orchestrator().start(f.runnable("svc-e", 3), Orchestrator.StartMode.ACTIVE));
    f.await("svc-e running", () -> running("svc-e", 3));
    int restartsBefore = reported("svc-e", 3).orElseThrow().restarts();
    f.killFromOutside("svc-e", 3);
    Predicate<Optional<InstanceReport>> seenDead = r -> r.isEmpty()
        || r.get().state() != InstanceReport.InstanceState.RUNNING || r.get().restarts() > restartsBefore;
    f.await("the kill shows in the device's reports", () -> seenDead.test(reported("svc-e", 3)));
  }

  @Test
  void aStartThatFailsSaysWhy() throws Exception {
    IntentFailedException e = failure(f.orchestrator().start(f.unstartable("svc-f", 1), Orchestrator.StartMode.ACTIVE));
    assertTrue(e.refused(), "the device answered: " + e.getMessage());
    assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "a reason is given");
    assertTrue(reported("svc-f", 1).isEmpty(), "nothing runs: " + f.reports());
  }

  @Test
  void handOverMovesTheNumberingWhenTheAdapterCan() throws Exception {
    Orchestrator o = f.orchestrator();
    if (!o.can(Orchestrator.Capability.HANDOVER)) {
      IntentFailedException e = failure(o.handover("svc-g", 1, f.runnable("svc-g", 1).deviceId()));
      assertTrue(e.refused(), "without HANDOVER a hand-over is refused, not attempted: " + e.getMessage());
      return;
    }
    InstanceIntent old = f.runnable("svc-g", 1);
    InstanceIntent successor = f.runnableOnSecondDevice("svc-g", 2);
    f.complete(o.start(old, Orchestrator.StartMode.ACTIVE));
    f.complete(o.start(successor, Orchestrator.StartMode.STANDBY));
    Predicate<InstanceReport> svcG2 = r -> r.service().equals("svc-g") && r.epoch() == 2;
    f.await("the standby instance is reported", () -> f.secondDeviceReports().stream()
        .anyMatch(r -> svcG2.test(r) && r.state() == InstanceReport.InstanceState.STANDBY));
    // the gateway hands over only an instance its device reports running
    f.await("the old instance is reported running", () -> running("svc-g", 1));
    long next = f.complete(o.handover("svc-g", 1, old.deviceId()));
    assertTrue(next >= 0, "next number " + next);
    f.complete(o.activate("svc-g", 2, successor.deviceId(), next));
    f.await("the new instance runs, the old one is idle", () -> f.secondDeviceReports().stream()
        .anyMatch(r -> svcG2.test(r) && r.state() == InstanceReport.InstanceState.RUNNING)
        && reported("svc-g", 1).filter(r -> r.state() == InstanceReport.InstanceState.STANDBY).isPresent());
  }

  /** A fixture helper: waits for a real stage with a bound. */
  protected static <T> T join(CompletionStage<T> stage, Duration bound) throws Exception {
    return stage.toCompletableFuture().get(bound.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

}
