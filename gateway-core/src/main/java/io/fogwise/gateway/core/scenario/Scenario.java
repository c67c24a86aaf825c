package io.fogwise.gateway.core.scenario;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A rule test: given devices, services and parameters, a timeline of what happens (heartbeats
 * stop, a device gets hot, latency degrades), the actions the rules must take (with time
 * tolerances) and the actions they must never take. Written in YAML ({@link ScenarioFiles}) or
 * built in Java with {@link #named(String)}; run by {@link ScenarioRunner}.
 *
 * @param name what the scenario shows
 * @param source the file it came from, or null
 * @param duration how much scenario time to run
 * @param tick the evaluation period (the gateway's decision cycle)
 * @param parameters policy parameters
 * @param devices the devices
 * @param services the declared services
 * @param instances instances running at the start (services without any are placed at the start)
 * @param timeline what happens, in time order
 * @param expected actions that must happen
 * @param never actions that must not happen
 */
public record Scenario(
    String name,
    String source,
    long duration,
    long tick,
    Map<String, String> parameters,
    List<DeviceDecl> devices,
    List<ServiceSpec> services,
    List<InstanceDecl> instances,
    List<Event> timeline,
    List<Expectation> expected,
    List<Expectation> never) {

  /** The default evaluation period: the gateway's 25 ms decision cycle, doubled for speed. */
  public static final long DEFAULT_TICK_MS = 50;

  public Scenario {
    Objects.requireNonNull(name, "name");
    if (duration <= 0) {
      throw new IllegalArgumentException("duration must be > 0");
    }
    if (tick <= 0 || tick > 1000) {
      throw new IllegalArgumentException("tick must be within (0, 1s], got " + tick + " ms");
    }
    parameters = Map.copyOf(parameters);
    devices = List.copyOf(devices);
    services = List.copyOf(services);
    instances = List.copyOf(instances);
    List<Event> sorted = new ArrayList<>(timeline);
    sorted.sort((a, b) -> Long.compare(a.atMillis(), b.atMillis()));
    timeline = List.copyOf(sorted);
    expected = List.copyOf(expected);
    never = List.copyOf(never);
  }

  /**
   * A device.
   *
   * @param id device id
   * @param layer its layer
   * @param deviceClass class for per-class parameters
   * @param labels placement labels
   * @param heartbeatMs heartbeat interval
   * @param telemetryMs telemetry interval
   * @param temperatureC initial temperature, or null
   * @param batteryPct initial battery, or null
   * @param cpuLoad initial CPU load
   * @param startMs how long a start takes on this device (the instance is STARTING meanwhile)
   * @param refuseStarts why this device refuses every start, or null if it accepts them
   */
  public record DeviceDecl(String id, Layer layer, String deviceClass, Map<String, String> labels, long heartbeatMs,
      long telemetryMs, Double temperatureC, Double batteryPct, double cpuLoad, long startMs, String refuseStarts) {
    public DeviceDecl {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(layer, "layer");
      deviceClass = deviceClass == null ? "default" : deviceClass;
      labels = Map.copyOf(labels);
      if (startMs < 0) {
        throw new IllegalArgumentException("startMs must not be negative: " + startMs);
      }
    }

    /** A device whose starts take no time and succeed. */
    public DeviceDecl(String id, Layer layer, String deviceClass, Map<String, String> labels, long heartbeatMs,
        long telemetryMs, Double temperatureC, Double batteryPct, double cpuLoad) {
      this(id, layer, deviceClass, labels, heartbeatMs, telemetryMs, temperatureC, batteryPct, cpuLoad, 0, null);
    }
  }

  /** An instance running at the start: {@code service} on {@code device}, of {@code version} (null: the spec's). */
  public record InstanceDecl(String service, String device, String version) {}

  /** Something that happens at a time. */
  public sealed interface Event {
    long atMillis();
  }

  /** A device's heartbeats stop (a crash, a cut link). */
  public record HeartbeatsStop(long atMillis, String device) implements Event {}

  /** A device's heartbeats resume (it comes back). */
  public record HeartbeatsResume(long atMillis, String device) implements Event {}

  /** From now on the device's telemetry reports these values (null fields keep theirs). */
  public record TelemetryChange(long atMillis, String device, Double temperatureC, Double batteryPct, Double cpuLoad,
      Double memoryPct) implements Event {
    /** Without a memory reading. */
    public TelemetryChange(long atMillis, String device, Double temperatureC, Double batteryPct, Double cpuLoad) {
      this(atMillis, device, temperatureC, batteryPct, cpuLoad, null);
    }
  }

  /** An instance's output stalls from now on (it hangs but stays up). */
  public record Stall(long atMillis, String service, String device) implements Event {}

  /**
   * A subscriber reports the latency of a service, once or every {@code everyMs} until {@code untilMillis}.
   */
  public record LatencyReport(long atMillis, String service, String subscriber, long p50Micros, long p99Micros,
      long everyMs, long untilMillis) implements Event {}

  /** An operator applies a new spec. */
  public record ApplyService(long atMillis, ServiceSpec spec) implements Event {}

  /** A parameter changes (e.g. pushed by the cloud). */
  public record SetParameter(long atMillis, String key, String value) implements Event {}

  /** Starts a scenario in Java. */
  public static Builder named(String name) {
    return new Builder(name);
  }

  /** Builds a {@link Scenario} in Java; times are durations like {@code "2s"} or {@code "250ms"}. */
  public static final class Builder {
    private final String name;
    private long duration = 30_000;
    private long tick = DEFAULT_TICK_MS;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private final List<DeviceDecl> devices = new ArrayList<>();
    private final List<ServiceSpec> services = new ArrayList<>();
    private final List<InstanceDecl> instances = new ArrayList<>();
    private final List<Event> timeline = new ArrayList<>();
    private final List<Expectation> expected = new ArrayList<>();
    private final List<Expectation> never = new ArrayList<>();

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    public Builder runFor(String d) {
      this.duration = Durations.parse(d);
      return this;
    }

    public Builder tick(String d) {
      this.tick = Durations.parse(d);
      return this;
    }

    public Builder parameter(String key, String value) {
      parameters.put(key, value);
      return this;
    }

    public Builder device(String id, Layer layer) {
      return device(id, layer, Map.of());
    }

    public Builder device(String id, Layer layer, Map<String, String> labels) {
      devices.add(new DeviceDecl(id, layer, null, labels, 200, 1000, null, null, 0.1));
      return this;
    }

    public Builder device(DeviceDecl d) {
      devices.add(d);
      return this;
    }

    public Builder service(ServiceSpec spec) {
      services.add(spec);
      return this;
    }

    public Builder instance(String service, String device) {
      instances.add(new InstanceDecl(service, device, null));
      return this;
    }

    public Builder instance(String service, String device, String version) {
      instances.add(new InstanceDecl(service, device, version));
      return this;
    }

    public Builder heartbeatsStop(String at, String device) {
      timeline.add(new HeartbeatsStop(Durations.parse(at), device));
      return this;
    }

    public Builder heartbeatsResume(String at, String device) {
      timeline.add(new HeartbeatsResume(Durations.parse(at), device));
      return this;
    }

    public Builder temperature(String at, String device, double celsius) {
      timeline.add(new TelemetryChange(Durations.parse(at), device, celsius, null, null));
      return this;
    }

    public Builder stall(String at, String service, String device) {
      timeline.add(new Stall(Durations.parse(at), service, device));
      return this;
    }

    public Builder latency(String at, String service, String subscriber, long p99Ms, String every, String until) {
      timeline.add(new LatencyReport(Durations.parse(at), service, subscriber, p99Ms * 500, p99Ms * 1000,
          every == null ? 0 : Durations.parse(every), until == null ? Long.MAX_VALUE : Durations.parse(until)));
      return this;
    }

    public Builder apply(String at, ServiceSpec spec) {
      timeline.add(new ApplyService(Durations.parse(at), spec));
      return this;
    }

    public Builder setParameter(String at, String key, String value) {
      timeline.add(new SetParameter(Durations.parse(at), key, value));
      return this;
    }

    public Builder expect(Expectation e) {
      expected.add(e);
      return this;
    }

    public Builder expect(Expectation.Builder e) {
      return expect(e.build());
    }

    public Builder never(Expectation e) {
      never.add(e);
      return this;
    }

    public Builder never(Expectation.Builder e) {
      return never(e.build());
    }

    public Scenario build() {
      return new Scenario(name, null, duration, tick, parameters, devices, services, instances, timeline, expected, never);
    }
  }
}
