package io.fogwise.edge;

import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.InstanceReport.InstanceState;
import io.fogwise.protocol.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One hosted service instance and the thread that runs it, restarting it with back-off after
 * each crash until it is stopped; and whether it is active (producing) or in standby (started
 * idle, or handed over).
 */
final class HostedInstance {
  private static final Logger LOG = LoggerFactory.getLogger(HostedInstance.class);

  /** How long a stop waits for run() to return by itself before interrupting its thread. */
  static final Duration STOP_GRACE = Duration.ofMillis(500);
  /** How long a stop waits in total before abandoning the thread. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);

  private final InstanceContext context;
  private final HostedService service;
  private final Backoff backoff;
  private final Clock clock;
  private final Thread thread;
  private final AtomicInteger restarts = new AtomicInteger();
  private volatile InstanceState state = InstanceState.RUNNING;
  /** False in standby: started idle or handed over, until activated. Written on the control thread. */
  private volatile boolean active = true;
  /** Why the service last crashed, or null. */
  private volatile String lastFailure;
  /** Whether the service was ever ready (see {@link HostedService#ready()}). */
  private volatile boolean wasReady;

  HostedInstance(InstanceContext context, HostedService service, Backoff backoff) {
    this.context = context;
    this.service = service;
    this.backoff = backoff;
    this.clock = context.clock();
    this.thread = new Thread(this::loop, "fw-svc-" + context.serviceName() + "-e" + context.epoch());
    this.thread.setDaemon(true);
  }

  /** Starts the thread; in standby the service is handed over before its first run(). */
  void start(boolean standby) {
    if (standby) {
      handover();
    }
    thread.start();
  }

  /**
   * Stops the instance's output (if it can be stopped) and puts it in standby.
   *
   * @return the number the successor continues from, or empty if the service does not number
   *     its output
   */
  OptionalLong handover() {
    OptionalLong next = service instanceof Handover h ? h.handover() : OptionalLong.empty();
    active = false;
    return next;
  }

  /**
   * Holds the output of a service that can hand over (a publisher) without changing how the
   * instance is reported: for a reconnect that must not lose what it sends.
   *
   * @return the next number to resume from, or empty if the service keeps no output to hold
   */
  OptionalLong holdOutput() {
    return service instanceof Handover h ? h.handover() : OptionalLong.empty();
  }

  /** Resumes output held by {@link #holdOutput} from {@code number}. */
  void releaseOutput(long number) {
    if (service instanceof Handover h && h.activate(number)) {
      context.wake();
    }
  }

  /**
   * Resumes the instance's output from {@code number} and reports it RUNNING.
   *
   * @return false if it was already active (nothing changed)
   */
  boolean activate(long number) {
    if (active) {
      return false;
    }
    if (service instanceof Handover h && h.activate(number)) {
      context.wake();
    }
    active = true;
    return true;
  }

  String service() {
    return context.serviceName();
  }

  String kind() {
    return context.kind();
  }

  long epoch() {
    return context.epoch();
  }

  HostedService hostedService() {
    return service;
  }

  /**
   * The instance as the heartbeat reports it, or null while a service that was never ready is
   * still starting (a container booting): its START is still in progress.
   */
  InstanceReport report() {
    InstanceState reported = state == InstanceState.RUNNING && !active ? InstanceState.STANDBY : state;
    boolean ready;
    try {
      ready = service.ready();
    } catch (RuntimeException e) {
      ready = true;
    }
    if (ready) {
      wasReady = true;
    } else if (!wasReady && restarts.get() == 0 && reported != InstanceState.RESTARTING) {
      return null;
    } else {
      reported = InstanceState.RESTARTING;
    }
    return new InstanceReport(context.serviceName(), context.kind(), context.epoch(), reported, restarts.get(), outputs(),
        lastFailure);
  }

  private Long outputs() {
    try {
      OptionalLong n = service.outputs();
      return n.isPresent() && n.getAsLong() >= 0 ? n.getAsLong() : null;
    } catch (RuntimeException e) {
      // one service's bug must not cost the device its heartbeat
      LOG.debug("{}: outputs() failed: {}", context, e.toString());
      return null;
    }
  }

  private void loop() {
    int attempt = 0;
    while (!context.isStopping()) {
      state = InstanceState.RUNNING;
      long began = clock.nanos();
      Throwable failure;
      try {
        service.run();
        if (context.isStopping()) {
          break;
        }
        failure = new IllegalStateException("run() returned without being asked to stop");
      } catch (Throwable t) {
        if (context.isStopping()) {
          LOG.debug("{} ended with {} while stopping", context, t.toString());
          break;
        }
        failure = t;
      }
      if (clock.nanos() - began >= backoff.resetAfter().toNanos()) {
        attempt = 0;
      }
      attempt++;
      Duration delay = backoff.delay(attempt);
      state = InstanceState.RESTARTING;
      lastFailure = failure.getMessage() != null ? failure.getMessage() : failure.toString();
      LOG.warn(
          "service '{}' ({}) epoch {} on device {} crashed: {}; restarting in {} ms (crash {} in a row)",
          context.serviceName(),
          context.kind(),
          context.epoch(),
          context.deviceId(),
          failure.toString(),
          delay.toMillis(),
          attempt);
      LOG.debug("crash of {}", context, failure);
      try {
        if (context.awaitStopIgnoringWake(delay)) {
          break;
        }
      } catch (InterruptedException e) {
        break;
      }
      restarts.incrementAndGet();
    }
  }

  /**
   * Asks the instance to stop and waits for its thread, interrupting it after a grace period.
   *
   * @return true if the thread ended within {@link #STOP_TIMEOUT}
   */
  boolean stop() {
    context.requestStop();
    try {
      thread.join(STOP_GRACE.toMillis());
      if (thread.isAlive()) {
        thread.interrupt();
        thread.join(STOP_TIMEOUT.minus(STOP_GRACE).toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // an abandoned thread loses its connection too: with its own credentials it can publish nothing more
    context.closeOwnConnection();
    if (thread.isAlive()) {
      LOG.warn(
          "{} did not stop within {} ms; abandoning its thread {}",
          context,
          TimeUnit.NANOSECONDS.toMillis(STOP_TIMEOUT.toNanos()),
          thread.getName());
      return false;
    }
    return true;
  }

  /** A hub move: the instance uses {@code next} from now on; returns the connection it used until now. */
  io.nats.client.Connection useConnection(io.nats.client.Connection next) {
    return context.useConnection(next);
  }

  /** The instance's connection (its own, or the agent's). */
  io.nats.client.Connection connection() {
    return context.connection();
  }

  @Override
  public String toString() {
    return context.toString();
  }
}
