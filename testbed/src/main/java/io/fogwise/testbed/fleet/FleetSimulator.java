package io.fogwise.testbed.fleet;

import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Generates a {@link FleetTrace} from a {@link FleetParameters.Draw}: deterministic, the same
 * draw always gives the same trace, message for message.
 *
 * <p>What the gateways publish is simulated from the heartbeat arrivals the way the gateway
 * does it: {@code DEVICE_JOINED} at a device's first arrival; {@code HEARTBEAT_TIMING} every
 * {@link FleetParameters#TIMING_REPORT_PERIOD} after it, with the arrival intervals since the
 * last report; and {@code DEVICE_LOST} where the gateway's own phi-accrual detector
 * ({@link PhiAccrualDetector}, default settings, fed the device's arrival history) crosses
 * {@link #PHI_THRESHOLD} at the first {@link #DECISION_TICK} after the last arrival. Only deaths
 * are detected: the simulation does not emit the false detections a gateway at threshold 8
 * might make on a long delay burst.
 */
public final class FleetSimulator {
  /** The gateway's default {@code detect.phiThreshold}. */
  public static final double PHI_THRESHOLD = 8.0;
  /** The gateway's decision cycle: a loss is declared at one of these ticks. */
  public static final Duration DECISION_TICK = Duration.ofMillis(25);
  /** The built-in failover pack's detection rule, named in every {@code DEVICE_LOST}. */
  public static final String LOST_RULE = "Device lost when its suspicion exceeds the threshold";

  private static final double HOUR_MS = 3_600_000.0;
  /** Separates the simulation's random stream from the parameter draw's, which uses the same seed. */
  private static final long SIMULATION_SALT = 0x5DEECE66DL;

  private FleetSimulator() {}

  /** The fleet of {@code draw}. */
  public static FleetTrace generate(FleetParameters.Draw draw) {
    SplittableRandom master = new SplittableRandom(draw.seed() ^ SIMULATION_SALT);
    List<Instance> instances = timelines(draw, master);
    assignModes(draw, instances, master.split());
    instances.sort(Comparator.comparingLong((Instance i) -> i.join).thenComparingInt(i -> i.slot));
    List<DeviceTrace> devices = new ArrayList<>();
    Map<String, List<Pending>> pending = new TreeMap<>();
    for (int g = 1; g <= FleetParameters.GATEWAYS; g++) {
      pending.put(gateway(g - 1), new ArrayList<>());
    }
    for (int n = 0; n < instances.size(); n++) {
      Instance in = instances.get(n);
      DeviceTrace d = new Device(draw, in, String.format(Locale.ROOT, "d-%04d", n + 1)).simulate();
      devices.add(d);
      gatewayEvents(draw, d, n, pending.get(d.gatewayId()));
    }
    Map<String, List<AdaptationEvent>> events = new TreeMap<>();
    pending.forEach((gw, list) -> {
      list.sort(Comparator.comparingLong(Pending::at).thenComparingInt(Pending::device)
          .thenComparingInt(p -> p.type().ordinal()));
      List<AdaptationEvent> out = new ArrayList<>(list.size());
      long seq = 1;
      for (Pending p : list) {
        out.add(new AdaptationEvent(gw, seq++, p.at(), p.type(), p.deviceId(), null, 0, p.rule(), p.reason(),
            p.details()));
      }
      events.put(gw, out);
    });
    return new FleetTrace(draw, devices, events);
  }

  private static String gateway(int slot) {
    return "gw-" + (slot % FleetParameters.GATEWAYS + 1);
  }

  /** Which device is in which slot when: joins and deaths, replacements included. */
  private static List<Instance> timelines(FleetParameters.Draw draw, SplittableRandom master) {
    List<Instance> out = new ArrayList<>();
    double shareA = draw.classes().get(0).share();
    long minLifeMs = (long) (FleetParameters.MIN_LIFE_S * 1000);
    for (int slot = 0; slot < draw.slots(); slot++) {
      SplittableRandom r = master.split();
      // classes interleaved by share, so every gateway gets both
      FleetParameters.ClassDraw cls = Math.floor((slot + 1) * shareA) > Math.floor(slot * shareA)
          ? draw.classes().get(0) : draw.classes().get(1);
      long t = draw.startMillis() + (long) (FleetParameters.JOIN_STAGGER_S.draw(r) * 1000);
      while (t < draw.endMillis() - 60_000) {
        SplittableRandom own = r.split();
        boolean battery = own.nextDouble() >= cls.mainsShare();
        long death = t + minLifeMs + (long) (own.nextExponential() / draw.failureRatePerHour() * HOUR_MS);
        Instance in = new Instance(slot, cls, gateway(slot), battery, t, death < draw.endMillis() ? death : -1, own);
        out.add(in);
        if (in.death < 0) {
          break;
        }
        t = death + (long) (FleetParameters.REPLACEMENT_DELAY_S.draw(r) * 1000);
      }
    }
    return out;
  }

  /**
   * Gives each death a mode: exactly {@code ceil(crashShare × deaths)} crashes, the rest split
   * by the mode weights (largest remainder), battery drain only on battery-powered devices.
   */
  private static void assignModes(FleetParameters.Draw draw, List<Instance> instances, SplittableRandom r) {
    List<Instance> dying = new ArrayList<>(instances.stream().filter(i -> i.death >= 0).toList());
    shuffle(dying, r);
    int crashes = (int) Math.ceil(draw.crashShare() * dying.size() - 1e-9);
    int rest = dying.size() - crashes;
    double[] w = {draw.batteryWeight(), draw.overheatWeight(), draw.memoryLeakWeight()};
    FailureMode[] modes = {FailureMode.BATTERY, FailureMode.OVERHEAT, FailureMode.MEMORY_LEAK};
    double sum = w[0] + w[1] + w[2];
    int[] count = new int[3];
    double[] frac = new double[3];
    int given = 0;
    for (int m = 0; m < 3; m++) {
      double exact = rest * w[m] / sum;
      count[m] = (int) Math.floor(exact);
      frac[m] = exact - count[m];
      given += count[m];
    }
    while (given < rest) {
      int best = 0;
      for (int m = 1; m < 3; m++) {
        if (frac[m] > frac[best]) {
          best = m;
        }
      }
      count[best]++;
      frac[best] = -1;
      given++;
    }
    List<FailureMode> deck = new ArrayList<>();
    for (int m = 0; m < 3; m++) {
      for (int k = 0; k < count[m]; k++) {
        deck.add(modes[m]);
      }
    }
    shuffle(deck, r);
    for (int i = 0; i < dying.size(); i++) {
      Instance in = dying.get(i);
      if (i < crashes) {
        in.mode = FailureMode.CRASH;
        continue;
      }
      int pick = 0;
      if (!in.battery) {
        while (pick < deck.size() && deck.get(pick) == FailureMode.BATTERY) {
          pick++;
        }
      }
      in.mode = pick < deck.size() ? deck.remove(pick) : FailureMode.OVERHEAT;
    }
  }

  private static <T> void shuffle(List<T> list, SplittableRandom r) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  /** The gateway's events about one device: joined, heartbeat timing every 30 s, lost. */
  private static void gatewayEvents(FleetParameters.Draw draw, DeviceTrace d, int order, List<Pending> out) {
    long[] arrivals = d.arrivedRaw();
    if (arrivals.length == 0) {
      return;
    }
    String labels = Map.of("power", d.batteryPowered() ? "battery" : "mains").toString();
    out.add(new Pending(arrivals[0], order, AdaptationEvent.Type.DEVICE_JOINED, d.deviceId(), null,
        "device " + d.deviceId() + " joined as " + Layer.EDGE, Map.of("class", d.deviceClass(), "labels", labels)));
    long lost = d.lostMillis().orElse(-1);
    long period = FleetParameters.TIMING_REPORT_PERIOD.toMillis();
    int next = 1;
    for (long b = arrivals[0] + period; b < draw.endMillis() && (lost < 0 || b <= lost); b += period) {
      StringBuilder intervals = new StringBuilder();
      int n = 0;
      while (next < arrivals.length && arrivals[next] <= b) {
        if (n++ > 0) {
          intervals.append(',');
        }
        intervals.append(arrivals[next] - arrivals[next - 1]);
        next++;
      }
      if (n > 0) {
        out.add(new Pending(b, order, AdaptationEvent.Type.HEARTBEAT_TIMING, d.deviceId(), null,
            n + " heartbeats of " + d.deviceId() + " in the last " + period / 1000 + " s",
            Map.of("class", d.deviceClass(), "intervalsMs", intervals.toString())));
      }
    }
    if (lost >= 0) {
      PhiAccrualDetector detector = detector(d.heartbeatMs(), arrivals, draw.startMillis());
      long silence = lost - arrivals[arrivals.length - 1];
      double phi = Math.floor(detector.phi((lost - draw.startMillis()) * 1_000_000L) * 10) / 10.0;
      out.add(new Pending(lost, order, AdaptationEvent.Type.DEVICE_LOST, d.deviceId(), LOST_RULE,
          "no heartbeat for " + silence + " ms (phi " + phi + ")",
          Map.of("phi", Double.toString(phi), "silenceMs", Long.toString(silence))));
    }
  }

  private static PhiAccrualDetector detector(int intervalMs, long[] arrivals, long originMillis) {
    PhiAccrualDetector detector = new PhiAccrualDetector(PhiAccrualDetector.Settings.DEFAULT,
        Duration.ofMillis(intervalMs));
    for (long a : arrivals) {
      detector.heartbeat((a - originMillis) * 1_000_000L);
    }
    return detector;
  }

  /** When the gateway's detector declares a device lost whose last heartbeat arrived last in {@code arrivals}. */
  static long detection(int intervalMs, long[] arrivals, long originMillis) {
    PhiAccrualDetector detector = detector(intervalMs, arrivals, originMillis);
    long tick = DECISION_TICK.toMillis();
    long t = arrivals[arrivals.length - 1];
    do {
      t += tick;
    } while (detector.phi((t - originMillis) * 1_000_000L) < PHI_THRESHOLD);
    return t;
  }

  private record Pending(long at, int device, AdaptationEvent.Type type, String deviceId, String rule, String reason,
      Map<String, String> details) {}

  /** A device in a slot, from joining to dying (or the end). */
  private static final class Instance {
    final int slot;
    final FleetParameters.ClassDraw cls;
    final String gateway;
    final boolean battery;
    final long join;
    final long death;
    final SplittableRandom random;
    FailureMode mode;

    Instance(int slot, FleetParameters.ClassDraw cls, String gateway, boolean battery, long join, long death,
        SplittableRandom random) {
      this.slot = slot;
      this.cls = cls;
      this.gateway = gateway;
      this.battery = battery;
      this.join = join;
      this.death = death;
      this.random = random;
    }
  }

  /** An episode of a look-alike, with its shape. */
  private record Episode(LookAlike.Kind kind, long start, long end, double amount, double rampMs, double fallMs,
      boolean withCpu) {
    /** How far into the episode's effect {@code t} is: 0 outside, 1 at full strength. */
    double effect(long t) {
      if (t < start || t >= end) {
        return 0;
      }
      double in = t - start;
      double out = end - t;
      if (kind == LookAlike.Kind.CHARGING_DIP) {
        // falls for fallMs, then recovers linearly until end
        return in < fallMs ? in / fallMs : out / (end - start - fallMs);
      }
      return Math.min(1, Math.min(in / rampMs, out / rampMs));
    }
  }

  /** One device's simulation: its signals, heartbeats and look-alikes. */
  private static final class Device {
    private final FleetParameters.Draw draw;
    private final Instance in;
    private final String id;
    private final SplittableRandom r;
    private final long stop;
    private final long precursorStart;
    private final double shape;

    Device(FleetParameters.Draw draw, Instance in, String id) {
      this.draw = draw;
      this.in = in;
      this.id = id;
      this.r = in.random;
      this.stop = in.death >= 0 ? in.death : draw.endMillis();
      if (in.mode != null && in.mode.hasPrecursor()) {
        this.precursorStart = in.death - (long) (FleetParameters.PRECURSOR_S.draw(r) * 1000);
        this.shape = FleetParameters.SHAPE_EXPONENT.draw(r);
      } else {
        this.precursorStart = -1;
        this.shape = 1;
      }
    }

    DeviceTrace simulate() {
      FleetParameters.ClassDraw cls = in.cls;
      // per-device traits
      double cpuBase = FleetParameters.CPU_BASE.draw(r);
      double tempBase = FleetParameters.TEMP_BASE_C.draw(r);
      double swing = FleetParameters.TEMP_SWING_C.draw(r);
      double swingPeriodMs = (30 + 60 * r.nextDouble()) * 60_000;
      double swingPhase = 2 * Math.PI * r.nextDouble();
      double batteryStart = FleetParameters.BATTERY_START_PCT.draw(r);
      double drainPerMs = FleetParameters.BATTERY_DRAIN_PER_HOUR.draw(r) / HOUR_MS;
      double memFloor = FleetParameters.MEM_FLOOR.draw(r);
      double sawAmp = FleetParameters.MEM_SAWTOOTH.draw(r);
      double sawPeriodMs = FleetParameters.MEM_SAWTOOTH_S.draw(r) * 1000;
      double criticalTemp = FleetParameters.CRITICAL_TEMP_C.draw(r);
      double batteryDeath = FleetParameters.BATTERY_DEATH_PCT.draw(r);
      double leakDeath = FleetParameters.LEAK_DEATH_FRACTION.draw(r);
      boolean overheatCpu = r.nextDouble() < draw.overheatCpuShare();
      long healthyUntil = precursorStart >= 0 ? precursorStart : stop;

      List<Episode> episodes = new ArrayList<>();
      if (in.battery) {
        lookAlikes(episodes, LookAlike.Kind.CHARGING_DIP, draw.chargingDipsPerHour(), healthyUntil,
            t -> batteryStart - drainPerMs * (t - in.join) >= FleetParameters.CHARGING_DIP_MIN_LEVEL);
      }
      lookAlikes(episodes, LookAlike.Kind.HEAT_SPIKE, draw.heatSpikesPerHour(), healthyUntil, t -> true);
      lookAlikes(episodes, LookAlike.Kind.MEMORY_SPIKE, draw.memorySpikesPerHour(), healthyUntil, t -> true);
      episodes.sort(Comparator.comparingLong(Episode::start));

      // telemetry
      int capacity = (int) Math.max(1, (stop - in.join) / 1000 + 1);
      long[] at = new long[capacity];
      double[] cpu = new double[capacity];
      long[] mem = new long[capacity];
      double[] battery = new double[capacity];
      double[] temp = new double[capacity];
      long offset = r.nextInt(1000);
      double ar = 0;
      long cycleStart = in.join - (long) (r.nextDouble() * sawPeriodMs);
      double cycleLen = sawPeriodMs;
      int n = 0;
      for (long k = 0; ; k++) {
        long t = in.join + offset + k * FleetParameters.TELEMETRY_PERIOD.toMillis()
            + (long) FleetParameters.TELEMETRY_JITTER_MS.draw(r);
        if (t >= stop || n == capacity) {
          break;
        }
        double p = precursorStart >= 0 && t >= precursorStart
            ? Math.pow((t - precursorStart) / (double) (in.death - precursorStart), shape) : -1;
        double cpuSpike = 0;
        double heat = 0;
        double memSpike = 0;
        double dip = 0;
        for (Episode e : episodes) {
          if (e.start > t) {
            break;
          }
          double f = e.effect(t);
          switch (e.kind) {
            case HEAT_SPIKE -> {
              heat += f * e.amount;
              cpuSpike += e.withCpu ? f * 0.3 : 0;
            }
            case MEMORY_SPIKE -> memSpike += f * e.amount;
            case CHARGING_DIP -> dip += f * e.amount;
          }
        }
        ar = 0.9 * ar + 0.03 * r.nextGaussian();
        double cpuTrue = cpuBase + ar + cpuSpike;
        if (in.mode == FailureMode.OVERHEAT && overheatCpu && p >= 0) {
          cpuTrue += (0.95 - cpuBase) * p;
        }
        cpuTrue = clamp(cpuTrue, 0, 1);
        double tempTrue = tempBase + swing * Math.sin(2 * Math.PI * (t - in.join) / swingPeriodMs + swingPhase)
            + 6 * (cpuTrue - cpuBase) + heat;
        if (in.mode == FailureMode.OVERHEAT && p >= 0) {
          tempTrue += (criticalTemp - tempTrue) * p;
        }
        while (t >= cycleStart + cycleLen) {
          cycleStart += (long) cycleLen;
          cycleLen = sawPeriodMs * (0.7 + 0.6 * r.nextDouble());
        }
        double memTrue = Math.min(memFloor + sawAmp * (t - cycleStart) / cycleLen + memSpike,
            Math.max(FleetParameters.MEMORY_SPIKE_CAP, memFloor + sawAmp));
        if (in.mode == FailureMode.MEMORY_LEAK && p >= 0) {
          memTrue += (leakDeath - memTrue) * p;
        }
        at[n] = t;
        cpu[n] = round(clamp(cpuTrue + draw.cpuNoise() * r.nextGaussian(), 0, 1), 1000);
        temp[n] = round(tempTrue + draw.tempNoiseC() * r.nextGaussian(), 100);
        mem[n] = (long) (clamp(memTrue + draw.memNoise() * r.nextGaussian(), 0, 1) * cls.memMaxBytes());
        if (in.battery) {
          double level = Math.max(5, batteryStart - drainPerMs * (t - in.join)) - dip;
          if (in.mode == FailureMode.BATTERY && p >= 0) {
            level -= (level - batteryDeath) * p;
          }
          battery[n] = round(clamp(level + draw.batteryNoisePct() * r.nextGaussian(), 0, 100), 100);
        } else {
          battery[n] = Double.NaN;
        }
        n++;
      }

      long[][] hb = heartbeats(cls);
      long lost = -1;
      if (in.death >= 0 && hb[1].length > 0) {
        long detected = detection(cls.heartbeatMs(), hb[1], draw.startMillis());
        lost = detected < draw.endMillis() ? detected : -1;
      }
      List<LookAlike> labels = episodes.stream().map(e -> new LookAlike(e.kind, e.start, e.end)).toList();
      return new DeviceTrace(id, in.gateway, cls.name(), cls.heartbeatMs(), in.battery, cls.memMaxBytes(),
          java.util.Arrays.copyOf(at, n), java.util.Arrays.copyOf(cpu, n), java.util.Arrays.copyOf(mem, n),
          java.util.Arrays.copyOf(battery, n), java.util.Arrays.copyOf(temp, n), hb[0], hb[1], in.death, lost,
          in.mode, precursorStart, labels);
    }

    /** Episodes of one kind as a Poisson process over the device's healthy life, not overlapping each other. */
    private void lookAlikes(List<Episode> out, LookAlike.Kind kind, double perHour, long until,
        java.util.function.LongPredicate allowed) {
      double meanGapMs = HOUR_MS / perHour;
      long t = in.join;
      while (true) {
        t += (long) (r.nextExponential() * meanGapMs);
        if (t >= until) {
          return;
        }
        Episode e = switch (kind) {
          case CHARGING_DIP -> {
            double fall = FleetParameters.CHARGING_DIP_FALL_S.draw(r) * 1000;
            double recover = FleetParameters.CHARGING_DIP_RECOVER_S.draw(r) * 1000;
            yield new Episode(kind, t, t + (long) (fall + recover), FleetParameters.CHARGING_DIP_DROP_PCT.draw(r),
                0, fall, false);
          }
          case HEAT_SPIKE -> {
            double len = FleetParameters.HEAT_SPIKE_S.draw(r) * 1000;
            yield new Episode(kind, t, t + (long) len, FleetParameters.HEAT_SPIKE_C.draw(r),
                Math.min(3000, len / 4), 0, r.nextBoolean());
          }
          case MEMORY_SPIKE -> {
            double len = FleetParameters.MEMORY_SPIKE_S.draw(r) * 1000;
            yield new Episode(kind, t, t + (long) len, FleetParameters.MEMORY_SPIKE_FRACTION.draw(r),
                Math.min(1000, len / 4), 0, false);
          }
        };
        if (e.end < until && allowed.test(t)) {
          out.add(e);
        }
        t = e.end;
      }
    }

    /** Send and arrival times: jittered sends on the class's interval, delayed by the network. */
    private long[][] heartbeats(FleetParameters.ClassDraw cls) {
      // delay bursts over the device's life
      List<long[]> bursts = new ArrayList<>();
      double meanGapMs = HOUR_MS / cls.burstsPerHour();
      for (long t = in.join; ; ) {
        t += (long) (r.nextExponential() * meanGapMs);
        if (t >= stop) {
          break;
        }
        long end = t + (long) (cls.burstS().draw(r) * 1000);
        bursts.add(new long[] {t, end, (long) cls.burstDelayMs().draw(r)});
        t = end;
      }
      int capacity = (int) ((stop - in.join) / cls.heartbeatMs() + 2);
      long[] sent = new long[capacity];
      long[] arrived = new long[capacity];
      long phase = r.nextInt(cls.heartbeatMs());
      long prevSent = Long.MIN_VALUE;
      long prevArrived = Long.MIN_VALUE;
      int b = 0;
      int n = 0;
      for (long i = 0; n < capacity; i++) {
        long s = in.join + phase + i * cls.heartbeatMs() + Math.round(cls.sendJitterMs() * r.nextGaussian());
        s = Math.max(s, prevSent + 1);
        if (s >= stop) {
          break;
        }
        double delay = cls.baseDelayMs() + r.nextExponential() * cls.tailMeanMs();
        if (r.nextDouble() < cls.longTailShare()) {
          double lo = Math.log(cls.longTailMs().min());
          double hi = Math.log(cls.longTailMs().max());
          delay += Math.exp(lo + (hi - lo) * r.nextDouble());
        }
        while (b < bursts.size() && bursts.get(b)[1] <= s) {
          b++;
        }
        if (b < bursts.size() && bursts.get(b)[0] <= s) {
          delay += bursts.get(b)[2] * (0.5 + 0.5 * r.nextDouble());
        }
        long a = Math.max(s + Math.round(delay), prevArrived + 1);
        if (a >= draw.endMillis()) {
          break;
        }
        sent[n] = s;
        arrived[n] = a;
        n++;
        prevSent = s;
        prevArrived = a;
      }
      return new long[][] {java.util.Arrays.copyOf(sent, n), java.util.Arrays.copyOf(arrived, n)};
    }

    private static double clamp(double v, double lo, double hi) {
      return v < lo ? lo : Math.min(v, hi);
    }

    private static double round(double v, double scale) {
      return Math.round(v * scale) / scale;
    }
  }
}
