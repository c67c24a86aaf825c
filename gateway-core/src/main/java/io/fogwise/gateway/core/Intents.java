package io.fogwise.gateway.core;

import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.IntentFailedException;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Hands intents to the orchestrator and brings each outcome back to the decision thread. An
 * intent a device did not answer counts toward its command failures; any answer resets them.
 */
final class Intents {
  private final EngineState s;
  private final Orchestrator orchestrator;
  private final Executor decisionThread;

  Intents(EngineState s, Orchestrator orchestrator, Executor decisionThread) {
    this.s = s;
    this.orchestrator = orchestrator;
    this.decisionThread = decisionThread;
  }

  Orchestrator orchestrator() {
    return orchestrator;
  }

  void start(InstanceIntent intent, Orchestrator.StartMode mode, Consumer<IntentFailedException> onFailure) {
    start(intent, mode, ok -> { }, onFailure);
  }

  void start(InstanceIntent intent, Orchestrator.StartMode mode, Consumer<Void> onSuccess,
      Consumer<IntentFailedException> onFailure) {
    follow(intent.deviceId(), orchestrator.start(intent, mode), onSuccess, onFailure);
  }

  void stop(String service, long epoch, String deviceId, Consumer<IntentFailedException> onFailure) {
    follow(deviceId, orchestrator.stop(service, epoch, deviceId), ok -> { }, onFailure);
  }

  /** Runs {@code task} on the decision thread, unless the engine closed meanwhile. */
  void onDecisionThread(Runnable task) {
    decisionThread.execute(() -> {
      if (!s.closed) {
        task.run();
      }
    });
  }

  /** Counts an outcome toward the device's command failures: null or a refusal is an answer, anything else is not. */
  void account(String deviceId, IntentFailedException failure) {
    if (failure == null || failure.refused()) {
      s.registry.commandAnswered(deviceId);
    } else if (!s.ownSilence) { // a command lost while the gateway's own link was down says nothing about the device
      s.registry.commandFailed(deviceId);
    }
  }

  /** Follows {@code stage} to its outcome, on the decision thread, unless the engine closed meanwhile. */
  <T> void follow(String deviceId, CompletionStage<T> stage, Consumer<T> onSuccess,
      Consumer<IntentFailedException> onFailure) {
    stage.whenComplete((value, err) -> onDecisionThread(() -> {
      IntentFailedException f = err == null ? null : IntentFailedException.of(err);
      account(deviceId, f);
      if (f == null) {
        onSuccess.accept(value);
      } else {
        onFailure.accept(f);
      }
    }));
  }
}
