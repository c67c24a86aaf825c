package io.fogwise.cloud.history;

import io.fogwise.identity.Role;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Clock;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.api.PublishAck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The ingestion speed, run by hand (not a test): pre-fills {@code FW_TELEMETRY} on a real secure
 * nats-server with N small telemetry messages (async publish), then drains it into a fresh store
 * with the credentials of role miner ({@code -Dfw.role=CLOUD} for the cloud service's, insecure
 * with {@code -Dfw.insecure=true}) and loads the store. Arguments: {@code [messages] [batch]}.
 */
public final class IngestDrainBench {
  private IngestDrainBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : HistoryIngestor.Options.DEFAULT_BATCH;
    Path store = Files.createTempDirectory("fw-miner-bench");
    try (NatsServer server = Boolean.getBoolean("fw.insecure") ? NatsServer.builder().insecure().start() : NatsServer.start();
        Connection op = server.connect()) {
      io.fogwise.protocol.HistoryStreams.ensureCloud(op.jetStreamManagement(), List.of());
      JetStream js = op.jetStream();
      long t0 = System.nanoTime();
      long base = System.currentTimeMillis() - 3_600_000;
      List<CompletableFuture<PublishAck>> inFlight = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String gw = "gw-" + (i % 10);
        String dev = "dev-" + (i % 1000);
        Telemetry t = new Telemetry(dev, gw, base + i, (i % 100) / 100.0, 1000 + i % 500, 4096, 50.0 + i % 50, 40.0,
            null);
        inFlight.add(js.publishAsync(Subjects.telemetry(gw, dev), MessageCodec.encode(t)));
        if (inFlight.size() == 20_000) {
          CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).join();
          inFlight.clear();
        }
      }
      CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).join();
      System.out.printf("pre-filled %d telemetry messages in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
      try (Connection cloud = Nats.connect(NatsOptions.component(server.url(), "miner",
          server.auth(Role.valueOf(System.getProperty("fw.role", "MINER")), "bench")).build());
          HistoryStore hs = HistoryStore.open(store, "bench")) {
        HistoryIngestor in = HistoryIngestor.create(cloud, hs, HistoryIngestor.Options.defaults().withBatch(batch),
            Clock.system(), HistoryMetrics.noop());
        HistoryIngestor.DrainResult r = in.drain(Duration.ofMinutes(5));
        System.out.printf("drained %d messages in %.2f s: %.0f messages/s (batch %d)%n", r.messages(), r.nanos() / 1e9,
            r.perSecond(), batch);
        long l0 = System.nanoTime();
        History h = hs.load();
        System.out.printf("loaded %d telemetry records of %d devices in %.2f s%n", h.counts().telemetry(),
            h.devices().size(), (System.nanoTime() - l0) / 1e9);
      }
    } finally {
      try (var s = Files.walk(store)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
