package io.fogwise.testbed.load;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread walks a single global schedule: beat {@code k} belongs to device {@code k mod n}
 * and is due at {@code start + (k div n) * interval + (k mod n) * interval / n}. That keeps the
 * rate exact without a timer per device, and a thread that falls behind catches up in order.
 */
final class NatsHeartbeatGenerator implements HeartbeatGenerator {
  /** jnats' default outgoing queue (5000 messages) is 100 ms at 50k/s: too little for a GC pause here. */
  private static final int OUTGOING_QUEUE = 200_000;

  private final HeartbeatGenerator.Settings settings;
  private final List<String> ids;
  private final Map<String, Integer> index = new HashMap<>();
  private final String[] subjects;
  private final HeartbeatTemplate[] templates;
  private final Connection[] connections;
  private final AtomicLongArray silenceAt;
  private final AtomicLongArray firstSent;
  private final AtomicLongArray lastSent;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong maxLag = new AtomicLong();
  private final AtomicLong late = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final long intervalNanos;
  private final long startNanos;
  private final Thread thread;

  private NatsHeartbeatGenerator(HeartbeatGenerator.Settings settings, Connection[] connections) {
    this.settings = settings;
    this.connections = connections;
    int n = settings.devices();
    int width = Integer.toString(n - 1).length();
    String[] names = new String[n];
    subjects = new String[n];
    templates = new HeartbeatTemplate[n];
    for (int i = 0; i < n; i++) {
      names[i] = settings.idPrefix() + String.format("%0" + width + "d", i);
      subjects[i] = Subjects.heartbeat(settings.gatewayId(), names[i]);
      templates[i] = new HeartbeatTemplate(new Heartbeat(names[i], settings.gatewayId(), 0, 0,
          (int) settings.interval().toMillis(), settings.layer(), null, Map.of(), List.of()));
      index.put(names[i], i);
    }
    ids = List.of(names);
    silenceAt = new AtomicLongArray(n);
    firstSent = new AtomicLongArray(n);
    lastSent = new AtomicLongArray(n);
    for (int i = 0; i < n; i++) {
      silenceAt.set(i, Long.MAX_VALUE);
      firstSent.set(i, -1);
      lastSent.set(i, -1);
    }
    intervalNanos = settings.interval().toNanos();
    startNanos = System.nanoTime();
    thread = new Thread(this::run, "heartbeat-generator");
    thread.setPriority(Thread.MAX_PRIORITY);
    thread.setDaemon(true);
  }

  static NatsHeartbeatGenerator start(HeartbeatGenerator.Settings settings) {
    Connection[] conns = new Connection[settings.connections()];
    try {
      for (int c = 0; c < conns.length; c++) {
        conns[c] = Nats.connect(NatsOptions.component(settings.natsUrl(), "heartbeat-generator-" + c, settings.auth())
            .maxMessagesInOutgoingQueue(OUTGOING_QUEUE)
            .connectionListener((conn, type) -> { })
            .errorListener(new ErrorListener() { })
            .build());
      }
    } catch (IOException e) {
      closeAll(conns);
      throw new IllegalStateException("heartbeat generator cannot connect to " + settings.natsUrl() + ": " + e, e);
    } catch (InterruptedException e) {
      closeAll(conns);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting to " + settings.natsUrl(), e);
    }
    NatsHeartbeatGenerator g = new NatsHeartbeatGenerator(settings, conns);
    g.thread.start();
    return g;
  }

  private void run() {
    int n = subjects.length;
    long k = 0;
    long lateNanos = LATE.toNanos();
    while (running.get()) {
      long now = System.nanoTime();
      long wall = System.currentTimeMillis();
      long due;
      while ((due = dueNanos(k, n)) <= now && running.get()) {
        int i = (int) (k % n);
        if (now < silenceAt.get(i)) {
          try {
            connections[i % connections.length].publish(subjects[i], templates[i].render(k / n, wall));
            if (firstSent.get(i) < 0) {
              firstSent.set(i, now);
            }
            lastSent.lazySet(i, now);
            sent.incrementAndGet();
          } catch (RuntimeException e) {
            failures.incrementAndGet();
          }
          long lag = now - due;
          if (lag > lateNanos) {
            late.incrementAndGet();
          }
          if (lag > maxLag.get()) {
            maxLag.set(lag);
          }
        }
        k++;
        if ((k & 255) == 0) {
          now = System.nanoTime();
          wall = System.currentTimeMillis();
        }
      }
      long wait = dueNanos(k, n) - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(1)));
      }
    }
  }

  private long dueNanos(long k, int n) {
    return startNanos + (k / n) * intervalNanos + (k % n) * intervalNanos / n;
  }

  @Override
  public List<String> deviceIds() {
    return ids;
  }

  @Override
  public void silenceAt(Collection<String> deviceIds, long atNanos) {
    int[] which = deviceIds.stream().mapToInt(this::indexOf).toArray();
    Arrays.stream(which).forEach(i -> silenceAt.accumulateAndGet(i, atNanos, Math::min));
  }

  @Override
  public long silencedAtNanos(String deviceId) {
    return silenceAt.get(indexOf(deviceId));
  }

  @Override
  public long firstSentNanos(String deviceId) {
    return firstSent.get(indexOf(deviceId));
  }

  @Override
  public long lastSentNanos(String deviceId) {
    return lastSent.get(indexOf(deviceId));
  }

  private int indexOf(String deviceId) {
    Integer i = index.get(deviceId);
    if (i == null) {
      throw new IllegalArgumentException("no synthetic device '" + deviceId + "' in this generator");
    }
    return i;
  }

  @Override
  public HeartbeatGenerator.Counters counters() {
    return new HeartbeatGenerator.Counters(sent.get(), System.nanoTime() - startNanos, maxLag.get(), late.get(),
        failures.get());
  }

  @Override
  public void close() {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeAll(connections);
  }

  private static void closeAll(Connection[] conns) {
    for (Connection c : conns) {
      if (c != null) {
        try {
          c.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
