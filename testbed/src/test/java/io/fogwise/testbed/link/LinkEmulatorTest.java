package io.fogwise.testbed.link;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LinkEmulatorTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private EchoServer echo;
  private LinkEmulator link;
  private final List<Socket> clients = new ArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeEach
  void startEchoAndLink() throws IOException {
    echo = new EchoServer();
    link = LinkEmulator.start("127.0.0.1", echo.port());
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : clients) {
      s.close();
    }
    link.close();
    echo.close();
    pool.shutdownNow();
  }

  @Test
  void passesOneMegabyteThroughUnchangedBothWays() throws Exception {
    byte[] sent = randomBytes(1 << 20, 1);

    byte[] back = echoThrough(connect(), sent, 8 * 1024);

    assertArrayEquals(sent, back);
    await().atMost(PATIENCE).until(() -> link.counters().bytesDownstream() == sent.length);
    assertEquals(sent.length, link.counters().bytesUpstream());
    assertEquals(1, link.counters().connectionsAccepted());
    assertEquals("nats://127.0.0.1:" + link.port(), link.url());
  }

  @Test
  void delayAddsToTheRoundTrip() throws Exception {
    Socket s = connect();
    roundTrip(s, 1); // connected and warm before measuring
    link.delay(Direction.UPSTREAM, Duration.ofMillis(100)).delay(Direction.DOWNSTREAM, Duration.ofMillis(50));

    long start = System.nanoTime();
    roundTrip(s, 2);

    assertTrue(elapsedMillis(start) >= 150, "round trip took " + elapsedMillis(start) + " ms, expected >= 150");
  }

  @Test
  void jitterNeverReordersTheStream() throws Exception {
    link.withSeed(7).jitter(Direction.BOTH, Duration.ofMillis(30)).delay(Direction.BOTH, Duration.ofMillis(5));
    byte[] sent = randomBytes(64 * 1024, 2);

    // Small writes make many separately timed chunks.
    byte[] back = echoThrough(connect(), sent, 256);

    assertArrayEquals(sent, back);
  }

  @Test
  void lossDelaysChunksButLosesNoBytes() throws Exception {
    link.withSeed(42).loss(Direction.BOTH, 0.3, Duration.ofMillis(20));
    byte[] sent = randomBytes(128 * 1024, 3);

    byte[] back = echoThrough(connect(), sent, 512);

    assertArrayEquals(sent, back);
    assertTrue(link.counters().chunksDelayedByLoss() > 0, "no chunk was delayed: " + link.counters());
  }

  @Test
  void lossHoldsAChunkForTheRetransmissionTimeout() throws Exception {
    Socket s = connect();
    roundTrip(s, 1);
    link.loss(Direction.UPSTREAM, 1.0, Duration.ofMillis(120));

    long start = System.nanoTime();
    roundTrip(s, 2);

    assertTrue(elapsedMillis(start) >= 120, "round trip took " + elapsedMillis(start) + " ms, expected >= 120");
    assertEquals(1, link.counters().chunksDelayedByLoss());
  }

  @Test
  void cutHoldsEverythingAndRestoreDeliversItInOrder() throws Exception {
    Socket s = connect();
    roundTrip(s, 1);
    link.cut();
    byte[] sent = randomBytes(256 * 1024, 4);

    writeInPieces(s, sent, 1024);
    await().atMost(PATIENCE).until(() -> link.counters().bytesHeldUpstream() == sent.length);

    assertEquals(0, s.getInputStream().available());
    assertEquals(1, link.counters().bytesDownstream(), "only the warm-up byte came back");
    assertEquals(1, link.counters().currentConnections(), "a cut keeps connections open");

    link.restore();

    assertArrayEquals(sent, s.getInputStream().readNBytes(sent.length));
    assertEquals(0, link.counters().bytesHeld(Direction.BOTH));
  }

  @Test
  void cutOneDirectionLeavesTheOtherFlowing() throws Exception {
    Socket s = connect();
    link.cut(Direction.DOWNSTREAM);
    s.getOutputStream().write(new byte[] {9, 8, 7});

    await().atMost(PATIENCE).until(() -> link.counters().bytesHeldDownstream() == 3);
    assertEquals(3, link.counters().bytesUpstream());
    assertEquals(0, s.getInputStream().available());

    link.restore(Direction.DOWNSTREAM);
    assertArrayEquals(new byte[] {9, 8, 7}, s.getInputStream().readNBytes(3));
  }

  @Test
  void pauseRestoresByItself() throws Exception {
    Socket s = connect();
    roundTrip(s, 1);

    long start = System.nanoTime();
    link.pause(Duration.ofMillis(300));
    s.getOutputStream().write(2);

    assertEquals(2, s.getInputStream().read()); // blocks until the pause ends; no restore()
    assertTrue(elapsedMillis(start) >= 300, "echo came after " + elapsedMillis(start) + " ms, expected >= 300");
  }

  @Test
  void resetConnectionsClosesTheClientSocket() throws Exception {
    Socket s = connect();
    roundTrip(s, 1);
    assertEquals(1, link.counters().currentConnections());

    link.resetConnections();

    assertEquals(0, link.counters().currentConnections());
    assertEndOfStreamOrReset(s);
    Socket again = connect();
    roundTrip(again, 3); // the emulator keeps accepting
    assertEquals(2, link.counters().connectionsAccepted());
  }

  @Test
  void servesManyConcurrentConnections() throws Exception {
    int n = 40;
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] sent = randomBytes(64 * 1024, 100 + i);
      Socket s = connect();
      results.add(pool.submit(() -> java.util.Arrays.equals(sent, echoThrough(s, sent, 4096))));
    }
    await().atMost(PATIENCE).until(() -> link.counters().currentConnections() == n);

    for (Future<Boolean> r : results) {
      assertTrue(r.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
    }
    assertEquals(n, link.counters().connectionsAccepted());

    for (Socket s : clients) {
      s.close();
    }
    await().atMost(PATIENCE).until(() -> link.counters().currentConnections() == 0);
  }

  @Test
  void clientCloseIsForwardedAsEndOfStream() throws Exception {
    Socket s = connect();
    roundTrip(s, 1);
    s.shutdownOutput();

    // The echo server answers end of stream by closing, which comes back as end of stream.
    assertEquals(-1, s.getInputStream().read());
    await().atMost(PATIENCE).until(() -> link.counters().currentConnections() == 0);
  }

  @Test
  void closeIsIdempotentAndStopsListening() {
    int port = link.port();
    link.close();
    link.close();

    assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
  }

  @Test
  void rejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> link.delay(Direction.BOTH, Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> link.loss(Direction.BOTH, 1.5));
    assertThrows(IllegalArgumentException.class, () -> link.loss(Direction.BOTH, Double.NaN));
    assertThrows(NullPointerException.class, () -> link.cut(null));
    assertThrows(IllegalArgumentException.class, () -> LinkEmulator.start("127.0.0.1", 0));
  }

  // ------------------------------------------------------------------ helpers

  private Socket connect() throws IOException {
    Socket s = new Socket();
    clients.add(s);
    s.setTcpNoDelay(true);
    s.setSoTimeout((int) PATIENCE.toMillis());
    s.connect(new InetSocketAddress("127.0.0.1", link.port()));
    return s;
  }

  private static void roundTrip(Socket s, int value) throws IOException {
    s.getOutputStream().write(value);
    assertEquals(value, s.getInputStream().read());
  }

  /** Writes {@code data} in pieces from another thread while reading the echo back here. */
  private byte[] echoThrough(Socket s, byte[] data, int piece) throws Exception {
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                writeInPieces(s, data, piece);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            pool);
    byte[] back = s.getInputStream().readNBytes(data.length);
    writer.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    return back;
  }

  private static void writeInPieces(Socket s, byte[] data, int piece) throws IOException {
    OutputStream out = s.getOutputStream();
    for (int off = 0; off < data.length; off += piece) {
      out.write(data, off, Math.min(piece, data.length - off));
    }
    out.flush();
  }

  private static void assertEndOfStreamOrReset(Socket s) {
    try {
      assertEquals(-1, s.getInputStream().read());
    } catch (SocketException reset) {
      // "Connection reset": the abrupt close we asked for
    } catch (IOException e) {
      throw new AssertionError("expected end of stream or reset, got " + e, e);
    }
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static long elapsedMillis(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  /** A loopback echo server, one thread per connection; closes a connection at end of stream. */
  private static final class EchoServer implements AutoCloseable {
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Socket> accepted = new ArrayList<>();

    EchoServer() throws IOException {
      server = new ServerSocket(0, 100, InetAddress.getByName("127.0.0.1"));
      threads.submit(this::acceptLoop);
    }

    int port() {
      return server.getLocalPort();
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          synchronized (accepted) {
            accepted.add(s);
          }
          threads.submit(() -> echo(s));
        } catch (IOException closed) {
          return;
        }
      }
    }

    private static void echo(Socket s) {
      try (s;
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream()) {
        s.setTcpNoDelay(true);
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
        }
      } catch (IOException gone) {
        // the emulator reset the connection: nothing to echo any more
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (accepted) {
        for (Socket s : accepted) {
          s.close();
        }
      }
      threads.shutdownNow();
    }
  }
}
