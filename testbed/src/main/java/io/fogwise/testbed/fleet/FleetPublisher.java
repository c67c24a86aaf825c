package io.fogwise.testbed.fleet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.fogwise.protocol.HistoryStreams;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.api.PublishAck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes a {@link FleetTrace} to a real NATS hub as its devices and gateways would, in time
 * order and as fast as the hub acknowledges: telemetry on {@code fw.tm.<gateway>.<device>},
 * adaptation events on {@code fw.ev.<gateway>}, each a JetStream publish into the cloud's
 * {@value Subjects#TELEMETRY_STREAM} and {@value Subjects#EVENTS_STREAM} (created if missing),
 * with at most {@link Builder#maxInFlight} unacknowledged at a time. Only what a real fleet sends
 * is published: no label of the simulation.
 *
 * <p>With a {@link Builder#badFraction} above 0 it also publishes, between the good messages,
 * what a broken device would send on its telemetry subject ({@link BadInput}): deterministic from
 * the trace's seed, counted per kind in the {@link PublishResult}.
 */
public final class FleetPublisher {
  /** Unacknowledged publishes at most: enough to keep the hub busy, bounded so memory is. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 2000;
  /** How long the last acknowledgements may take before the publish fails. */
  public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(30);
  /** How far in the future a {@link BadInput#FUTURE_TIMESTAMP} reading claims to be. */
  public static final Duration FUTURE = Duration.ofDays(1);
  /** Separates the bad-input choices from the simulation's random stream. */
  private static final long BAD_SALT = 0xBADL;

  private final int maxInFlight;
  private final double badFraction;
  private final Clock clock;
  private final Duration ackTimeout;

  private FleetPublisher(Builder b) {
    this.maxInFlight = b.maxInFlight;
    this.badFraction = b.badFraction;
    this.clock = b.clock;
    this.ackTimeout = b.ackTimeout;
  }

  /** A publisher with the defaults: 2000 in flight, no bad input, the system clock. */
  public static FleetPublisher create() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Publishes every message of {@code trace} (and the bad input asked for) over {@code nats}
   * and waits for every acknowledgement.
   *
   * @throws IOException if the streams cannot be created, a publish is refused or not
   *     acknowledged within the ack timeout
   */
  public PublishResult publish(Connection nats, FleetTrace trace) throws IOException, InterruptedException {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(trace, "trace");
    HistoryStreams.ensureCloud(nats.jetStreamManagement(), List.of());
    JetStream js = nats.jetStream();
    Semaphore window = new Semaphore(maxInFlight);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    SplittableRandom bad = new SplittableRandom(trace.draw().seed() ^ BAD_SALT);
    BadInput[] kinds = BadInput.values();
    long[] badCounts = new long[kinds.length];
    long telemetry = 0;
    long events = 0;
    long started = System.nanoTime();
    for (FleetTrace.Message m : trace.messages()) {
      if (failure.get() != null) {
        break;
      }
      if (m.isTelemetry()) {
        if (badFraction > 0 && bad.nextDouble() < badFraction) {
          BadInput kind = kinds[bad.nextInt(kinds.length)];
          send(js, window, failure, m.subject(), kind.bytes((Telemetry) m.payload(), clock));
          badCounts[kind.ordinal()]++;
        }
        telemetry++;
      } else {
        events++;
      }
      send(js, window, failure, m.subject(), m.encode());
    }
    if (!window.tryAcquire(maxInFlight, ackTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IOException("the hub did not acknowledge " + (maxInFlight - window.availablePermits())
          + " fleet messages within " + ackTimeout.toSeconds() + " s: is JetStream running and the stream "
          + Subjects.TELEMETRY_STREAM + " not full?");
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    if (failure.get() != null) {
      throw new IOException("publishing the fleet failed: " + failure.get().getMessage(), failure.get());
    }
    Map<BadInput, Long> badByKind = new EnumMap<>(BadInput.class);
    for (BadInput k : kinds) {
      badByKind.put(k, badCounts[k.ordinal()]);
    }
    return new PublishResult(telemetry, events, badByKind, elapsed);
  }

  private static void send(JetStream js, Semaphore window, AtomicReference<Throwable> failure, String subject,
      byte[] data) throws InterruptedException {
    window.acquire();
    CompletableFuture<PublishAck> ack;
    try {
      ack = js.publishAsync(subject, data);
    } catch (RuntimeException e) {
      window.release();
      failure.compareAndSet(null, e);
      return;
    }
    ack.whenComplete((a, error) -> {
      if (error != null) {
        failure.compareAndSet(null, error);
      }
      window.release();
    });
  }

  /** What a broken device sends on its telemetry subject instead of a valid reading. */
  public enum BadInput {
    /** JSON with a literal {@code NaN} CPU load (not valid JSON). */
    NAN,
    /** A negative battery level. */
    NEGATIVE_BATTERY,
    /** A reading stamped one day after the publisher's clock. */
    FUTURE_TIMESTAMP,
    /** A reading cut off halfway. */
    TRUNCATED;

    /** The bad bytes made from a good reading. */
    byte[] bytes(Telemetry good, Clock clock) {
      ObjectNode json = MessageCodec.mapper().valueToTree(good);
      switch (this) {
        case NAN -> json.putRawValue("cpuLoad", new RawValue("NaN"));
        case NEGATIVE_BATTERY -> json.put("batteryPct", -Math.max(1, good.batteryPct() == null ? 7 : good.batteryPct()));
        case FUTURE_TIMESTAMP -> json.put("atMillis", clock.wallMillis() + FUTURE.toMillis());
        case TRUNCATED -> {
          byte[] whole = json.toString().getBytes(StandardCharsets.UTF_8);
          return Arrays.copyOf(whole, whole.length / 2);
        }
      }
      return json.toString().getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * What a publish did.
   *
   * @param telemetry valid telemetry messages published (on {@code fw.tm.>})
   * @param events adaptation events published (on {@code fw.ev.>})
   * @param bad bad messages published on telemetry subjects, per kind
   * @param elapsed from the first publish to the last acknowledgement
   */
  public record PublishResult(long telemetry, long events, Map<BadInput, Long> bad, Duration elapsed) {
    public PublishResult {
      bad = Map.copyOf(bad);
    }

    /** Bad messages of every kind. */
    public long badTotal() {
      return bad.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Every message published. */
    public long total() {
      return telemetry + events + badTotal();
    }

    /** Messages per second, acknowledgements included. */
    public double perSecond() {
      return total() / Math.max(1e-9, elapsed.toNanos() / 1e9);
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%,d telemetry + %,d events + %,d bad %s in %.1f s: %,.0f msg/s",
          telemetry, events, badTotal(), bad, elapsed.toNanos() / 1e9, perSecond());
    }
  }

  /** Settings of a {@link FleetPublisher}. */
  public static final class Builder {
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private double badFraction;
    private Clock clock = Clock.system();
    private Duration ackTimeout = DEFAULT_ACK_TIMEOUT;

    private Builder() {}

    /** Unacknowledged publishes at most ({@link FleetPublisher#DEFAULT_MAX_IN_FLIGHT} by default). */
    public Builder maxInFlight(int maxInFlight) {
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight);
      }
      this.maxInFlight = maxInFlight;
      return this;
    }

    /** Bad messages per valid telemetry message, 0 (default) to 1. */
    public Builder badFraction(double badFraction) {
      if (!(badFraction >= 0 && badFraction <= 1)) {
        throw new IllegalArgumentException("badFraction must be within [0, 1], got " + badFraction);
      }
      this.badFraction = badFraction;
      return this;
    }

    /** The clock future timestamps are made from (the system clock by default). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How long the last acknowledgements may take. */
    public Builder ackTimeout(Duration ackTimeout) {
      if (ackTimeout.isNegative() || ackTimeout.isZero()) {
        throw new IllegalArgumentException("ackTimeout must be > 0, got " + ackTimeout);
      }
      this.ackTimeout = ackTimeout;
      return this;
    }

    /** The publisher. */
    public FleetPublisher build() {
      return new FleetPublisher(this);
    }
  }
}
