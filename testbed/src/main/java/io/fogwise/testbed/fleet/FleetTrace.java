package io.fogwise.testbed.fleet;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * A simulated fleet, made by {@link FleetSimulator#generate}: its devices ({@link DeviceTrace})
 * and the events their gateways would have published, with the hidden labels the benchmark
 * scores against.
 *
 * <p>{@link #messages()} is what a real fleet would put on NATS, in time order: the devices'
 * telemetry and the gateways' adaptation events. Labels are never part of it.
 */
public final class FleetTrace {
  private final FleetParameters.Draw draw;
  private final List<DeviceTrace> devices;
  private final Map<String, List<AdaptationEvent>> events;

  FleetTrace(FleetParameters.Draw draw, List<DeviceTrace> devices, Map<String, List<AdaptationEvent>> events) {
    this.draw = Objects.requireNonNull(draw, "draw");
    this.devices = List.copyOf(devices);
    Map<String, List<AdaptationEvent>> copy = new TreeMap<>();
    events.forEach((gw, list) -> copy.put(gw, List.copyOf(list)));
    this.events = Collections.unmodifiableMap(copy);
  }

  /** The parameters it was generated from. */
  public FleetParameters.Draw draw() {
    return draw;
  }

  /** Simulated wall time of the start. */
  public long startMillis() {
    return draw.startMillis();
  }

  /** Simulated wall time of the end: nothing happens at or after it. */
  public long endMillis() {
    return draw.endMillis();
  }

  /** Every device that took part, in order of joining. */
  public List<DeviceTrace> devices() {
    return devices;
  }

  /** The gateways' ids. */
  public List<String> gateways() {
    return List.copyOf(events.keySet());
  }

  /** The adaptation events gateway {@code gatewayId} would have published, in {@code seq} order. */
  public List<AdaptationEvent> events(String gatewayId) {
    return events.getOrDefault(gatewayId, List.of());
  }

  /** Every failure: deaths during the fleet's run, in time order. */
  public List<Failure> failures() {
    List<Failure> out = new ArrayList<>();
    for (DeviceTrace d : devices) {
      if (d.failureMode().isPresent()) {
        out.add(new Failure(d.deviceId(), d.gatewayId(), d.deviceClass(), d.failureMode().get(),
            d.precursorStartMillis(), d.deathMillis().getAsLong(), d.lostMillis()));
      }
    }
    out.sort((a, b) -> Long.compare(a.deathMillis(), b.deathMillis()));
    return out;
  }

  /** The failures with a precursor ({@code true}) or the sudden crashes ({@code false}). */
  public List<Failure> failures(boolean withPrecursor) {
    return failures().stream().filter(f -> f.mode().hasPrecursor() == withPrecursor).toList();
  }

  /** Telemetry messages in the trace. */
  public long telemetryCount() {
    long n = 0;
    for (DeviceTrace d : devices) {
      n += d.telemetryCount();
    }
    return n;
  }

  /** Adaptation events in the trace. */
  public long eventCount() {
    long n = 0;
    for (List<AdaptationEvent> list : events.values()) {
      n += list.size();
    }
    return n;
  }

  /** Every message the fleet publishes, in time order (ties: telemetry by device, then events by gateway). */
  public Iterable<Message> messages() {
    return Merge::new;
  }

  /**
   * SHA-256 over every message's subject and encoded bytes, in publishing order: equal traces
   * have equal digests.
   */
  public String digest() {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    for (Message m : messages()) {
      sha.update(m.subject().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(m.encode());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Counts for a human: devices, failures by mode, look-alikes by kind, messages. */
  public Summary summary() {
    Map<String, Integer> byClass = new TreeMap<>();
    Map<FailureMode, Integer> byMode = new EnumMap<>(FailureMode.class);
    for (FailureMode m : FailureMode.values()) {
      byMode.put(m, 0);
    }
    Map<LookAlike.Kind, Integer> byKind = new EnumMap<>(LookAlike.Kind.class);
    for (LookAlike.Kind k : LookAlike.Kind.values()) {
      byKind.put(k, 0);
    }
    int survivorsWithLookAlikes = 0;
    long heartbeats = 0;
    for (DeviceTrace d : devices) {
      byClass.merge(d.deviceClass(), 1, Integer::sum);
      d.failureMode().ifPresent(m -> byMode.merge(m, 1, Integer::sum));
      d.lookAlikes().forEach(l -> byKind.merge(l.kind(), 1, Integer::sum));
      if (d.failureMode().isEmpty() && !d.lookAlikes().isEmpty()) {
        survivorsWithLookAlikes++;
      }
      heartbeats += d.heartbeatCount();
    }
    return new Summary(draw.seed(), draw.startMillis(), draw.durationMs(), draw.slots(), devices.size(), byClass,
        byMode, byKind, survivorsWithLookAlikes, telemetryCount(), eventCount(), heartbeats);
  }

  /**
   * A death in the fleet (hidden labels included).
   *
   * @param deviceId the device
   * @param gatewayId its gateway
   * @param deviceClass its class
   * @param mode how it died
   * @param precursorStartMillis when its precursor began; empty for a crash
   * @param deathMillis when it died: it sent nothing from then on
   * @param lostMillis when its gateway declared it lost; empty if the fleet ended first
   */
  public record Failure(String deviceId, String gatewayId, String deviceClass, FailureMode mode,
      OptionalLong precursorStartMillis, long deathMillis, OptionalLong lostMillis) {}

  /**
   * A fleet's counts.
   *
   * @param seed the draw's seed
   * @param startMillis simulated start
   * @param durationMs simulated duration
   * @param slots device slots
   * @param devices devices that took part (replacements included)
   * @param devicesByClass devices per class
   * @param failures deaths per mode
   * @param lookAlikes look-alike episodes per kind
   * @param survivorsWithLookAlikes devices that did not die but had look-alikes
   * @param telemetry telemetry messages
   * @param events adaptation events
   * @param heartbeats heartbeats that arrived (not published: the gateway reports their timing)
   */
  public record Summary(long seed, long startMillis, long durationMs, int slots, int devices,
      Map<String, Integer> devicesByClass, Map<FailureMode, Integer> failures, Map<LookAlike.Kind, Integer> lookAlikes,
      int survivorsWithLookAlikes, long telemetry, long events, long heartbeats) {
    public Summary {
      devicesByClass = Collections.unmodifiableMap(new TreeMap<>(devicesByClass));
      failures = Collections.unmodifiableMap(new EnumMap<>(failures));
      lookAlikes = Collections.unmodifiableMap(new EnumMap<>(lookAlikes));
    }

    /** All deaths. */
    public int failureCount() {
      return failures.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Share of deaths that were sudden crashes. */
    public double crashShare() {
      int all = failureCount();
      return all == 0 ? 0 : failures.get(FailureMode.CRASH) / (double) all;
    }

    /** A Markdown table header matching {@link #row(String)}. */
    public static String header() {
      return "| fleet | seed | start (UTC) | duration | slots / devices | by class | failures (battery / overheat / "
          + "memory leak / crash) | crash share | look-alikes (charging dip / heat spike / memory spike) | "
          + "survivors with look-alikes | telemetry msgs | events |\n"
          + "|---|---|---|---|---|---|---|---|---|---|---|---|";
    }

    /** This fleet as a Markdown table row. */
    public String row(String name) {
      return String.format(java.util.Locale.ROOT,
          "| %s | %d | %s | %d min | %d / %d | %s | %d (%d / %d / %d / %d) | %.2f | %d / %d / %d | %d | %,d | %,d |",
          name, seed, java.time.Instant.ofEpochMilli(startMillis), durationMs / 60_000, slots, devices,
          devicesByClass.toString().replace(",", ";"), failureCount(), failures.get(FailureMode.BATTERY),
          failures.get(FailureMode.OVERHEAT), failures.get(FailureMode.MEMORY_LEAK), failures.get(FailureMode.CRASH),
          crashShare(), lookAlikes.get(LookAlike.Kind.CHARGING_DIP), lookAlikes.get(LookAlike.Kind.HEAT_SPIKE),
          lookAlikes.get(LookAlike.Kind.MEMORY_SPIKE), survivorsWithLookAlikes, telemetry, events);
    }
  }

  /**
   * One message as the fleet publishes it.
   *
   * @param atMillis simulated wall time it is sent
   * @param subject the NATS subject
   * @param payload a {@link Telemetry} or an {@link AdaptationEvent}
   */
  public record Message(long atMillis, String subject, Object payload) {
    /** Whether it is a device's telemetry (else a gateway's event). */
    public boolean isTelemetry() {
      return payload instanceof Telemetry;
    }

    /** The payload as {@link MessageCodec} encodes it. */
    public byte[] encode() {
      return MessageCodec.encode(payload);
    }
  }

  /** A k-way merge of the devices' telemetry and the gateways' events by time. */
  private final class Merge implements Iterator<Message> {
    private final List<String> gateways = List.copyOf(events.keySet());
    private final int[] pos = new int[devices.size() + gateways.size()];
    private final PriorityQueue<long[]> heads = new PriorityQueue<>((a, b) -> {
      int c = Long.compare(a[0], b[0]);
      return c != 0 ? c : Long.compare(a[1], b[1]);
    });

    Merge() {
      for (int s = 0; s < pos.length; s++) {
        offer(s);
      }
    }

    private void offer(int source) {
      if (source < devices.size()) {
        DeviceTrace d = devices.get(source);
        if (pos[source] < d.telemetryCount()) {
          heads.add(new long[] {d.telemetryAt(pos[source]), source});
        }
      } else {
        List<AdaptationEvent> list = events.get(gateways.get(source - devices.size()));
        if (pos[source] < list.size()) {
          heads.add(new long[] {list.get(pos[source]).atMillis(), source});
        }
      }
    }

    @Override
    public boolean hasNext() {
      return !heads.isEmpty();
    }

    @Override
    public Message next() {
      long[] head = heads.poll();
      if (head == null) {
        throw new NoSuchElementException();
      }
      int source = (int) head[1];
      int i = pos[source]++;
      Message m;
      if (source < devices.size()) {
        DeviceTrace d = devices.get(source);
        m = new Message(head[0], Subjects.telemetry(d.gatewayId(), d.deviceId()), d.telemetry(i));
      } else {
        String gw = gateways.get(source - devices.size());
        m = new Message(head[0], Subjects.events(gw), events.get(gw).get(i));
      }
      offer(source);
      return m;
    }
  }
}
