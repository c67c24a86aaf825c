package io.fogwise.testbed.bench;

import io.fogwise.cloud.history.DeviceSeries;
import io.fogwise.cloud.history.History;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.testbed.fleet.DeviceTrace;
import io.fogwise.testbed.fleet.FleetTrace;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the miner's {@link History} for the mining benchmark.
 *
 * <p>{@link #fromStreams}: TEMPORARY until the ingestion work is merged — it reads the
 * {@code FW_TELEMETRY} and {@code FW_EVENTS} streams with a plain ordered JetStream consumer into
 * a snapshot, where {@code fogwise cloud} uses its ingestor and persistent store. Either way the
 * miner sees only what was published, never the simulator's labels.
 *
 * <p>{@link #fromTrace}: the speed part's 1M-reading history built in memory (the drain into the
 * store is the ingestor's to measure).
 */
final class Histories {
  private static final int FETCH = 5000;

  private Histories() {}

  /** What reading the streams gave. */
  record Read(History history, long telemetry, long events, long rejected, long future) {}

  static Read fromStreams(Connection nats, long nowMillis) throws Exception {
    long nTm = nats.jetStreamManagement().getStreamInfo(Subjects.TELEMETRY_STREAM).getStreamState().getMsgCount();
    long nEv = nats.jetStreamManagement().getStreamInfo(Subjects.EVENTS_STREAM).getStreamState().getMsgCount();
    Builder b = new Builder();
    long[] rejected = new long[1];
    long[] future = new long[1];
    readAll(nats, Subjects.TELEMETRY_STREAM, nTm, m -> {
      try {
        Telemetry t = MessageCodec.decode(m.getData(), Telemetry.class);
        if (t.atMillis() > nowMillis) {
          future[0]++; // a clock running ahead: not history yet
        } else {
          b.telemetry(t);
        }
      } catch (RejectedMessageException e) {
        rejected[0]++;
      }
    });
    List<AdaptationEvent> events = new ArrayList<>();
    readAll(nats, Subjects.EVENTS_STREAM, nEv, m -> {
      try {
        events.add(MessageCodec.decode(m.getData(), AdaptationEvent.class));
      } catch (RejectedMessageException e) {
        rejected[0]++;
      }
    });
    return new Read(b.build(events), nTm, nEv, rejected[0], future[0]);
  }

  static History fromTrace(FleetTrace trace) {
    Builder b = new Builder();
    for (DeviceTrace d : trace.devices()) {
      for (int i = 0; i < d.telemetryCount(); i++) {
        b.telemetry(d.telemetry(i));
      }
    }
    List<AdaptationEvent> events = new ArrayList<>();
    trace.gateways().forEach(gw -> events.addAll(trace.events(gw)));
    return b.build(events);
  }

  private interface Each {
    void accept(Message m) throws Exception;
  }

  private static void readAll(Connection nats, String stream, long count, Each each)
      throws Exception {
    // a pull consumer fetched in batches, each acknowledged by acking its last message (ack
    // policy "all"); no filter subject: the stream holds only these subjects, and nats-server 2.9
    // with a wildcard filter slowed to a few hundred messages a second as the stream grew
    ConsumerContext consumer = nats.getStreamContext(stream).createOrUpdateConsumer(ConsumerConfiguration.builder()
        .ackPolicy(AckPolicy.Explicit).maxAckPending(FETCH * 2L)
        .inactiveThreshold(Duration.ofMinutes(5)).build());
    long read = 0;
    try {
      while (read < count) {
        Message last = null;
        try (FetchConsumer batch = consumer.fetch(FetchConsumeOptions.builder()
            .maxMessages((int) Math.min(FETCH, count - read)).expiresIn(30_000).build())) {
          Message m;
          while ((m = batch.nextMessage()) != null) {
            each.accept(m);
            m.ack();
            last = m;
            read++;
          }
        }
        if (last == null) {
          throw new IllegalStateException(stream + ": message " + (read + 1) + " of " + count
              + " did not come in 30 s");
        }
      }
    } finally {
      nats.jetStreamManagement().deleteConsumer(stream, consumer.getConsumerName());
    }
  }

  /** Columns per (gateway, device). */
  private static final class Builder {
    final Map<String, Columns> devices = new LinkedHashMap<>();
    long from = Long.MAX_VALUE;
    long to = Long.MIN_VALUE;

    void telemetry(Telemetry t) {
      devices.computeIfAbsent(t.gatewayId() + "/" + t.deviceId(), k -> new Columns(t.gatewayId(), t.deviceId()))
          .add(t);
      from = Math.min(from, t.atMillis());
      to = Math.max(to, t.atMillis());
    }

    History build(List<AdaptationEvent> events) {
      Map<String, String> classes = new HashMap<>();
      events.sort(Comparator.comparingLong(AdaptationEvent::atMillis));
      for (AdaptationEvent e : events) {
        String cls = e.details().get("class");
        if (cls != null && e.deviceId() != null) {
          classes.put(e.gatewayId() + "/" + e.deviceId(), cls);
        }
      }
      List<DeviceSeries> out = new ArrayList<>();
      devices.forEach((k, c) -> out.add(c.series(classes.getOrDefault(k, DeviceSeries.DEFAULT_CLASS))));
      return devices.isEmpty() ? History.of(out, events, 0, 0) : History.of(out, events, from, to);
    }
  }

  private static final class Columns {
    final String gw;
    final String device;
    int n;
    long[] at = new long[256];
    double[] cpu = new double[256];
    double[] mem = new double[256];
    double[] bat = new double[256];
    double[] temp = new double[256];

    Columns(String gw, String device) {
      this.gw = gw;
      this.device = device;
    }

    void add(Telemetry t) {
      if (n == at.length) {
        at = Arrays.copyOf(at, n * 2);
        cpu = Arrays.copyOf(cpu, n * 2);
        mem = Arrays.copyOf(mem, n * 2);
        bat = Arrays.copyOf(bat, n * 2);
        temp = Arrays.copyOf(temp, n * 2);
      }
      at[n] = t.atMillis();
      cpu[n] = t.cpuLoad();
      mem[n] = t.memMaxBytes() <= 0 ? Double.NaN : 100.0 * t.memUsedBytes() / t.memMaxBytes();
      bat[n] = t.batteryPct() == null ? Double.NaN : t.batteryPct();
      temp[n] = t.temperatureC() == null ? Double.NaN : t.temperatureC();
      n++;
    }

    DeviceSeries series(String cls) {
      // the stream holds each device's readings in publishing order; sort in case a gateway sent late
      Integer[] order = new Integer[n];
      boolean sorted = true;
      for (int i = 0; i < n; i++) {
        order[i] = i;
        sorted &= i == 0 || at[i - 1] <= at[i];
      }
      if (!sorted) {
        Arrays.sort(order, Comparator.comparingLong(i -> at[i]));
      }
      long[] a = new long[n];
      double[] c = new double[n];
      double[] m = new double[n];
      double[] b = new double[n];
      double[] t = new double[n];
      for (int i = 0; i < n; i++) {
        int j = order[i];
        a[i] = at[j];
        c[i] = cpu[j];
        m[i] = mem[j];
        b[i] = bat[j];
        t[i] = temp[j];
      }
      return new DeviceSeries(gw, device, cls, a, c, m, b, t);
    }
  }
}
