package io.fogwise.testbed.link;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread does all the I/O and all the timing: it reads what is available, stamps
 * each chunk with the time it may be delivered, and writes chunks once due. A single thread keeps
 * forty idle connections at zero CPU and needs no locking around per-connection state; only the
 * impairment settings and the counters are shared with callers.
 */
final class NioLinkEmulator implements LinkEmulator {
  private static final Logger LOG = LoggerFactory.getLogger(NioLinkEmulator.class);

  private static final int UP = 0;
  private static final int DOWN = 1;
  private static final int READ_BUFFER_BYTES = 64 * 1024;
  /** Above this many held bytes a direction stops reading, so the sender's TCP window fills up. */
  static final long HIGH_WATER_BYTES = 8L * 1024 * 1024;
  private static final int GATHER_MAX = 64;
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  private final InetSocketAddress target;
  private final Selector selector;
  private final ServerSocketChannel listener;
  private final int port;
  private final Thread loop;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Touched on the selector thread only. */
  private boolean targetUnreachable;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Impairment> upstream = new AtomicReference<>(Impairment.NONE);
  private final AtomicReference<Impairment> downstream = new AtomicReference<>(Impairment.NONE);
  private volatile Random random = new Random();

  private final AtomicLong[] delivered = {new AtomicLong(), new AtomicLong()};
  private final AtomicLong[] held = {new AtomicLong(), new AtomicLong()};
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicInteger current = new AtomicInteger();
  private final AtomicLong delayedByLoss = new AtomicLong();

  // Loop-thread state.
  private final Set<Connection> connections = new HashSet<>();
  private final Set<Pipe> busy = new LinkedHashSet<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
  private final ByteBuffer[] gather = new ByteBuffer[GATHER_MAX];

  private NioLinkEmulator(InetSocketAddress target, Selector selector, ServerSocketChannel listener, int port) {
    this.target = target;
    this.selector = selector;
    this.listener = listener;
    this.port = port;
    this.loop = new Thread(this::run, "link-emulator-" + port);
    this.loop.setDaemon(true);
  }

  static NioLinkEmulator start(String targetHost, int targetPort) {
    Objects.requireNonNull(targetHost, "targetHost");
    if (targetPort < 1 || targetPort > 65_535) {
      throw new IllegalArgumentException("link emulator target port must be 1..65535, was " + targetPort);
    }
    InetSocketAddress target = new InetSocketAddress(targetHost, targetPort);
    if (target.isUnresolved()) {
      throw new IllegalArgumentException("link emulator cannot resolve target host '" + targetHost + "'");
    }
    Selector selector = null;
    ServerSocketChannel listener = null;
    try {
      selector = Selector.open();
      listener = ServerSocketChannel.open();
      listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 128);
      listener.configureBlocking(false);
      listener.register(selector, SelectionKey.OP_ACCEPT);
      int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
      NioLinkEmulator emulator = new NioLinkEmulator(target, selector, listener, port);
      emulator.loop.start();
      LOG.debug("link emulator on 127.0.0.1:{} forwards to {}", port, target);
      return emulator;
    } catch (IOException e) {
      closeQuietly(listener);
      closeQuietly(selector);
      throw new UncheckedIOException("link emulator cannot listen on a free loopback port", e);
    }
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  @Override
  public LinkEmulator withSeed(long seed) {
    random = new Random(seed);
    return this;
  }

  @Override
  public LinkEmulator delay(Direction direction, Duration delay) {
    long nanos = nonNegative(delay, "delay");
    return update(direction, i -> i.withShape(nanos, i.jitterNanos, i.loss, i.rtoNanos));
  }

  @Override
  public LinkEmulator jitter(Direction direction, Duration jitter) {
    long nanos = nonNegative(jitter, "jitter");
    return update(direction, i -> i.withShape(i.delayNanos, nanos, i.loss, i.rtoNanos));
  }

  @Override
  public LinkEmulator loss(Direction direction, double probability) {
    return loss(direction, probability, DEFAULT_RETRANSMISSION_TIMEOUT);
  }

