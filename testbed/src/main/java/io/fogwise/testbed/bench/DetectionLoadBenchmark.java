package io.fogwise.testbed.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.load.HeartbeatGenerator;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * {@code fogwise bench detection-load}: does the gateway tell its own delays from device deaths
 * under load? Synthetic devices ({@link HeartbeatGenerator}) heartbeat a fresh gateway process;
 * an independent subscriber on {@code fw.ev.<gw>} counts every {@code DEVICE_LOST}.
 *
 * <ul>
 *   <li>{@link Scenario#BURST}: all devices start at once against a gateway that knows none of
 *       them; once all joined (or the join timeout passed) and a settling time later, {@code kill}
 *       devices are silenced.
 *   <li>{@link Scenario#SIGSTOP}: all devices join and settle; the gateway process is frozen with
 *       SIGSTOP for {@code pause}; halfway through, {@code kill} devices are silenced; then SIGCONT.
 * </ul>
 *
 * A {@code DEVICE_LOST} for a device that was still heartbeating is a false detection. For each
 * silenced device, detection is timed from the later of its silencing and the end of the
 * gateway's own silence (SIGCONT) to its {@code DEVICE_LOST} at the subscriber. Targets: no false
 * detection, every silenced device detected within {@link #DETECT_TARGET}.
 */
public final class DetectionLoadBenchmark {
  /** Issue 11: a dead device is detected within 2 s of the gateway's own silence ending. */
  public static final Duration DETECT_TARGET = Duration.ofSeconds(2);

  private static final String GW = "gw-load";

  /** Which disturbance the gateway meets. */
  public enum Scenario {
    BURST,
    SIGSTOP
  }

  /**
   * One run's parameters.
   *
   * @param devices synthetic devices
   * @param interval their heartbeat interval
   * @param kill devices silenced after the disturbance (spread evenly over the ids)
   * @param pause how long the gateway is frozen (SIGSTOP only)
   * @param joinTimeout how long to wait for every device to have joined
   * @param settle quiet time after joining before the disturbance
   * @param detectTimeout how long to wait for the silenced devices' DEVICE_LOST
   * @param tail how long to keep counting false detections after that
   * @param gatewayHeap the gateway JVM's -Xmx, e.g. {@code 1g}
   */
  public record Settings(int devices, Duration interval, int kill, Duration pause, Duration joinTimeout,
      Duration settle, Duration detectTimeout, Duration tail, String gatewayHeap) {
    public Settings {
      if (devices < 1 || kill < 0 || kill > devices) {
        throw new IllegalArgumentException("need devices >= 1 and 0 <= kill <= devices, got " + devices + "/" + kill);
      }
    }

    /** The issue's scale: 10k devices at 5 Hz (50k heartbeats/s), 50 killed, a 1 s pause. */
    public static Settings issueScale() {
      return new Settings(10_000, HeartbeatGenerator.DEFAULT_INTERVAL, 50, Duration.ofSeconds(1),
          Duration.ofSeconds(120), Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(5), "1g");
    }

    public Settings withDevices(int devices, int kill) {
      return new Settings(devices, interval, kill, pause, joinTimeout, settle, detectTimeout, tail, gatewayHeap);
    }
  }

  private final ComponentLauncher launcher;
  private final Timeline timeline;

  public DetectionLoadBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = launcher;
    this.timeline = timeline;
  }

  /** Runs the scenarios one after the other, each on a fresh hub and gateway. */
  public ObjectNode run(List<Scenario> scenarios, Settings settings, Path runDir) throws Exception {
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    boolean met = true;
    for (Scenario sc : scenarios) {
      ObjectNode r = runOne(sc, settings, runDir.resolve(sc.name().toLowerCase(Locale.ROOT)));
      out.set(sc.name().toLowerCase(Locale.ROOT), r);
      met &= r.get("targetsMet").asBoolean();
    }
    out.put("targetsMet", met);
    return out;
  }

  private ObjectNode runOne(Scenario sc, Settings s, Path runDir) throws Exception {
    Files.createDirectories(runDir);
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("scenario", sc.name());
    out.put("devices", s.devices());
    out.put("intervalMs", s.interval().toMillis());
    out.put("heartbeatsPerSecond", s.devices() * 1000L / s.interval().toMillis());
    out.put("killed", s.kill());
    out.put("gatewayHeap", s.gatewayHeap());
    if (sc == Scenario.SIGSTOP) {
      out.put("pauseMs", s.pause().toMillis());
    }
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rss-sampler");
      t.setDaemon(true);
      return t;
    });
    try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, null)) {
      cluster.observer().recordEvents(false);
      try (Tally tally = new Tally(cluster.hub().url(), cluster.operatorAuth())) {
        Process gw = cluster.startGateway(GW, List.of("--ephemeral"), gatewayJvm(s.gatewayHeap()));
        require(awaitUntil(() -> tally.statuses.get() > 0, Duration.ofSeconds(90)), "the gateway did not come up");
        AtomicLong rssMax = new AtomicLong();
        sampler.scheduleAtFixedRate(() -> rssMax.accumulateAndGet(rssBytes(gw.pid()), Math::max), 0, 250,
            TimeUnit.MILLISECONDS);
        HeartbeatGenerator.Settings gs = HeartbeatGenerator.Settings.builder(cluster.hub().url(), cluster.operatorAuth(), GW, s.devices())
            .interval(s.interval()).build();
        try (HeartbeatGenerator gen = HeartbeatGenerator.start(gs)) {
          tally.generator = gen;
          long t0 = System.nanoTime();
          timeline.log("%s: %d synthetic devices at %d ms (%d heartbeats/s) started at once against a fresh gateway",
              sc, s.devices(), s.interval().toMillis(), s.devices() * 1000L / s.interval().toMillis());
          boolean allJoined = awaitUntil(() -> tally.joined.size() >= s.devices(), s.joinTimeout());
          long joinedAt = System.nanoTime();
          timeline.log("%s: %d/%d joined after %d ms; false detections so far: %d (%d devices)", sc,
              tally.joined.size(), s.devices(), (joinedAt - t0) / 1_000_000, tally.falseEvents.get(),
              tally.falseDevices.size());
          pauseUntil(System.nanoTime() + s.settle().toNanos());

          List<String> victims = victims(gen.deviceIds(), s.kill());
          long reference;
          if (sc == Scenario.BURST) {
            long killAt = System.nanoTime();
            gen.silenceAt(victims, killAt);
            reference = killAt;
            timeline.log("%s: silenced %d devices", sc, victims.size());
          } else {
            long stop = System.nanoTime();
            signal("STOP", gw.pid());
            long killAt = stop + s.pause().toNanos() / 2;
            gen.silenceAt(victims, killAt);
            pauseUntil(stop + s.pause().toNanos());
            signal("CONT", gw.pid());
            long cont = System.nanoTime();
            reference = Math.max(killAt, cont);
            timeline.log("%s: gateway frozen for %d ms (SIGSTOP .. SIGCONT); %d devices silenced halfway", sc,
                (cont - stop) / 1_000_000, victims.size());
          }
          awaitUntil(() -> victims.stream().allMatch(tally.detected::containsKey),
              Duration.ofNanos(reference + s.detectTimeout().toNanos() - System.nanoTime()));
          pauseUntil(System.nanoTime() + s.tail().toNanos());

          HeartbeatGenerator.Counters gc = gen.counters();
          ObjectNode g = out.putObject("generator");
          g.put("sent", gc.sent());
          g.put("ratePerSecond", Math.round(gc.rate()));
          g.put("maxLagMs", gc.maxLagNanos() / 1_000_000);
          g.put("lateBeats", gc.lateBeats());
          g.put("publishFailures", gc.publishFailures());

          List<Long> joinMs = new ArrayList<>();
          for (String id : gen.deviceIds()) {
            Long j = tally.joined.get(id);
            if (j != null) {
              joinMs.add((j - gen.firstSentNanos(id)) / 1_000_000);
            }
          }
          out.put("joined", tally.joined.size());
          out.put("allJoinedWithinTimeout", allJoined);
          out.put("allJoinedAfterMs", allJoined ? (joinedAt - t0) / 1_000_000 : -1);
          out.put("joinLatencyP50Ms", Stats.median(joinMs));
          out.put("joinLatencyP99Ms", Stats.percentile(joinMs, 99));
          out.put("joinLatencyMaxMs", Stats.max(joinMs));
          out.put("statusGapMaxMs", tally.statusGapMaxNanos.get() / 1_000_000);
          out.put("gatewayRssMaxMb", rssMax.get() / (1024 * 1024));
          out.put("eventsDroppedBySubscriber", tally.dropped());

          long falseEvents = tally.falseEvents.get();
          out.put("falseDetections", falseEvents);
          out.put("falseDetectionDevices", tally.falseDevices.size());
          ObjectNode types = out.putObject("eventsByType");
          tally.byType.forEach((t, n) -> types.put(t.name(), n.get()));

          List<Long> detectMs = new ArrayList<>();
          ArrayNode per = out.putArray("killedDevices");
          int undetected = 0;
          for (String id : victims) {
            ObjectNode d = per.addObject();
            d.put("device", id);
            long killAt = gen.silencedAtNanos(id);
            d.put("silencedAtMs", (killAt - t0) / 1_000_000);
            d.put("lastHeartbeatBeforeSilenceMs", (gen.lastSentNanos(id) - killAt) / 1_000_000);
            Long det = tally.detected.get(id);
            if (det == null) {
              undetected++;
              d.putNull("detectMs");
            } else {
              long ms = (det - Math.max(killAt, reference)) / 1_000_000;
              detectMs.add(ms);
              d.put("detectMs", ms);
            }
          }
          out.put("detected", victims.size() - undetected);
          out.put("detectP50Ms", Stats.median(detectMs));
          out.put("detectMaxMs", Stats.max(detectMs));
          List<String> misses = new ArrayList<>();
          if (falseEvents > 0) {
            misses.add(falseEvents + " false detections (" + tally.falseDevices.size() + " devices), target 0");
          }
          if (undetected > 0) {
            misses.add(undetected + " of " + victims.size() + " silenced devices never declared lost within "
                + s.detectTimeout().toSeconds() + " s");
          }
          long slow = detectMs.stream().filter(ms -> ms > DETECT_TARGET.toMillis()).count();
          if (slow > 0) {
            misses.add(slow + " silenced devices detected later than " + DETECT_TARGET.toMillis() + " ms (max "
                + Stats.max(detectMs) + " ms)");
          }
          if (tally.dropped() > 0) {
            misses.add("the subscriber dropped " + tally.dropped() + " events: the counts are lower bounds");
          }
          if (gc.maxLagNanos() > s.interval().toNanos()) {
            misses.add("the generator fell " + gc.maxLagNanos() / 1_000_000
                + " ms behind its schedule: heartbeat gaps were the harness's, not only the gateway's");
          }
          misses.forEach(out.putArray("misses")::add);
          out.put("targetsMet", misses.isEmpty());
          timeline.log("%s: false detections %d (%d devices); detected %d/%d, detect p50 %d ms, max %d ms; "
                  + "join p99 %d ms; gateway RSS max %d MB; status gap max %d ms; generator %d/s, max lag %d ms",
              sc, falseEvents, tally.falseDevices.size(), victims.size() - undetected, victims.size(),
              Stats.median(detectMs), Stats.max(detectMs), Stats.percentile(joinMs, 99), rssMax.get() >> 20,
              tally.statusGapMaxNanos.get() / 1_000_000, Math.round(gc.rate()), gc.maxLagNanos() / 1_000_000);
          misses.forEach(m -> timeline.log("%s: MISSED: %s", sc, m));
        }
      }
    } finally {
      sampler.shutdownNow();
    }
    return out;
  }

  /** {@code kill} ids spread evenly over the list, so no connection or schedule slot is favoured. */
  static List<String> victims(List<String> ids, int kill) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < kill; i++) {
      out.add(ids.get((int) ((long) i * ids.size() / kill)));
    }
    return out;
  }

  private static List<String> gatewayJvm(String heap) {
    List<String> opts = new ArrayList<>();
    for (String o : ComponentLauncher.GATEWAY_JVM) {
      opts.add(o.startsWith("-Xmx") ? "-Xmx" + heap : o);
    }
    return opts;
  }

  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[1]) * 1024;
        }
      }
    } catch (IOException | RuntimeException gone) {
      // the process ended or /proc is not there: nothing to sample
    }
    return 0;
  }

  static void signal(String sig, long pid) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid + " failed: " + new String(p.getInputStream().readAllBytes()));
    }
  }

  /** Waits until {@code condition} holds or {@code timeout} passed; true if it holds. */
  static boolean awaitUntil(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    return true;
  }

  /** A benchmark's wall-clock phase (not a test's wait): parks until {@code nanos}. */
  static void pauseUntil(long nanos) {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }

  /** The independent subscriber: its own connection, its own clock, counts instead of keeping events. */
  private static final class Tally implements AutoCloseable {
    final Connection nats;
    final Dispatcher dispatcher;
    final Map<String, Long> joined = new ConcurrentHashMap<>();
    final Map<String, Long> detected = new ConcurrentHashMap<>();
    final Set<String> falseDevices = ConcurrentHashMap.newKeySet();
    final AtomicLong falseEvents = new AtomicLong();
    final Map<AdaptationEvent.Type, AtomicLong> byType = new EnumMap<>(AdaptationEvent.Type.class);
    final AtomicLong statuses = new AtomicLong();
    final AtomicLong statusGapMaxNanos = new AtomicLong();
    volatile HeartbeatGenerator generator;
    private long lastStatus = -1;

    Tally(String url, io.fogwise.protocol.auth.NatsAuth auth)
        throws IOException, InterruptedException, java.util.concurrent.TimeoutException {
      nats = Nats.connect(NatsOptions.component(url, "detection-load-observer", auth).connectionListener((c, t) -> { })
          .errorListener(new ErrorListener() { }).build());
      for (AdaptationEvent.Type t : AdaptationEvent.Type.values()) {
        byType.put(t, new AtomicLong());
      }
      dispatcher = nats.createDispatcher(msg -> {
        long now = System.nanoTime();
        if (msg.getSubject().endsWith(".status")) {
          onStatus(msg.getData(), now);
        } else {
          onEvent(msg.getData(), now);
        }
      });
      dispatcher.setPendingLimits(-1, -1);
      dispatcher.subscribe(Subjects.events(GW));
      dispatcher.subscribe(Subjects.status(GW));
      nats.flush(Duration.ofSeconds(5));
    }

    private void onStatus(byte[] data, long now) {
      try {
        MessageCodec.decode(data, GatewayStatus.class);
      } catch (RejectedMessageException e) {
        return;
      }
      if (lastStatus >= 0 && generator != null) {
        long gap = now - lastStatus;
        statusGapMaxNanos.accumulateAndGet(gap, Math::max);
      }
      lastStatus = now;
      statuses.incrementAndGet();
    }

    private void onEvent(byte[] data, long now) {
      AdaptationEvent e;
      try {
        e = MessageCodec.decode(data, AdaptationEvent.class);
      } catch (RejectedMessageException ex) {
        return;
      }
      byType.get(e.type()).incrementAndGet();
      HeartbeatGenerator gen = generator;
      if (gen == null || e.deviceId() == null) {
        return;
      }
      if (e.type() == AdaptationEvent.Type.DEVICE_JOINED) {
        joined.putIfAbsent(e.deviceId(), now);
      } else if (e.type() == AdaptationEvent.Type.DEVICE_LOST) {
        long silencedAt;
        try {
          silencedAt = gen.silencedAtNanos(e.deviceId());
        } catch (IllegalArgumentException notOurs) {
          return;
        }
        if (now >= silencedAt) {
          detected.putIfAbsent(e.deviceId(), now);
        } else {
          falseEvents.incrementAndGet();
          falseDevices.add(e.deviceId());
        }
      }
    }

    long dropped() {
      return dispatcher.getDroppedCount();
    }

    @Override
    public void close() {
      try {
        nats.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
