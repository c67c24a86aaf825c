package io.fogwise.gateway.core;

import io.fogwise.gateway.core.devices.DeviceRegistry;
import io.fogwise.protocol.AdaptationEvent;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the gateway's own silence from its devices'. While the gateway cannot hear — its NATS
 * link is down, or it was paused (GC, SIGSTOP, an overloaded host) — and for {@code detect.settleMs}
 * after, no suspicion reaches the rules, and at the end the whole episode is discounted from
 * every device's silence (nor are heartbeat histories fed it). When many alive devices go
 * silent at once although the gateway hears fine, it is more likely the gateway's own partition
 * than that many deaths: declarations are held for up to {@code detect.massSilenceHoldMs}, then
 * an ALERT and failover as usual. Every hold and release is an event that says why.
 */
final class OwnSilence {
  private static final Logger LOG = LoggerFactory.getLogger(OwnSilence.class);
  private static final long NONE = Long.MIN_VALUE;

  /** What the decision tick may do, as decided at its start. */
  record Verdict(long referenceNanos, boolean linkDown, boolean publish) {}

  private final EngineState s;
  private boolean linkDown;
  private long linkDownSince = NONE;
  /** Start of the gateway's own silence in progress (link down or paused, then settling). */
  private long episodeSince = NONE;
  /** Up to when a backlog was last reported (so each report discounts only what is new). */
  private long behindReportedTo = NONE;
  /** When the episode ends once the link is up. */
  private long settleUntil = NONE;
  /** When the current mass silence began, or NONE. */
  private long massSince = NONE;
  /** The mass-silence hold was given up (held long enough with a healthy link): a real mass failure. */
  private boolean massReleased;
  /** Why detection is held now, for the health report, or null. */
  private String held;

  OwnSilence(EngineState s) {
    this.s = s;
  }

  /** The gateway's NATS connection went down at {@code atNanos}. */
  void linkDown(long atNanos) {
    if (linkDown) {
      return;
    }
    linkDown = true;
    linkDownSince = atNanos;
    s.metrics.detectionHeld("link");
    begin(atNanos, "this gateway's NATS connection is down: it hears no device, so no device is declared lost"
        + " until the connection is back and " + settleMs() + " ms (detect.settleMs) have passed");
  }

  /** The gateway's NATS connection is back at {@code atNanos}. */
  void linkUp(long atNanos) {
    if (!linkDown) {
      return;
    }
    linkDown = false;
    long downMs = Math.max(0, (atNanos - linkDownSince) / 1_000_000L);
    s.reconciler.discount(downMs);
    settleUntil = Math.max(settleUntil, atNanos + settleMs() * 1_000_000L);
    LOG.info("NATS connection back after {} ms; detection resumes in {} ms", downMs, settleMs());
    s.emit(AdaptationEvent.Type.DETECTION_SUSPENDED, null, null, 0, null, "this gateway's NATS connection is back after "
        + downMs + " ms; devices get " + settleMs() + " ms (detect.settleMs) to reconnect before detection resumes",
        Map.of("cause", "link", "downMs", Long.toString(downMs)));
    held = "settling after the NATS connection came back";
  }

  /** The gateway itself could not run from {@code fromNanos} to {@code toNanos} (its tick timer saw the gap). */
  void paused(long fromNanos, long toNanos) {
    if (toNanos <= fromNanos) {
      return;
    }
    long ms = (toNanos - fromNanos) / 1_000_000L;
    s.metrics.detectionHeld("pause");
    s.reconciler.discount(ms);
    // nobody has to reconnect after a pause, only the backlog it left has to drain, which takes
    // less than the pause: settling for as long as the pause (at most detect.settleMs) keeps a
    // loaded host's short stalls from holding detection for seconds
    long settle = Math.min(settleMs(), ms);
    settleUntil = Math.max(settleUntil, toNanos + settle * 1_000_000L);
    begin(fromNanos, "this gateway was paused for " + ms + " ms (GC, SIGSTOP or an overloaded host): that is not"
        + " its devices' silence; detection resumes " + settle + " ms after the pause");
  }

  /**
   * The gateway has been behind its inbound messages since {@code sinceNanos} and still was at
   * {@code nowNanos} (heartbeats received but not yet taken in, so not yet stamped: a backlog in
   * front of the decision thread's own queue, which the tick reference cannot see). Reported on
   * every tick while it lasts and once when it clears; detection is held meanwhile and for as
   * long again afterwards (at most {@code detect.settleMs}), and the time is discounted like a
   * pause.
   */
  void behind(long sinceNanos, long nowNanos, long pending) {
    if (nowNanos <= sinceNanos) {
      return;
    }
    long ms = (nowNanos - sinceNanos) / 1_000_000L;
    long increment = behindReportedTo == NONE || behindReportedTo < sinceNanos ? ms
        : (nowNanos - behindReportedTo) / 1_000_000L;
    behindReportedTo = nowNanos;
    s.reconciler.discount(increment);
    long settle = Math.min(settleMs(), ms);
    settleUntil = Math.max(settleUntil, nowNanos + settle * 1_000_000L);
    if (episodeSince == NONE) {
      s.metrics.detectionHeld("backlog");
      begin(sinceNanos, "this gateway is behind its inbound heartbeats (" + pending + " received, not yet taken in):"
          + " that is not its devices' silence; detection resumes once it has caught up");
    }
  }