  @Override
  public LinkEmulator loss(Direction direction, double probability, Duration retransmissionTimeout) {
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("loss probability must be within 0..1, was " + probability);
    }
    long rto = nonNegative(retransmissionTimeout, "retransmission timeout");
    return update(direction, i -> i.withShape(i.delayNanos, i.jitterNanos, probability, rto));
  }

  @Override
  public LinkEmulator cut(Direction direction) {
    return update(direction, i -> i.withBlock(true, i.paused, i.pausedUntil));
  }

  @Override
  public LinkEmulator restore(Direction direction) {
    return update(direction, i -> i.withBlock(false, false, 0));
  }

  @Override
  public LinkEmulator pause(Direction direction, Duration duration) {
    long until = System.nanoTime() + nonNegative(duration, "pause");
    return update(
        direction,
        i -> i.withBlock(i.cut, true, i.paused && i.pausedUntil - until > 0 ? i.pausedUntil : until));
  }

  @Override
  public LinkEmulator clearImpairments() {
    return update(Direction.BOTH, i -> Impairment.NONE);
  }

  @Override
  public void resetConnections() {
    runOnLoop(() -> new ArrayList<>(connections).forEach(c -> c.close(true)));
  }

  @Override
  public Counters counters() {
    return new Counters(
        delivered[UP].get(),
        delivered[DOWN].get(),
        held[UP].get(),
        held[DOWN].get(),
        accepted.get(),
        current.get(),
        delayedByLoss.get());
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    selector.wakeup();
    if (Thread.currentThread() != loop) {
      try {
        loop.join(CLOSE_WAIT_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "LinkEmulator[" + url() + " -> " + target + "]";
  }

  private LinkEmulator update(Direction direction, UnaryOperator<Impairment> change) {
    Objects.requireNonNull(direction, "direction");
    if (direction.includes(Direction.UPSTREAM)) {
      upstream.updateAndGet(change);
    }
    if (direction.includes(Direction.DOWNSTREAM)) {
      downstream.updateAndGet(change);
    }
    // The loop may be sleeping until a deadline that the change just moved.
    selector.wakeup();
    return this;
  }

  private Impairment impairment(int dir) {
    return dir == UP ? upstream.get() : downstream.get();
  }

  private static long nonNegative(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, was " + d);
    }
    return d.toNanos();
  }

  private void runOnLoop(Runnable task) {
    if (Thread.currentThread() == loop) {
      task.run();
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    tasks.add(
        () -> {
          try {
            task.run();
            done.complete(null);
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          }
        });
    selector.wakeup();
    while (true) {
      try {
        done.get(100, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException notYet) {
        if (!loop.isAlive()) {
          return; // closed: there is nothing left to act on
        }
      } catch (ExecutionException e) {
        throw new IllegalStateException("link emulator task failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  // ---------------------------------------------------------------- loop thread

  private void run() {
    try {
      while (!closed.get()) {
        long waitNanos = serviceDue(System.nanoTime());
        if (waitNanos < 0) {
          selector.select();
        } else if (waitNanos == 0) {
          selector.selectNow();
        } else {
          selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos + 999_999)));
        }
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        Set<SelectionKey> ready = selector.selectedKeys();
        for (SelectionKey key : ready) {
          handle(key);
        }
        ready.clear();
      }
    } catch (IOException | RuntimeException e) {
      LOG.error("link emulator {} stopped unexpectedly: {}", this, e.toString(), e);
    } finally {
      shutdown();
    }
  }

  private void shutdown() {
    closed.set(true);
    new ArrayList<>(connections).forEach(c -> c.close(false));
    busy.clear();
    closeQuietly(listener);
    closeQuietly(selector);
    LOG.debug("link emulator {} closed", this);
  }

  private void handle(SelectionKey key) {
    if (!key.isValid()) {
      return;
    }
    if (key.channel() == listener) {
      accept();
      return;
    }
    Connection c = (Connection) key.attachment();
    boolean clientSide = key == c.clientKey;
    try {
      int ops = key.readyOps();
      if ((ops & SelectionKey.OP_CONNECT) != 0) {
        c.finishConnect();
      }
      if (!c.closed && (ops & SelectionKey.OP_WRITE) != 0) {
        Pipe into = clientSide ? c.down : c.up;
        into.writeBlocked = false;
        flush(into, System.nanoTime());
      }
      if (!c.closed && (ops & SelectionKey.OP_READ) != 0) {
        read(clientSide ? c.up : c.down, System.nanoTime());
      }
      c.updateInterest();
    } catch (IOException | CancelledKeyException e) {
      c.fail(e);
    }
  }

  private void accept() {
    while (true) {
      SocketChannel client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        LOG.warn("link emulator {} failed to accept a connection: {}", this, e.toString());
        return;
      }
      if (client == null) {
        return;
      }
      accepted.incrementAndGet();
      SocketChannel server = null;
      try {
        client.configureBlocking(false);
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        server = SocketChannel.open();
        server.configureBlocking(false);
        server.setOption(StandardSocketOptions.TCP_NODELAY, true);
        boolean connected = server.connect(target);
        Connection c = new Connection(client, server, !connected);
        connections.add(c);
        current.incrementAndGet();
        c.clientKey = client.register(selector, 0, c);
        c.serverKey = server.register(selector, 0, c);
        c.updateInterest();
      } catch (IOException e) {
        LOG.warn("link emulator {} cannot reach {}: {}; closing the client connection", this, target, e.toString());
        abortQuietly(client);
        abortQuietly(server);
      }
    }
  }

  private void read(Pipe p, long now) throws IOException {
    readBuffer.clear();
    int n = p.source.read(readBuffer);
    if (n == 0) {
      return;
    }
    Impairment imp = impairment(p.dir);
    if (n < 0) {
      p.sourceEof = true;
      enqueue(p, null, 0, dueTime(p, imp, now, false));
      flush(p, now);
      return;
    }
    readBuffer.flip();
    if (p.queue.isEmpty() && p.sinkReady() && !imp.shapes() && !imp.blocked(now)) {
      // Unimpaired fast path: no copy, no queue.
      int written = p.sink.write(readBuffer);
      delivered[p.dir].addAndGet(written);
      if (!readBuffer.hasRemaining()) {
        return;
      }
      p.writeBlocked = true;
    }
    byte[] copy = new byte[readBuffer.remaining()];
    readBuffer.get(copy);
    enqueue(p, ByteBuffer.wrap(copy), copy.length, dueTime(p, imp, now, true));
    flush(p, now);
  }

  private long dueTime(Pipe p, Impairment imp, long now, boolean data) {
    long due = now + imp.delayNanos;
    if (imp.jitterNanos > 0) {
      due += random.nextLong(imp.jitterNanos + 1);
    }
    if (data && imp.loss > 0 && random.nextDouble() < imp.loss) {
      due += imp.rtoNanos;
      delayedByLoss.incrementAndGet();
    }
    // TCP delivers in order: a chunk waits for every earlier chunk of its connection.
    if (due - p.lastDue < 0) {
      due = p.lastDue;
    }
    p.lastDue = due;
    return due;
  }

  private void enqueue(Pipe p, ByteBuffer data, int length, long due) {
    p.queue.add(new Chunk(data, due));
    p.queuedBytes += length;
    held[p.dir].addAndGet(length);
    busy.add(p);
  }

  /** Writes every due chunk the sink accepts; returns with the rest still queued. */
  private void flush(Pipe p, long now) throws IOException {
    if (p.queue.isEmpty() || !p.sinkReady() || impairment(p.dir).blocked(now)) {
      return;
    }
    while (true) {
      int k = 0;
      for (Chunk c : p.queue) {
        if (k == GATHER_MAX || c.data == null || c.due - now > 0) {
          break;
        }
        gather[k++] = c.data;
      }
      if (k == 0) {
        Chunk head = p.queue.peek();
        if (head != null && head.data == null && head.due - now <= 0) {
          p.queue.poll();
          p.sinkShut = true;
          p.sink.shutdownOutput();
          p.owner.closeIfFinished();
        }
        return;
      }
      long written = p.sink.write(gather, 0, k);
      boolean blocked = gather[k - 1].hasRemaining();
      Arrays.fill(gather, 0, k, null);
      p.queuedBytes -= written;
      held[p.dir].addAndGet(-written);
      delivered[p.dir].addAndGet(written);
      Chunk head;
      while ((head = p.queue.peek()) != null && head.data != null && !head.data.hasRemaining()) {
        p.queue.poll();
      }
      if (blocked) {
        p.writeBlocked = true;
        return;
      }
    }
  }

  /**
   * Flushes every pipe with due data and returns the nanoseconds until the next chunk falls due
   * (or a pause ends), or -1 when nothing is waiting on time.
   */
  private long serviceDue(long now) {
    long next = Long.MAX_VALUE;
    for (Iterator<Pipe> it = busy.iterator(); it.hasNext(); ) {
      Pipe p = it.next();
      if (!p.queue.isEmpty()) {
        try {
          flush(p, now);
          p.owner.updateInterest();
        } catch (IOException | CancelledKeyException e) {
          p.owner.fail(e);
        }
      }
      if (p.queue.isEmpty()) {
        it.remove();
        continue;
      }
      if (!p.sinkReady()) {
        continue; // woken by OP_WRITE or OP_CONNECT instead
      }
      Impairment imp = impairment(p.dir);
      if (imp.cut) {
        continue; // woken by restore()
      }
      long at = p.queue.peek().due;
      if (imp.paused && imp.pausedUntil - at > 0) {
        at = imp.pausedUntil;
      }
      next = Math.min(next, Math.max(0, at - now));
    }
    return next == Long.MAX_VALUE ? -1 : next;
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // closing is best effort; the channel is gone either way
    }
  }

  /** Closes with a TCP reset rather than an orderly FIN, as a crashed link would look. */
  private static void abortQuietly(SocketChannel ch) {
    if (ch == null) {
      return;
    }
    try {
      ch.setOption(StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException | RuntimeException ignored) {
      // a channel that cannot take the option is closed plainly below
    }
    closeQuietly(ch);
  }

  /** The impairment of one direction; immutable, swapped atomically by the setters. */
  private record Impairment(
      long delayNanos,
      long jitterNanos,
      double loss,
      long rtoNanos,
      boolean cut,
      boolean paused,
      long pausedUntil) {
    static final Impairment NONE =
        new Impairment(0, 0, 0, DEFAULT_RETRANSMISSION_TIMEOUT.toNanos(), false, false, 0);

    boolean shapes() {
      return delayNanos > 0 || jitterNanos > 0 || loss > 0;
    }

    boolean blocked(long now) {
      return cut || (paused && now - pausedUntil < 0);
    }

    Impairment withShape(long delay, long jitter, double lossProbability, long rto) {
      return new Impairment(delay, jitter, lossProbability, rto, cut, paused, pausedUntil);
    }

    Impairment withBlock(boolean isCut, boolean isPaused, long until) {
      return new Impairment(delayNanos, jitterNanos, loss, rtoNanos, isCut, isPaused, until);
    }
  }

  /** Bytes read in one read call, or end of stream when {@code data} is null. */
  private record Chunk(ByteBuffer data, long due) {}

  /** One direction of one connection. */
  private final class Pipe {
    final int dir;
    final Connection owner;
    final SocketChannel source;
    final SocketChannel sink;
    final ArrayDeque<Chunk> queue = new ArrayDeque<>();
    long queuedBytes;
    long lastDue = System.nanoTime();
    boolean sourceEof;
    boolean sinkShut;
    boolean writeBlocked;

    Pipe(int dir, Connection owner, SocketChannel source, SocketChannel sink) {
      this.dir = dir;
      this.owner = owner;
      this.source = source;
      this.sink = sink;
    }

    boolean sinkReady() {
      return !writeBlocked && !sinkShut && !owner.connecting && !owner.closed;
    }

    boolean wantsRead() {
      return !sourceEof && queuedBytes < HIGH_WATER_BYTES;
    }
  }

  /** A client connection and its connection to the target. */
  private final class Connection {
    final SocketChannel client;
    final SocketChannel server;
    final Pipe up;
    final Pipe down;
    SelectionKey clientKey;
    SelectionKey serverKey;
    boolean connecting;
    boolean closed;

    Connection(SocketChannel client, SocketChannel server, boolean connecting) {
      this.client = client;
      this.server = server;
      this.connecting = connecting;
      this.up = new Pipe(UP, this, client, server);
      this.down = new Pipe(DOWN, this, server, client);
    }

    void finishConnect() throws IOException {
      try {
        if (server.finishConnect()) {
          connecting = false;
          targetUnreachable = false;
          flush(up, System.nanoTime());
        }
      } catch (IOException e) {
        // once per outage: a client reconnecting every 250 ms to a dead server would repeat it 4 times a second
        if (!targetUnreachable) {
          targetUnreachable = true;
          LOG.warn("link emulator {} cannot reach {}: {}; closing client connections until it can", NioLinkEmulator.this,
              target, e.toString());
        } else {
          LOG.debug("link emulator {} still cannot reach {}: {}", NioLinkEmulator.this, target, e.toString());
        }
        close(true);
      }
    }

    void updateInterest() {
      if (closed) {
        return;
      }
      int clientOps = 0;
      int serverOps = 0;
      if (up.wantsRead()) {
        clientOps |= SelectionKey.OP_READ;
      }
      if (down.writeBlocked) {
        clientOps |= SelectionKey.OP_WRITE;
      }
      if (connecting) {
        serverOps = SelectionKey.OP_CONNECT;
      } else {
        if (down.wantsRead()) {
          serverOps |= SelectionKey.OP_READ;
        }
        if (up.writeBlocked) {
          serverOps |= SelectionKey.OP_WRITE;
        }
      }
      clientKey.interestOps(clientOps);
      serverKey.interestOps(serverOps);
    }

    void closeIfFinished() {
      if (up.sinkShut && down.sinkShut) {
        close(false);
      }
    }

    void fail(Exception e) {
      LOG.debug("link emulator {}: connection {} failed: {}", NioLinkEmulator.this, client, e.toString());
      close(true);
    }

    void close(boolean abrupt) {
      if (closed) {
        return;
      }
      closed = true;
      connections.remove(this);
      current.decrementAndGet();
      for (Pipe p : new Pipe[] {up, down}) {
        held[p.dir].addAndGet(-p.queuedBytes);
        p.queuedBytes = 0;
        p.queue.clear();
      }
      if (abrupt) {
        abortQuietly(client);
        abortQuietly(server);
      } else {
        closeQuietly(client);
        closeQuietly(server);
      }
    }
  }
}
