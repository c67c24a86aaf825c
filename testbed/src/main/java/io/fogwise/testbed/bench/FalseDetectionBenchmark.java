package io.fogwise.testbed.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.link.Direction;
import io.fogwise.testbed.link.LinkEmulator;
import io.nats.client.Dispatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * {@code fogwise bench false-detection}: N healthy devices, each behind its own link emulator,
 * for a long run while heartbeat gaps are injected (the link upstream is paused for a random
 * time every few seconds) and busy threads load every core. Nothing dies, so every
 * DEVICE_LOST the gateway reports is a false detection. The benchmark also measures the
 * heartbeat gaps that really reached the hub, so the injected gap size is shown, not assumed.
 */
public final class FalseDetectionBenchmark {
  private static final String GW = "gw-fd";

  private final ComponentLauncher launcher;
  private final Timeline timeline;

  public FalseDetectionBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = launcher;
    this.timeline = timeline;
  }

  /**
   * Runs the benchmark.
   *
   * @param devices number of devices
   * @param duration how long
   * @param maxPause longest link pause injected (the heartbeat gap is up to the pause plus one interval)
   * @param loadThreads busy threads (default: one per core)
   */
  public ObjectNode run(int devices, Duration duration, Duration maxPause, int loadThreads, Path runDir)
      throws Exception {
    List<LinkEmulator> links = new ArrayList<>();
    List<EdgeAgent> agents = new ArrayList<>();
    AtomicBoolean loading = new AtomicBoolean(true);
    List<Thread> load = new ArrayList<>();
    ScheduledExecutorService injector = Executors.newSingleThreadScheduledExecutor();
    Map<String, Long> lastBeat = new ConcurrentHashMap<>();
    Histogram gaps = new Histogram(60_000, 3);
    AtomicLong pauses = new AtomicLong();
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, null)) {
      Observer obs = cluster.observer();
      cluster.startGateway(GW, List.of());
      if (obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isEmpty()) {
        throw new IllegalStateException("gateway did not come up");
      }
      Dispatcher hb = cluster.nats().createDispatcher(msg -> {
        long now = System.nanoTime();
        Long prev = lastBeat.put(msg.getSubject(), now);
        if (prev != null) {
          synchronized (gaps) {
            gaps.recordValue(Math.min(59_999, (now - prev) / 1_000_000L));
          }
        }
      });
      hb.subscribe(Subjects.heartbeats(GW));
      for (int i = 0; i < devices; i++) {
        LinkEmulator link = LinkEmulator.start("127.0.0.1", cluster.hub().port()).withSeed(i);
        links.add(link);
        agents.add(EdgeAgent.start(AgentConfig.builder().natsUrl(link.url()).deviceId(String.format("dev-%02d", i))
            .gatewayId(GW).layer(Layer.EDGE).build()));
      }
      if (obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == devices, Duration.ofSeconds(60)).isEmpty()) {
        throw new IllegalStateException("not all devices joined");
      }
      timeline.log("%d devices alive behind their own link emulators; injecting pauses up to %d ms, %d busy threads",
          devices, maxPause.toMillis(), loadThreads);
      for (int i = 0; i < loadThreads; i++) {
        Thread t = new Thread(() -> {
          long x = 0;
          while (loading.get()) {
            x += System.nanoTime() % 7;
          }
          if (x == 42) {
            System.out.print("");
          }
        }, "load-" + i);
        t.setDaemon(true);
        t.start();
        load.add(t);
      }
      Random rnd = new Random(7);
      for (LinkEmulator link : links) {
        scheduleGap(injector, link, rnd, maxPause, pauses);
      }
      int eventsAtStart = obs.eventCount();
      long end = System.nanoTime() + duration.toNanos();
      long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < end) {
        obs.awaitEvent(obs.eventCount(), e -> false, Duration.ofMillis(Math.min(1000, (end - System.nanoTime()) / 1_000_000 + 1)));
        if (System.nanoTime() >= nextReport) {
          nextReport += TimeUnit.SECONDS.toNanos(60);
          long lost = countLost(obs, eventsAtStart);
          synchronized (gaps) {
            timeline.log("%d pauses injected, max heartbeat gap %d ms, false detections so far: %d", pauses.get(),
                gaps.getMaxValue(), lost);
          }
        }
      }
      loading.set(false);
      injector.shutdownNow();
      long falseDetections = countLost(obs, eventsAtStart);
      synchronized (gaps) {
        out.put("devices", devices);
        out.put("durationS", duration.toSeconds());
        out.put("heartbeatMs", 200);
        out.put("maxPauseMs", maxPause.toMillis());
        out.put("loadThreads", loadThreads);
        out.put("pausesInjected", pauses.get());
        out.put("heartbeats", gaps.getTotalCount());
        out.put("gapP50Ms", gaps.getValueAtPercentile(50));
        out.put("gapP99Ms", gaps.getValueAtPercentile(99));
        out.put("gapP999Ms", gaps.getValueAtPercentile(99.9));
        out.put("gapMaxMs", gaps.getMaxValue());
        out.put("gapsOver400Ms", gaps.getCountBetweenValues(401, 60_000));
        out.put("gapsOver500Ms", gaps.getCountBetweenValues(501, 60_000));
        out.put("falseDetections", falseDetections);
      }
      cluster.nats().closeDispatcher(hb);
    } finally {
      loading.set(false);
      injector.shutdownNow();
      agents.forEach(EdgeAgent::close);
      links.forEach(LinkEmulator::close);
    }
    return out;
  }

  private static long countLost(Observer obs, int from) {
    return obs.events().stream().skip(from).filter(r -> r.message().type() == AdaptationEvent.Type.DEVICE_LOST).count();
  }

  private static void scheduleGap(ScheduledExecutorService ex, LinkEmulator link, Random rnd, Duration maxPause,
      AtomicLong pauses) {
    long inMs;
    long pauseMs;
    synchronized (rnd) {
      inMs = 1000 + rnd.nextInt(4000);
      pauseMs = 100 + rnd.nextInt((int) Math.max(1, maxPause.toMillis() - 100));
    }
    ex.schedule(() -> {
      link.pause(Direction.UPSTREAM, Duration.ofMillis(pauseMs));
      pauses.incrementAndGet();
      scheduleGap(ex, link, rnd, maxPause, pauses);
    }, inMs, TimeUnit.MILLISECONDS);
  }
}
