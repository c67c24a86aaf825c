package io.fogwise.gateway.core;

import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.reconcile.Step;
import io.fogwise.protocol.AdaptationEvent;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Carries out the reconciler's steps: intents to the orchestrator, and the events that say so. */
final class StepExecutor {
  private static final Logger LOG = LoggerFactory.getLogger(StepExecutor.class);

  private final EngineState s;
  private final Intents intents;
  private final MigrationSaga saga;

  StepExecutor(EngineState s, Intents intents, MigrationSaga saga) {
    this.s = s;
    this.intents = intents;
    this.saga = saga;
  }

  void execute(Step step) {
    if (step instanceof Step.Start st) {
      start(st);
    } else if (step instanceof Step.Stop st) {
      stop(st);
    } else if (step instanceof Step.Migrate m) {
      saga.begin(m);
    } else if (step instanceof Step.Abandon a) {
      s.metrics.reconcileAction("abandon");
      s.emit(AdaptationEvent.Type.INSTANCE_ABANDONED, a.placement().deviceId(), a.placement().service(),
          a.placement().epoch(), null, a.reason(), Map.of());
    } else if (step instanceof Step.LiftExclusion l) {
      s.dirtyServices.add(l.service());
      LOG.info("{}", l.reason());
      s.emit(AdaptationEvent.Type.EXCLUSION_LIFTED, l.deviceId(), l.service(), 0, null, l.reason(),
          Map.of("cause", "only_eligible_device"));
    } else if (step instanceof Step.StartFailed f) {
      s.metrics.reconcileAction("start_failed");
      s.emit(AdaptationEvent.Type.INSTANCE_START_FAILED, f.placement().deviceId(), f.placement().service(),
          f.placement().epoch(), null, f.reason(), Map.of());
    }
    // Step.Started: confirmations are reported from the heartbeat path
  }

  private void start(Step.Start st) {
    String svc = st.spec().name();
    s.metrics.reconcileAction("start");
    if (s.failedOver.containsKey(svc)) {
      s.metrics.failover(svc);
    }
    LOG.info("starting {} epoch {} on {}", svc, st.epoch(), st.deviceId());
    s.emit(AdaptationEvent.Type.INSTANCE_STARTING, st.deviceId(), svc, st.epoch(), null,
        "starting " + svc + " epoch " + st.epoch() + " on " + st.deviceId(), Map.of());
    intents.start(InstanceIntent.of(st.spec(), st.epoch(), st.deviceId()), Orchestrator.StartMode.ACTIVE, failure -> {
      if (s.reconciler.startRefused(svc, st.deviceId(), st.epoch(), failure.getMessage(), s.clock.millis())) {
        LOG.warn("start of {} epoch {} on {} failed: {}", svc, st.epoch(), st.deviceId(), failure.getMessage());
        s.metrics.reconcileAction("start_failed");
        s.emit(AdaptationEvent.Type.INSTANCE_START_FAILED, st.deviceId(), svc, st.epoch(), null, failure.getMessage(),
            Map.of());
      }
    });
  }

  private void stop(Step.Stop st) {
    boolean fenced = st.reason() == Step.StopReason.FENCED;
    s.metrics.reconcileAction(fenced ? "fence" : "stop");
    LOG.info("stopping {} epoch {} on {} ({})", st.service(), st.epoch(), st.deviceId(), st.reason());
    s.emit(fenced ? AdaptationEvent.Type.INSTANCE_FENCED : AdaptationEvent.Type.INSTANCE_STOPPED, st.deviceId(),
        st.service(), st.epoch(), null, "stopping " + st.service() + " epoch " + st.epoch() + " on " + st.deviceId()
            + ": " + st.reason().name().toLowerCase(), Map.of());
    intents.stop(st.service(), st.epoch(), st.deviceId(),
        failure -> LOG.debug("stop of {} epoch {} on {}: {}", st.service(), st.epoch(), st.deviceId(), failure.getMessage()));
  }
}