  private void begin(long atNanos, String why) {
    held = why;
    if (episodeSince == NONE) {
      episodeSince = atNanos;
      s.registry.ownSilenceBegan(atNanos);
      s.ownSilence = true;
    }
    LOG.info("detection held: {}", why);
    s.emit(AdaptationEvent.Type.DETECTION_SUSPENDED, null, null, 0, null, why,
        Map.of("cause", linkDown ? "link" : "pause"));
  }

  /**
   * Decides, at the start of a tick requested at {@code requestedNanos}, the time silence is
   * judged at and whether suspicion may reach the rules; ends an episode whose settling is over.
   */
  Verdict beforeTick(long requestedNanos) {
    if (linkDown) {
      // nothing is heard: time stands still for detection until the link is back
      return new Verdict(Math.min(requestedNanos, linkDownSince), true, false);
    }
    if (episodeSince != NONE) {
      if (requestedNanos < settleUntil) {
        return new Verdict(requestedNanos, false, false);
      }
      long ms = (settleUntil - episodeSince) / 1_000_000L;
      s.registry.ownSilenceEnded(episodeSince, settleUntil);
      episodeSince = NONE;
      settleUntil = NONE;
      s.ownSilence = false;
      held = null;
      LOG.info("detection resumed; {} ms of this gateway's own silence not counted as its devices'", ms);
      s.emit(AdaptationEvent.Type.DETECTION_RESUMED, null, null, 0, null, "detection resumed: the " + ms
          + " ms this gateway could not hear (and let devices reconnect) are not counted as any device's silence",
          Map.of("discountedMs", Long.toString(ms)));
    }
    return new Verdict(requestedNanos, false, true);
  }

  /**
   * Whether suspicion may reach the rules, given how many alive devices are silent at
   * {@code referenceNanos}: not while so many went silent at once that it is more likely the
   * gateway's own partition, unless that has lasted {@code detect.massSilenceHoldMs}.
   */
  boolean mayDeclare(DeviceRegistry.Silence silence, long referenceNanos) {
    double fraction = s.rules.parameters().number("detect.massSilenceFraction");
    int minDevices = (int) s.rules.parameters().number("detect.massSilenceMinDevices");
    boolean mass = silence.silent() >= Math.max(1, minDevices) && silence.silent() >= fraction * silence.alive();
    if (!mass) {
      if (massSince != NONE) {
        if (!massReleased) {
          long ms = (referenceNanos - massSince) / 1_000_000L;
          held = null;
          LOG.info("mass silence over after {} ms: {} of {} alive devices silent", ms, silence.silent(), silence.alive());
          s.emit(AdaptationEvent.Type.DETECTION_RESUMED, null, null, 0, null, "devices are heard again after " + ms
              + " ms of mass silence (" + silence.silent() + " of " + silence.alive() + " alive devices silent now):"
              + " detection resumes", Map.of("cause", "mass_silence", "heldMs", Long.toString(ms)));
        }
        massSince = NONE;
        massReleased = false;
      }
      return true;
    }
    if (massSince == NONE) {
      massSince = referenceNanos;
      massReleased = false;
      held = silence.silent() + " of " + silence.alive() + " alive devices went silent at once";
      s.metrics.detectionHeld("mass_silence");
      LOG.warn("detection held: {} of {} alive devices went silent at once", silence.silent(), silence.alive());
      s.emit(AdaptationEvent.Type.DETECTION_SUSPENDED, null, null, 0, null, silence.silent() + " of "
          + silence.alive() + " alive devices went silent at once: more likely this gateway's own partition than "
          + silence.silent() + " deaths, so none is declared lost or failed over for up to " + holdMs()
          + " ms (detect.massSilenceHoldMs)", Map.of("cause", "mass_silence", "silent",
              Integer.toString(silence.silent()), "alive", Integer.toString(silence.alive())));
    }
    if (!massReleased && referenceNanos - massSince >= holdMs() * 1_000_000L) {
      massReleased = true;
      held = null;
      String why = silence.silent() + " of " + silence.alive() + " alive devices have been silent for "
          + (referenceNanos - massSince) / 1_000_000L + " ms while this gateway's own link is healthy: treated as a"
          + " real failure (a site without power?); declaring them lost and failing over";
      LOG.warn("alert: {}", why);
      s.emit(AdaptationEvent.Type.ALERT, null, null, 0, null, why, Map.of("cause", "mass_silence"));
    }
    return massReleased;
  }

  /** Why detection is held now, in one line, or null when it is not. */
  String held() {
    return held;
  }

  /** Whether the gateway's NATS link is down (as last told). */
  boolean linkIsDown() {
    return linkDown;
  }

  private long settleMs() {
    return Math.max(0, (long) s.rules.parameters().number("detect.settleMs"));
  }

  private long holdMs() {
    return Math.max(0, (long) s.rules.parameters().number("detect.massSilenceHoldMs"));
  }
}
