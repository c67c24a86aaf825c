package io.fogwise.testbed.chaos;

import io.fogwise.gateway.GatewayConfig;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Issue 11's invariants, checked from outside: fed by the chaos harness with what it did (a
 * process killed, a link cut, the hub back) and what an independent subscriber saw (heartbeats,
 * data messages, the gateway's status and placements), each with its System.nanoTime. Pure and
 * clock-free, so tests drive it with made-up times.
 *
 * <ul>
 *   <li>{@link Invariant#DOUBLE_PRIMARY}: messages of an older epoch of the primary service keep
 *       arriving after a newer epoch's first message for longer than
 *       {@link #DOUBLE_PRIMARY_ALLOWANCE}.
 *   <li>{@link Invariant#UNPLACED}: the gateway reports no placement for a service for longer
 *       than {@link #RECOVERY_BUDGET} while an eligible device is available with the gateway and
 *       hub up (timed from the later of the two).
 *   <li>{@link Invariant#NOT_RUNNING}: no available device reports a service RUNNING for longer
 *       than {@link #RECOVERY_BUDGET}, timed the same way.
 * </ul>
 *
 * "Available" is seen, not assumed: a device is available from its first heartbeat received after
 * it was (re)started or its link restored, and after the hub came back; it stops being available
 * when the harness kills or cuts it, when the hub goes down, or after {@link #STALE_AFTER} without a
 * heartbeat. The gateway is up from its first status received after it was started and the hub was
 * up. While the hub is down nothing can be observed, so what devices last reported running is kept.
 * Checking starts once every service has run (the app's start-up is not an outage).
 */
public final class InvariantMonitor {
  /** Issue 11: a service runs again within 2 s of an eligible device being available, gateway and hub up. */
  public static final Duration RECOVERY_BUDGET = Duration.ofSeconds(2);

  /** One pass of the gateway's decision loop, in which it sees the returning primary's heartbeat and fences it. */
  public static final Duration DECISION_CYCLE = GatewayConfig.DEFAULT_TICK;

  /**
   * The stop command's round trip: the gateway's request on {@code fw.cmd.<device>}, the agent
   * stopping its publisher thread, the last message it had in flight reaching the hub. A loopback
   * NATS request takes ≈ 0.3 ms (p99 1.7 ms) and {@code FencingIT} saw 2–14 ms from the fence to
   * the last stale message, but the chaos run keeps about eight JVMs on two cores, where a
   * thread waits tens of milliseconds for a core; 100 ms covers that without hiding a missed fence
   * (the next chance would be a whole heartbeat, 200 ms, later).
   */
  public static final Duration STOP_ROUND_TRIP = Duration.ofMillis(100);

  /** How long two epochs of the primary may both produce: one decision cycle plus a stop round trip. */
  public static final Duration DOUBLE_PRIMARY_ALLOWANCE = DECISION_CYCLE.plus(STOP_ROUND_TRIP);

  /**
   * A device silent this long is no longer counted available: five heartbeat intervals, above the
   * 600 ms gaps healthy agents showed with both cores loaded (false-detection benchmark).
   */
  public static final Duration STALE_AFTER = Duration.ofSeconds(1);

  /** What was breached. */
  public enum Invariant {
    DOUBLE_PRIMARY,
    UNPLACED,
    NOT_RUNNING
  }

  /**
   * One breach.
   *
   * @param invariant which
   * @param atNanos when it was seen (System.nanoTime)
   * @param service the service concerned
   * @param message one line: what, since when, why it counts
   */
  public record Breach(Invariant invariant, long atNanos, String service, String message) {}

  /** A device as the harness started it. */
  public record Device(String id, Layer layer, Map<String, String> labels) {
    public Device {
      Objects.requireNonNull(id, "id");
      labels = Map.copyOf(labels);
    }

    boolean eligibleFor(ServiceSpec spec) {
      ServiceSpec.Placement p = spec.placement();
      return (p.layer() == null || p.layer() == layer)
          && p.labels().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
  }

  private final long t0;
  private final String primary;
  private final Map<String, ServiceSpec> specs = new LinkedHashMap<>();
  private final Map<String, DeviceState> devices = new LinkedHashMap<>();
  private final Map<String, ServiceState> services = new LinkedHashMap<>();
  private final List<Breach> breaches = new ArrayList<>();
  private final List<Long> recoveryNanos = new ArrayList<>();

  /** Set once every service ran: the app's start-up is not an outage. */
  private boolean armed;
  private boolean hubUp = true;
  private long hubUpSince;
  private boolean gatewayAlive = true;
  private boolean gatewayUp;
  private long gatewayUpSince = -1;
  private long gatewayLaunchedAtMillis;

  private long maxEpoch = -1;
  private final Map<Long, Long> staleFirst = new HashMap<>();
  private final Set<Long> staleBreached = new HashSet<>();
  private long longestDoublePrimary;
  private long doublePrimaryWindows;

  /**
   * @param specs the declared services
   * @param devices the devices the harness runs
   * @param primary the service whose epochs must not overlap (the publisher)
   * @param startNanos when checking starts; the hub is up, the gateway was launched at
   *     {@code gatewayLaunchedAtMillis} (wall time) and is up from its next status
   */
  public InvariantMonitor(List<ServiceSpec> specs, List<Device> devices, String primary, long startNanos,
      long gatewayLaunchedAtMillis) {
    this.t0 = startNanos;
    this.primary = Objects.requireNonNull(primary, "primary");
    this.hubUpSince = startNanos;
    this.gatewayLaunchedAtMillis = gatewayLaunchedAtMillis;
    specs.forEach(s -> {
      this.specs.put(s.name(), s);
      services.put(s.name(), new ServiceState());
    });
    if (!this.specs.containsKey(primary)) {
      throw new IllegalArgumentException("primary service " + primary + " is not among the specs " + this.specs.keySet());
    }
    devices.forEach(d -> this.devices.put(d.id(), new DeviceState(d, startNanos)));
  }

  // ---- what the harness did ------------------------------------------------------------------

  /** The hub was killed. */
  public synchronized void hubDown(long t) {
    hubUp = false;
    gatewayUp = false;
    devices.values().forEach(d -> d.availableSince = -1);
    check(t);
  }

  /** The hub listens again. */
  public synchronized void hubUp(long t) {
    hubUp = true;
    hubUpSince = t;
    check(t);
  }

  /** The gateway process was killed. */
  public synchronized void gatewayDown(long t) {
    gatewayAlive = false;
    gatewayUp = false;
    services.values().forEach(s -> {
      s.placements = -1;
      s.unplacedSince = -1;
    });
    check(t);
  }

  /** A gateway process was started at {@code wallMillis}; it is up from its first status. */
  public synchronized void gatewayLaunched(long wallMillis) {
    gatewayAlive = true;
    gatewayLaunchedAtMillis = wallMillis;
  }

  /** A device's process was killed or its link cut. */
  public synchronized void deviceDown(String id, long t) {
    DeviceState d = device(id);
    d.down = true;
    d.availableSince = -1;
    d.running = Set.of();
    check(t);
  }

  /** A device's process was started again or its link restored. */
  public synchronized void deviceBack(String id, long t) {
    DeviceState d = device(id);
    d.down = false;
    d.backSince = t;
    d.availableSince = -1;
    check(t);
  }

  // ---- what the observer saw -----------------------------------------------------------------

  /** A status of the gateway, from a process started at {@code startedAtMillis}. */
  public synchronized void gatewayStatus(long startedAtMillis, long t) {
    if (gatewayAlive && hubUp && !gatewayUp && startedAtMillis >= gatewayLaunchedAtMillis) {
      gatewayUp = true;
      gatewayUpSince = t;
    }
    check(t);
  }

  /** A heartbeat of a device, with the services it reports RUNNING. */
  public synchronized void heartbeat(String id, Set<String> running, long t) {
    DeviceState d = devices.get(id);
    if (d == null || d.down || !hubUp) {
      return; // not ours, or in flight from before a kill or cut
    }
    d.lastHeartbeat = t;
    if (d.availableSince < 0) {
      d.availableSince = t;
    }
    d.running = Set.copyOf(running);
    check(t);
  }

  /** How many placements the gateway reports for a service (its HTTP API). */
  public synchronized void placements(String service, int count, long t) {
    ServiceState s = services.get(service);
    if (s == null || !gatewayUp) {
      return;
    }
    s.placements = count;
    if (count == 0) {
      if (s.unplacedSince < 0) {
        s.unplacedSince = t;
      }
    } else {
      s.unplacedSince = -1;
      s.unplacedBreached = false;
    }
    check(t);
  }

  /** A message of the primary service with its epoch, received at {@code t}. */
  public synchronized void dataMessage(long epoch, long t) {
    if (epoch > maxEpoch) {
      maxEpoch = epoch;
      return;
    }
    if (epoch == maxEpoch) {
      return;
    }
    long first = staleFirst.computeIfAbsent(epoch, e -> {
      doublePrimaryWindows++;
      return t;
    });
    long window = t - first;
    longestDoublePrimary = Math.max(longestDoublePrimary, window);
    if (window > DOUBLE_PRIMARY_ALLOWANCE.toNanos() && staleBreached.add(epoch)) {
      breaches.add(new Breach(Invariant.DOUBLE_PRIMARY, t, primary, String.format(
          "two primaries: epoch %d of %s still producing %d ms after epoch %d began (allowance %d ms = decision "
              + "cycle %d ms + stop round trip %d ms)", epoch, primary, window / 1_000_000, maxEpoch,
          DOUBLE_PRIMARY_ALLOWANCE.toMillis(), DECISION_CYCLE.toMillis(), STOP_ROUND_TRIP.toMillis())));
    }
  }

  // ---- checking ------------------------------------------------------------------------------

  /** Checks the time-based invariants at {@code t}; returns the first breach of the run, if any. */
  public synchronized Optional<Breach> check(long t) {
    for (DeviceState d : devices.values()) {
      if (hubUp && !d.down) {
        long ref = Math.max(Math.max(d.lastHeartbeat, hubUpSince), d.backSince);
        if (t - ref > STALE_AFTER.toNanos()) {
          d.availableSince = -1;
          d.running = Set.of();
        }
      }
    }
    if (!armed) {
      armed = allRunning();
      if (!armed) {
        return firstBreach();
      }
    }
    for (Map.Entry<String, ServiceState> e : services.entrySet()) {
      String name = e.getKey();
      ServiceState s = e.getValue();
      DeviceState readyBy = readyBy(specs.get(name));
      long ready = readyBy == null ? -1 : Math.max(Math.max(hubUpSince, gatewayUpSince), readyBy.availableSince);
      if (ready >= 0 && s.unplacedSince >= 0 && !s.unplacedBreached) {
        long from = Math.max(s.unplacedSince, ready);
        if (t - from > RECOVERY_BUDGET.toNanos()) {
          s.unplacedBreached = true;
          breaches.add(new Breach(Invariant.UNPLACED, t, name, String.format(
              "service %s has had no placement for %d ms while %s was available with the gateway and hub up "
                  + "(unplaced since %s, all up since %s; budget %d ms)", name, (t - s.unplacedSince) / 1_000_000,
              readyBy.device.id(), at(s.unplacedSince), at(ready), RECOVERY_BUDGET.toMillis())));
        }
      }
      boolean running = devices.values().stream().anyMatch(d -> !d.down && d.running.contains(name));
      if (running) {
        if (s.notRunningSince >= 0 && ready >= 0) {
          recoveryNanos.add(Math.max(0, t - Math.max(s.notRunningSince, ready)));
        }
        s.notRunningSince = -1;
        s.notRunningBreached = false;
      } else {
        if (s.notRunningSince < 0) {
          s.notRunningSince = t;
        }
        if (ready >= 0 && !s.notRunningBreached && t - Math.max(s.notRunningSince, ready) > RECOVERY_BUDGET.toNanos()) {
          s.notRunningBreached = true;
          breaches.add(new Breach(Invariant.NOT_RUNNING, t, name, String.format(
              "service %s not running for %d ms while %s was available with the gateway and hub up "
                  + "(not running since %s, all up since %s; budget %d ms)", name, (t - s.notRunningSince) / 1_000_000,
              readyBy.device.id(), at(s.notRunningSince), at(ready), RECOVERY_BUDGET.toMillis())));
        }
      }
    }
    return firstBreach();
  }

  /** The eligible available device available longest, if the gateway and hub are up. */
  private DeviceState readyBy(ServiceSpec spec) {
    if (!hubUp || !gatewayUp) {
      return null;
    }
    DeviceState best = null;
    for (DeviceState d : devices.values()) {
      if (!d.down && d.availableSince >= 0 && d.device.eligibleFor(spec)
          && (best == null || d.availableSince < best.availableSince)) {
        best = d;
      }
    }
    return best;
  }

  private String at(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.3fs", (nanos - t0) / 1e9);
  }

  public synchronized Optional<Breach> firstBreach() {
    return breaches.isEmpty() ? Optional.empty() : Optional.of(breaches.get(0));
  }

  public synchronized List<Breach> breaches() {
    return List.copyOf(breaches);
  }

  /** Each recovery: from the later of (service stopped running, all needed up) to running again, ms. */
  public synchronized List<Long> recoveryMillis() {
    return recoveryNanos.stream().map(n -> n / 1_000_000).toList();
  }

  /** The longest time an older epoch of the primary kept arriving after a newer one began, ms. */
  public synchronized long longestDoublePrimaryMillis() {
    return longestDoublePrimary / 1_000_000;
  }

  /** How many older epochs were seen producing after a newer one began. */
  public synchronized long doublePrimaryWindows() {
    return doublePrimaryWindows;
  }

  /** Whether every service is running now (as last seen). */
  public synchronized boolean allRunning() {
    return services.keySet().stream()
        .allMatch(name -> devices.values().stream().anyMatch(d -> !d.down && d.running.contains(name)));
  }

  private DeviceState device(String id) {
    DeviceState d = devices.get(id);
    if (d == null) {
      throw new IllegalArgumentException("no device " + id + " in this run");
    }
    return d;
  }

  private static final class DeviceState {
    final Device device;
    boolean down;
    long backSince;
    long lastHeartbeat = -1;
    long availableSince = -1;
    Set<String> running = Set.of();

    DeviceState(Device device, long t) {
      this.device = device;
      this.backSince = t;
    }
  }

  private static final class ServiceState {
    long notRunningSince = -1;
    boolean notRunningBreached;
    int placements = -1;
    long unplacedSince = -1;
    boolean unplacedBreached;
  }
}
