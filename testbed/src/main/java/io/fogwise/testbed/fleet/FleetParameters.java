package io.fogwise.testbed.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Every knob of the fleet simulator, fixed here before any mining code existed (issue 16), and
 * {@link #draw(long)}, which draws one fleet's parameters from these ranges.
 *
 * <p>A fleet is {@link #DEVICE_SLOTS} device slots spread over {@link #GATEWAYS} gateways for
 * {@link #DURATION}. A slot holds one device at a time: when it dies, a fresh device (a new id)
 * takes its place after a {@link #REPLACEMENT_DELAY_S replacement delay}, so the fleet does not
 * empty. Every device sends telemetry every {@link #TELEMETRY_PERIOD} and heartbeats at its
 * class's interval; two classes, {@link #SENSOR_A} and {@link #SENSOR_B}, differ in interval,
 * jitter and network-delay tail, so the heartbeat-timing miner has to find a threshold per class.
 *
 * <p>Failures: each device dies after at least {@link #MIN_LIFE_S} with an exponential hazard of
 * {@link #FAILURE_RATE_PER_HOUR} per hour. A share {@link #CRASH_SHARE} of the fleet's failures
 * (at least a quarter, by construction) are sudden crashes with no precursor; the others are
 * battery drain, overheating or a memory leak in the proportions of {@link #MODE_WEIGHT}, each
 * with a precursor phase of {@link #PRECURSOR_S} whose shape (progress to the power
 * {@link #SHAPE_EXPONENT}) is drawn per failure. Harmless look-alikes happen on every device,
 * dying or not: charging dips, brief heat spikes, brief memory spikes, on top of the normal
 * GC-like memory sawtooth; and every signal carries noise.
 *
 * <p>A range is drawn once per fleet ({@link Draw}) where it describes the fleet, and once per
 * device or episode where it describes that (the Javadoc of each constant says which). A draw is
 * a pure function of its seed, so {@link #TRAINING_SEED} and {@link #HELD_OUT_SEED} give two
 * fleets that differ both in their random events and in their parameters.
 */
public final class FleetParameters {
  /** The seed of the trace the miner learns from. */
  public static final long TRAINING_SEED = 16_001L;
  /** The seed of the trace mining results are scored on; never seen by the miner. */
  public static final long HELD_OUT_SEED = 16_002L;
  /** The seed of the 1M-message trace of the speed benchmark. */
  public static final long SPEED_SEED = 16_003L;

  /** Simulated time starts at this instant plus a per-fleet offset: always in the past. */
  public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
  /** The per-fleet start offset after {@link #EPOCH}, in whole minutes (per fleet). */
  public static final Range START_OFFSET_MIN = new Range(0, 28 * 24 * 60);
  /** Device slots in a fleet. */
  public static final int DEVICE_SLOTS = 60;
  /** Simulated duration of a fleet. */
  public static final Duration DURATION = Duration.ofHours(2);
  /** Gateways the slots are spread over round-robin: {@code gw-1 .. gw-3}. */
  public static final int GATEWAYS = 3;
  /** How often every device reports telemetry. */
  public static final Duration TELEMETRY_PERIOD = Duration.ofSeconds(1);
  /** Jitter of a telemetry reading's timestamp after its period slot, ms (per reading, uniform). */
  public static final Range TELEMETRY_JITTER_MS = new Range(0, 40);
  /** How often a gateway reports a device's heartbeat arrivals (HEARTBEAT_TIMING). */
  public static final Duration TIMING_REPORT_PERIOD = Duration.ofSeconds(30);
  /** Slots join within this many seconds of the start, so devices do not all report at once (per slot). */
  public static final Range JOIN_STAGGER_S = new Range(0, 30);

  /** Failure hazard per device-hour after {@link #MIN_LIFE_S} (per fleet). */
  public static final Range FAILURE_RATE_PER_HOUR = new Range(0.5, 0.8);
  /** Seconds a device runs at least before it can die: room for a full precursor and healthy history. */
  public static final double MIN_LIFE_S = 300;
  /** Seconds after a death until a fresh device takes the slot (per death). */
  public static final Range REPLACEMENT_DELAY_S = new Range(30, 120);
  /** Share of failures that are sudden crashes without precursor (per fleet; at least 0.25). */
  public static final Range CRASH_SHARE = new Range(0.28, 0.38);
  /** Relative weight of battery drain, overheating and memory leak among the other failures (each per fleet). */
  public static final Range MODE_WEIGHT = new Range(1.0, 2.0);
  /** Length of a precursor phase in seconds (per failure). */
  public static final Range PRECURSOR_S = new Range(60, 240);
  /**
   * Shape of a precursor: the signal moves from its healthy value to the deadly one as
   * {@code progress^k}; k below 1 changes fast early, above 1 late (per failure).
   */
  public static final Range SHAPE_EXPONENT = new Range(0.6, 2.5);
  /** Share of overheating failures whose CPU load climbs with the temperature (per fleet). */
  public static final Range OVERHEAT_CPU_SHARE = new Range(0.3, 0.7);
  /** The temperature at which an overheating device dies, °C (per failure). */
  public static final Range CRITICAL_TEMP_C = new Range(75, 95);
  /** The battery level at which a draining device dies, % (per failure). */
  public static final Range BATTERY_DEATH_PCT = new Range(0, 1.5);
  /** The share of memMax in use when a leaking device dies (per failure). */
  public static final Range LEAK_DEATH_FRACTION = new Range(0.985, 1.0);

  /** Charging dips per battery device-hour (per fleet). */
  public static final Range CHARGING_DIP_PER_HOUR = new Range(0.8, 2.0);
  /** How long a charging dip falls, s (per episode). */
  public static final Range CHARGING_DIP_FALL_S = new Range(10, 40);
  /** How far a charging dip falls, percentage points (per episode). */
  public static final Range CHARGING_DIP_DROP_PCT = new Range(6, 18);
  /** How long a charging dip takes to recover, s (per episode). */
  public static final Range CHARGING_DIP_RECOVER_S = new Range(20, 60);
  /** A charging dip happens only at or above this battery level, %. */
  public static final double CHARGING_DIP_MIN_LEVEL = 40;
  /** Heat spikes per device-hour (per fleet). */
  public static final Range HEAT_SPIKE_PER_HOUR = new Range(0.8, 2.0);
  /** How much a heat spike adds, °C (per episode). */
  public static final Range HEAT_SPIKE_C = new Range(10, 25);
  /** How long a heat spike lasts, s (per episode). */
  public static final Range HEAT_SPIKE_S = new Range(5, 30);
  /** Memory spikes per device-hour (per fleet). */
  public static final Range MEMORY_SPIKE_PER_HOUR = new Range(0.8, 2.0);
  /** How much of memMax a memory spike adds (per episode; the total stays below {@link #MEMORY_SPIKE_CAP}). */
  public static final Range MEMORY_SPIKE_FRACTION = new Range(0.15, 0.30);
  /** How long a memory spike lasts, s (per episode). */
  public static final Range MEMORY_SPIKE_S = new Range(5, 20);
  /** The most of memMax a memory spike reaches. */
  public static final double MEMORY_SPIKE_CAP = 0.92;

  /** Healthy CPU load level (per device). */
  public static final Range CPU_BASE = new Range(0.08, 0.40);
  /** Noise on CPU load readings, standard deviation (per fleet). */
  public static final Range CPU_NOISE = new Range(0.02, 0.05);
  /** Healthy temperature, °C (per device). */
  public static final Range TEMP_BASE_C = new Range(28, 45);
  /** Amplitude of the slow daily-like temperature swing, °C (per device; period 30–90 min). */
  public static final Range TEMP_SWING_C = new Range(0.5, 3);
  /** Noise on temperature readings, standard deviation °C (per fleet). */
  public static final Range TEMP_NOISE_C = new Range(0.3, 0.8);
  /** Battery level a device starts with, % (per device). */
  public static final Range BATTERY_START_PCT = new Range(45, 100);
  /** Normal battery drain, percentage points per hour (per device). */
  public static final Range BATTERY_DRAIN_PER_HOUR = new Range(1, 4);
  /** Noise on battery readings, standard deviation percentage points (per fleet). */
  public static final Range BATTERY_NOISE_PCT = new Range(0.1, 0.4);
  /** Share of memMax a device uses right after a garbage collection (per device). */
  public static final Range MEM_FLOOR = new Range(0.25, 0.45);
  /** How much of memMax the GC-like sawtooth climbs before it drops (per device). */
  public static final Range MEM_SAWTOOTH = new Range(0.10, 0.25);
  /** Period of the GC-like sawtooth, s (per device; each cycle ±30 %). */
  public static final Range MEM_SAWTOOTH_S = new Range(20, 90);
  /** Noise on memory readings, standard deviation as a share of memMax (per fleet). */
  public static final Range MEM_NOISE = new Range(0.005, 0.015);

  /**
   * Class {@code sensor-a}: battery powered, heartbeat every 1000 ms with small Gaussian jitter
   * and occasional Wi-Fi-like delay bursts (several seconds in which every heartbeat is late by
   * hundreds of ms).
   */
  public static final DeviceClass SENSOR_A = new DeviceClass("sensor-a", 0.55, 1000, 64L << 20, 0.0,
      new Range(8, 25), new Range(3, 10), new Range(2, 6), new Range(0, 0), new Range(100, 300),
      new Range(2, 6), new Range(3, 15), new Range(150, 600));
  /**
   * Class {@code sensor-b}: heartbeat every 500 ms with heavier jitter and a long tail of late
   * heartbeats; some are mains powered (no battery reading).
   */
  public static final DeviceClass SENSOR_B = new DeviceClass("sensor-b", 0.45, 500, 256L << 20, 0.3,
      new Range(30, 70), new Range(5, 15), new Range(15, 40), new Range(0.02, 0.05), new Range(100, 400),
      new Range(1, 3), new Range(2, 8), new Range(100, 300));
  /** The device classes, in slot assignment order. */
  public static final List<DeviceClass> CLASSES = List.of(SENSOR_A, SENSOR_B);

  /** Telemetry messages of the speed benchmark's fleet ({@link #speedDraw}), ±5 %. */
  public static final long SPEED_TELEMETRY_MESSAGES = 1_000_000;

  private FleetParameters() {}

  /**
   * One fleet's parameters drawn from {@code seed}: a pure function of the seed.
   */
  public static Draw draw(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long start = EPOCH.toEpochMilli() + (long) START_OFFSET_MIN.draw(r) * 60_000L;
    double crash = CRASH_SHARE.draw(r);
    double wb = MODE_WEIGHT.draw(r);
    double wo = MODE_WEIGHT.draw(r);
    double wm = MODE_WEIGHT.draw(r);
    List<ClassDraw> classes = CLASSES.stream().map(c -> c.draw(r)).toList();
    return new Draw(seed, start, DEVICE_SLOTS, DURATION.toMillis(), FAILURE_RATE_PER_HOUR.draw(r), crash,
        wb, wo, wm, OVERHEAT_CPU_SHARE.draw(r), CHARGING_DIP_PER_HOUR.draw(r), HEAT_SPIKE_PER_HOUR.draw(r),
        MEMORY_SPIKE_PER_HOUR.draw(r), CPU_NOISE.draw(r), TEMP_NOISE_C.draw(r), BATTERY_NOISE_PCT.draw(r),
        MEM_NOISE.draw(r), classes);
  }

  /** The training fleet. */
  public static Draw training() {
    return draw(TRAINING_SEED);
  }

  /** The held-out fleet. */
  public static Draw heldOut() {
    return draw(HELD_OUT_SEED);
  }

  /**
   * The speed benchmark's fleet: {@link #draw(long)} of {@code seed} scaled to one hour and as
   * many slots as give {@link #SPEED_TELEMETRY_MESSAGES} telemetry messages (±5 %; deaths and
   * replacement gaps cost ≈ 1 %).
   */
  public static Draw speedDraw(long seed) {
    long durationMs = Duration.ofHours(1).toMillis();
    int slots = (int) Math.round(SPEED_TELEMETRY_MESSAGES / (durationMs / 1000.0) / 0.985);
    return draw(seed).scaled(slots, Duration.ofMillis(durationMs));
  }

  /**
   * A closed range of doubles.
   *
   * @param min lowest value
   * @param max highest value
   */
  public record Range(double min, double max) {
    public Range {
      if (!(min <= max)) {
        throw new IllegalArgumentException("range min " + min + " above max " + max);
      }
    }

    /** A uniform draw. */
    public double draw(SplittableRandom r) {
      return min == max ? min : min + (max - min) * r.nextDouble();
    }

    @Override
    public String toString() {
      return min == max ? fmt(min) : fmt(min) + "–" + fmt(max);
    }

    private static String fmt(double v) {
      return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
  }

  /**
   * A device class's fixed traits and the ranges its fleet-level parameters are drawn from.
   *
   * @param name the class name devices announce
   * @param share share of the fleet's slots
   * @param heartbeatMs heartbeat interval
   * @param memMaxBytes heap limit
   * @param mainsShare share of the class's devices with no battery
   * @param sendJitterMs standard deviation of a heartbeat's send time around its slot (Gaussian)
   * @param baseDelayMs network delay every heartbeat has
   * @param tailMeanMs mean of the exponential extra delay on top of the base
   * @param longTailShare share of heartbeats with a further long delay
   * @param longTailMs the long delay's range (log-uniform)
   * @param burstsPerHour Wi-Fi-like delay bursts per device-hour
   * @param burstS how long a burst lasts
   * @param burstDelayMs how late heartbeats are during a burst
   */
  public record DeviceClass(String name, double share, int heartbeatMs, long memMaxBytes, double mainsShare,
      Range sendJitterMs, Range baseDelayMs, Range tailMeanMs, Range longTailShare, Range longTailMs,
      Range burstsPerHour, Range burstS, Range burstDelayMs) {
    ClassDraw draw(SplittableRandom r) {
      return new ClassDraw(name, share, heartbeatMs, memMaxBytes, mainsShare, sendJitterMs.draw(r),
          baseDelayMs.draw(r), tailMeanMs.draw(r), longTailShare.draw(r), longTailMs, burstsPerHour.draw(r), burstS,
          burstDelayMs);
    }
  }

  /**
   * A device class's parameters as drawn for one fleet.
   *
   * @param name the class name devices announce
   * @param share share of the fleet's slots
   * @param heartbeatMs heartbeat interval
   * @param memMaxBytes heap limit
   * @param mainsShare share of the class's devices with no battery
   * @param sendJitterMs standard deviation of a heartbeat's send time around its slot
   * @param baseDelayMs network delay every heartbeat has
   * @param tailMeanMs mean of the exponential extra delay
   * @param longTailShare share of heartbeats with a further long delay
   * @param longTailMs the long delay's range (per heartbeat, log-uniform)
   * @param burstsPerHour Wi-Fi-like delay bursts per device-hour
   * @param burstS how long a burst lasts (per burst)
   * @param burstDelayMs how late heartbeats are during a burst (per burst)
   */
  public record ClassDraw(String name, double share, int heartbeatMs, long memMaxBytes, double mainsShare,
      double sendJitterMs, double baseDelayMs, double tailMeanMs, double longTailShare, Range longTailMs,
      double burstsPerHour, Range burstS, Range burstDelayMs) {}

  /**
   * One fleet's parameters, drawn by {@link FleetParameters#draw(long)}.
   *
   * @param seed the seed it was drawn from (also seeds the simulation)
   * @param startMillis simulated wall time of the start
   * @param slots device slots
   * @param durationMs simulated duration
   * @param failureRatePerHour failure hazard per device-hour after the minimum life
   * @param crashShare share of failures that are sudden crashes
   * @param batteryWeight relative weight of battery drain among precursor failures
   * @param overheatWeight relative weight of overheating
   * @param memoryLeakWeight relative weight of memory leaks
   * @param overheatCpuShare share of overheating failures whose CPU load climbs too
   * @param chargingDipsPerHour charging dips per battery device-hour
   * @param heatSpikesPerHour heat spikes per device-hour
   * @param memorySpikesPerHour memory spikes per device-hour
   * @param cpuNoise CPU load noise (standard deviation)
   * @param tempNoiseC temperature noise (standard deviation)
   * @param batteryNoisePct battery noise (standard deviation)
   * @param memNoise memory noise (standard deviation, share of memMax)
   * @param classes the device classes
   */
  public record Draw(long seed, long startMillis, int slots, long durationMs, double failureRatePerHour,
      double crashShare, double batteryWeight, double overheatWeight, double memoryLeakWeight,
      double overheatCpuShare, double chargingDipsPerHour, double heatSpikesPerHour, double memorySpikesPerHour,
      double cpuNoise, double tempNoiseC, double batteryNoisePct, double memNoise, List<ClassDraw> classes) {
    public Draw {
      if (slots < 1) {
        throw new IllegalArgumentException("a fleet needs at least one device slot, got " + slots);
      }
      if (durationMs < 60_000) {
        throw new IllegalArgumentException("a fleet runs at least a minute, got " + durationMs + " ms");
      }
      if (crashShare < 0.25 || crashShare > 1) {
        throw new IllegalArgumentException("crash share must be within [0.25, 1], got " + crashShare);
      }
      classes = List.copyOf(Objects.requireNonNull(classes, "classes"));
    }

    /** The same fleet parameters with another number of slots and duration (the speed benchmark's fleet). */
    public Draw scaled(int slots, Duration duration) {
      return new Draw(seed, startMillis, slots, duration.toMillis(), failureRatePerHour, crashShare, batteryWeight,
          overheatWeight, memoryLeakWeight, overheatCpuShare, chargingDipsPerHour, heatSpikesPerHour,
          memorySpikesPerHour, cpuNoise, tempNoiseC, batteryNoisePct, memNoise, classes);
    }

    /** Simulated wall time of the end. */
    public long endMillis() {
      return startMillis + durationMs;
    }
  }
}
