package io.fogwise.gateway.core.devices;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Clock;
import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.DeviceState;
import io.fogwise.rules.model.Trend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The gateway's live view of its devices, fed by heartbeats and telemetry and read by rules.
 * Each device has its own failure detector; {@link #refreshSuspicion()} turns time since the
 * last heartbeat into the device's suspicion. Time comes only from the injected clock. Not
 * thread-safe: it belongs to the gateway's decision thread.
 */
public final class DeviceRegistry {
  /** Suspicion is published to rules in steps of this size, so idle devices cause no updates. */
  static final double PHI_STEP = 0.1;
  /** At most this many heartbeat intervals per timing report (a report is due every 30 s). */
  static final int MAX_TIMING_SAMPLES = 600;

  private final Clock clock;
  private final PhiAccrualDetector.Settings settings;
  private final Map<String, Entry> devices = new TreeMap<>();
  private final Set<Device> changed = new LinkedHashSet<>();
  /** Start of the gateway's own silence in progress (monotonic ns), or {@link Long#MIN_VALUE}. */
  private long ownSilenceSince = Long.MIN_VALUE;

  public DeviceRegistry(Clock clock, PhiAccrualDetector.Settings settings) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** What a heartbeat meant for the registry. */
  public enum Observation {
    /** A device seen for the first time. */
    JOINED,
    /** A device that was lost is heard from again. */
    RETURNED,
    /** An ordinary heartbeat. */
    ALIVE
  }

  /**
   * Records a heartbeat that arrived at monotonic {@code arrivalNanos} (taken on receipt, before
   * any queueing, so queueing delay does not look like device silence).
   */
  public Observation onHeartbeat(Heartbeat hb, long arrivalNanos) {
    Entry e = devices.get(hb.deviceId());
    Observation obs;
    if (e == null) {
      e = new Entry(new Device(hb.deviceId(), hb.layer(), hb.deviceClass(), hb.labels()),
          new PhiAccrualDetector(settings, Duration.ofMillis(hb.intervalMs())));
      devices.put(hb.deviceId(), e);
      obs = Observation.JOINED;
    } else if (e.device.getState() == DeviceState.LOST) {
      e.detector = new PhiAccrualDetector(settings, Duration.ofMillis(hb.intervalMs()));
      e.device.setState(DeviceState.ALIVE);
      obs = Observation.RETURNED;
    } else {
      obs = Observation.ALIVE;
    }
    if (e.device.getLayer() != hb.layer()
        || !e.device.getDeviceClass().equals(hb.deviceClass())
        || !e.device.getLabels().equals(hb.labels())) {
      e.device.setPlacement(hb.layer(), hb.deviceClass(), hb.labels());
      changed.add(e.device);
    }
    // while the gateway itself is (or was just) deaf, the interval says nothing about the device
    boolean counts = ownSilenceSince == Long.MIN_VALUE;
    e.detector.heartbeat(arrivalNanos, counts);
    if (counts && obs == Observation.ALIVE && e.intervals.size() < MAX_TIMING_SAMPLES) {
      e.intervals.add(Math.max(0, (arrivalNanos - e.lastHeardNanos) / 1_000_000));
    }
    e.lastHeartbeat = hb;
    e.lastHeardNanos = arrivalNanos;
    if (obs != Observation.ALIVE) {
      changed.add(e.device);
    }
    updateSuspicion(e, arrivalNanos);
    return obs;
  }

  /** Records a telemetry reading of a known device; readings of unknown devices are ignored. */
  public boolean onTelemetry(Telemetry t) {
    Entry e = devices.get(t.deviceId());
    if (e == null) {
      return false;
    }
    e.device.setTelemetry(t.cpuLoad(), t.temperatureC(), t.batteryPct());
    Double memory = memoryPct(t);
    e.device.setMemoryPct(memory);
    long now = clock.millis();
    e.cpuTrend.add(now, t.cpuLoad());
    e.temperatureTrend.add(now, t.temperatureC() == null ? Double.NaN : t.temperatureC());
    e.batteryTrend.add(now, t.batteryPct() == null ? Double.NaN : t.batteryPct());
    e.memoryTrend.add(now, memory == null ? Double.NaN : memory);
    e.device.setTrends(e.cpuTrend.perMinute(), e.temperatureTrend.perMinute(), e.batteryTrend.perMinute(),
        e.memoryTrend.perMinute());
    e.lastTelemetry = t;
    changed.add(e.device);
    return true;
  }

  /** Memory in use as a percentage of the limit, rounded to 0.1, or null if the device reports no limit. */
  public static Double memoryPct(Telemetry t) {
    if (t.memMaxBytes() <= 0) {
      return null;
    }
    return Math.round(1000.0 * t.memUsedBytes() / t.memMaxBytes()) / 10.0;
  }

  /**
   * The heartbeat arrival intervals of {@code deviceId} gathered since its last report, if
   * {@code everyMillis} have passed since then (at {@code nowMillis}) and there are any; the
   * gathering starts afresh. Intervals spanning the gateway's own silence are not gathered.
   */
  public List<Long> takeHeartbeatTiming(String deviceId, long nowMillis, long everyMillis) {
    Entry e = devices.get(deviceId);
    if (e == null) {
      return List.of();
    }
    if (e.timingSince == Long.MIN_VALUE) {
      e.timingSince = nowMillis;
    }
    if (nowMillis - e.timingSince < everyMillis || e.intervals.isEmpty()) {
      return List.of();
    }
    List<Long> out = List.copyOf(e.intervals);
    e.intervals.clear();
    e.timingSince = nowMillis;
    return out;
  }

  /** Recomputes every device's suspicion at the clock's now; changed devices become dirty. */
  public void refreshSuspicion() {
    refreshSuspicion(clock.nanos());
  }

  /**
   * Recomputes every device's suspicion at monotonic {@code referenceNanos} (when the decision
   * tick was requested: every heartbeat that arrived before it has been taken in, so the
   * gateway's own queueing never counts as silence); changed devices become dirty.
   */
  public void refreshSuspicion(long referenceNanos) {
    survey(referenceNanos, Double.POSITIVE_INFINITY);
    publishSuspicion();
  }

  /** How many alive devices there are and how many of them are silent, as of a {@link #survey}. */
  public record Silence(int alive, int silent) {}

  /**
   * Computes every device's suspicion at monotonic {@code referenceNanos} without showing it to
   * rules yet ({@link #publishSuspicion} does): the gateway first looks at how many alive devices
   * have a suspicion of at least {@code silentPhi}, to tell its own partition from device deaths.
   */
  public Silence survey(long referenceNanos, double silentPhi) {
    int alive = 0;
    int silent = 0;
    for (Entry e : devices.values()) {
      e.phiNow = stepped(e.detector.phi(referenceNanos));
      e.silenceNow = e.detector.silenceMillis(referenceNanos);
      if (e.device.getState() == DeviceState.ALIVE) {
        alive++;
        if (e.phiNow >= silentPhi) {
          silent++;
        }
      }
    }
    return new Silence(alive, silent);
  }

  /** Shows rules the suspicion computed by the last {@link #survey}; changed devices become dirty. */
  public void publishSuspicion() {
    for (Entry e : devices.values()) {
      if (e.phiNow != e.device.getPhi()) {
        e.device.setSuspicion(e.phiNow, e.silenceNow);
        changed.add(e.device);
      }
    }
  }

  /**
   * The gateway stopped listening at {@code sinceNanos} (its NATS link went down, or it was
   * paused): until {@link #ownSilenceEnded}, heartbeat intervals are not learned, and intervals
   * already learned that span that moment are cut to the part before it.
   */
  public void ownSilenceBegan(long sinceNanos) {
    if (ownSilenceSince != Long.MIN_VALUE) {
      return;
    }
    ownSilenceSince = sinceNanos;
    for (Entry e : devices.values()) {
      e.detector.ownSilenceBegan(sinceNanos);
    }
  }

  /**
   * The gateway's own silence from {@code fromNanos} to {@code toNanos} is over: it is discounted
   * from every device's silence (a device not heard since before it is judged as if that time had
   * not passed), and intervals are learned again.
   */
  public void ownSilenceEnded(long fromNanos, long toNanos) {
    ownSilenceSince = Long.MIN_VALUE;
    for (Entry e : devices.values()) {
      e.detector.discount(fromNanos, toNanos);
    }
  }

  private void updateSuspicion(Entry e, long nowNanos) {
    double stepped = stepped(e.detector.phi(nowNanos));
    if (stepped != e.device.getPhi()) {
      e.device.setSuspicion(stepped, e.detector.silenceMillis(nowNanos));
      changed.add(e.device);
    }
  }

  private static double stepped(double phi) {
    double stepped = Math.floor(Math.min(phi, 1000) / PHI_STEP) * PHI_STEP;
    return Math.round(stepped * 10) / 10.0;
  }

  /** Marks a device lost (a rule decided so). Returns false if unknown or already lost. */
  public boolean markLost(String deviceId) {
    Entry e = devices.get(deviceId);
    if (e == null || e.device.getState() == DeviceState.LOST) {
      return false;
    }
    e.device.setState(DeviceState.LOST);
    changed.add(e.device);
    return true;
  }

  /** Sets the number of instances placed on a device (for rules and least-loaded placement). */
  public void setInstanceCount(String deviceId, int n) {
    Entry e = devices.get(deviceId);
    if (e != null && e.device.getInstances() != n) {
      e.device.setInstances(n);
      changed.add(e.device);
    }
  }

  /** Quarantines or releases a device; returns whether anything changed. */
  public boolean setQuarantined(String deviceId, boolean quarantined) {
    Entry e = devices.get(deviceId);
    if (e == null || e.device.isQuarantined() == quarantined) {
      return false;
    }
    e.device.setQuarantined(quarantined);
    changed.add(e.device);
    return true;
  }

  /** A command to the device got no reply in time. */
  public void commandFailed(String deviceId) {
    Entry e = devices.get(deviceId);
    if (e != null) {
      e.device.setCommandFailures(e.device.getCommandFailures() + 1);
      changed.add(e.device);
    }
  }

  /** The device answered a command (successfully or not): it is responsive. */
  public void commandAnswered(String deviceId) {
    Entry e = devices.get(deviceId);
    if (e != null && e.device.getCommandFailures() != 0) {
      e.device.setCommandFailures(0);
      changed.add(e.device);
    }
  }

  /**
   * Registers a device known from durable state before it has been heard from, as if it had
   * just sent a heartbeat: if it stays silent, it is suspected like any other device.
   */
  public void expect(String deviceId, io.fogwise.protocol.Layer layer, String deviceClass, Map<String, String> labels,
      long nowNanos) {
    if (devices.containsKey(deviceId)) {
      return;
    }
    Entry e = new Entry(new Device(deviceId, layer, deviceClass, labels),
        new PhiAccrualDetector(settings, Duration.ofMillis(200)));
    e.detector.heartbeat(nowNanos);
    devices.put(deviceId, e);
    changed.add(e.device);
  }

  /** Devices changed since the last call, in id order of first change; clears the set. */
  public List<Device> drainChanged() {
    List<Device> out = new ArrayList<>(changed);
    changed.clear();
    return out;
  }

  /** The device, or null. */
  public Device get(String deviceId) {
    Entry e = devices.get(deviceId);
    return e == null ? null : e.device;
  }

  /** All devices, in id order. */
  public Collection<Device> all() {
    List<Device> out = new ArrayList<>(devices.size());
    devices.values().forEach(e -> out.add(e.device));
    return out;
  }

  /** The instances a device reported in its latest heartbeat. */
  public List<InstanceReport> reportedInstances(String deviceId) {
    Entry e = devices.get(deviceId);
    return e == null || e.lastHeartbeat == null ? List.of() : e.lastHeartbeat.instances();
  }

  /** The kinds a device announced in its latest heartbeat; empty when it did not say (unknown). */
  public List<String> kinds(String deviceId) {
    Entry e = devices.get(deviceId);
    return e == null || e.lastHeartbeat == null ? List.of() : e.lastHeartbeat.kinds();
  }

  /** Latest telemetry of a device, or null. */
  public Telemetry lastTelemetry(String deviceId) {
    Entry e = devices.get(deviceId);
    return e == null ? null : e.lastTelemetry;
  }

  /** Learned mean heartbeat interval of a device in ms, or NaN if unknown. */
  public double meanIntervalMillis(String deviceId) {
    Entry e = devices.get(deviceId);
    return e == null ? Double.NaN : e.detector.mean();
  }

  /** Device counts by state, every state present. */
  public Map<DeviceState, Integer> countsByState() {
    Map<DeviceState, Integer> m = new EnumMap<>(DeviceState.class);
    for (DeviceState s : DeviceState.values()) {
      m.put(s, 0);
    }
    devices.values().forEach(e -> m.merge(e.device.getState(), 1, Integer::sum));
    return Collections.unmodifiableMap(m);
  }

  public int size() {
    return devices.size();
  }

  private static final class Entry {
    final Device device;
    PhiAccrualDetector detector;
    Heartbeat lastHeartbeat;
    Telemetry lastTelemetry;
    long lastHeardNanos;
    final Trend cpuTrend = new Trend();
    final Trend temperatureTrend = new Trend();
    final Trend batteryTrend = new Trend();
    final Trend memoryTrend = new Trend();
    /** Heartbeat arrival intervals (ms) since the last timing report, and when that was (ms). */
    final List<Long> intervals = new ArrayList<>();
    long timingSince = Long.MIN_VALUE;
    double phiNow;
    long silenceNow;

    Entry(Device device, PhiAccrualDetector detector) {
      this.device = device;
      this.detector = detector;
    }
  }
}
