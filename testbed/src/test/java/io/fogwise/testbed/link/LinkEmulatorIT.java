package io.fogwise.testbed.link;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A jnats client talks to a real nats-server through the emulated link. */
class LinkEmulatorIT {
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final String SUBJECT = "fw.test.link"; // in the operator's subject space

  private NatsServer server;
  private LinkEmulator link;
  private Connection nats;

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    link = LinkEmulator.start("127.0.0.1", server.port());
    nats =
        Nats.connect(
            // an operator, through the link: TLS passes through it end to end
            server.operatorAuth().applyTo(Options.builder())
                .server(link.url())
                .connectionName("link-emulator-it")
                .reconnectWait(Duration.ofMillis(50))
                .maxReconnects(-1)
                .build());
  }

  @AfterEach
  void stop() throws Exception {
    if (nats != null) {
      nats.close();
    }
    if (link != null) {
      link.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void publishAndSubscribeThroughTheLink() throws Exception {
    Subscription sub = nats.subscribe(SUBJECT);
    nats.flush(PATIENCE);

    publish(0, 1000);

    expect(sub, 0, 1000);
    assertEquals(1, link.counters().connectionsAccepted());
    assertTrue(link.counters().bytesUpstream() > 0 && link.counters().bytesDownstream() > 0, link.counters()::toString);
  }

  @Test
  void everyMessageArrivesAfterAPause() throws Exception {
    Subscription sub = nats.subscribe(SUBJECT);
    nats.flush(PATIENCE);

    long start = System.nanoTime();
    link.pause(Duration.ofMillis(600));
    publish(0, 200);

    Message first = sub.nextMessage(PATIENCE);
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertNotNull(first, "no message after the pause");
    assertEquals("0", text(first));
    assertTrue(waitedMillis >= 600, "first message came " + waitedMillis + " ms after the pause began");
    expect(sub, 1, 200);
    assertEquals(1, link.counters().connectionsAccepted(), "a pause must not cost the connection");
  }

  @Test
  void clientReconnectsThroughTheLinkAfterAReset() throws Exception {
    nats.flush(PATIENCE);

    link.resetConnections();

    await().atMost(PATIENCE).until(() -> link.counters().connectionsAccepted() == 2);
    await().atMost(PATIENCE).until(() -> nats.getStatus() == Connection.Status.CONNECTED);
    Subscription sub = nats.subscribe(SUBJECT);
    nats.flush(PATIENCE);
    publish(0, 10);
    expect(sub, 0, 10);
  }

  private void publish(int from, int to) {
    for (int i = from; i < to; i++) {
      nats.publish(SUBJECT, Integer.toString(i).getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void expect(Subscription sub, int from, int to) throws InterruptedException {
    for (int i = from; i < to; i++) {
      Message m = sub.nextMessage(PATIENCE);
      assertNotNull(m, "message " + i + " never arrived");
      assertEquals(Integer.toString(i), text(m));
    }
  }

  private static String text(Message m) {
    return new String(m.getData(), StandardCharsets.UTF_8);
  }
}
