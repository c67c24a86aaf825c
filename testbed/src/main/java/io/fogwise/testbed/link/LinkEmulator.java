package io.fogwise.testbed.link;

import java.time.Duration;

/**
 * A TCP proxy on loopback that stands for the network link between a component and its NATS
 * server, and impairs that link in user space (delay, jitter, loss, cuts, resets) because the
 * testbed cannot rely on {@code tc netem}.
 *
 * <p>Point the component at {@link #url()} instead of the server. Every impairment can be changed
 * at any time, per {@link Direction}, and applies to data read from then on. Whatever the
 * impairment, the byte stream of a connection is never reordered, duplicated or dropped: like TCP,
 * a slow chunk holds back every later chunk of the same connection (head-of-line blocking).
 *
 * <p>Timers run on real time: this is a network emulator, so its delays are the ones the component
 * really sees.
 */
public interface LinkEmulator extends AutoCloseable {

  /** How long a "lost" chunk is held back when no retransmission timeout is given. */
  Duration DEFAULT_RETRANSMISSION_TIMEOUT = Duration.ofMillis(200);

  /**
   * Starts an emulator listening on a free loopback port that forwards every connection it
   * accepts to {@code targetHost:targetPort}, unimpaired until told otherwise.
   *
   * @throws java.io.UncheckedIOException if the listening socket cannot be opened
   * @throws IllegalArgumentException if the target host cannot be resolved or the port is invalid
   */
  static LinkEmulator start(String targetHost, int targetPort) {
    return NioLinkEmulator.start(targetHost, targetPort);
  }

  /** The loopback port clients connect to. */
  int port();

  /** The NATS URL of the emulated link, {@code nats://127.0.0.1:<port>}. */
  String url();

  /**
   * Re-seeds the random source of jitter and loss, so that a run with the same seed and the same
   * traffic chunking makes the same choices.
   */
  LinkEmulator withSeed(long seed);

  /** Delays every chunk by a fixed amount. {@link Duration#ZERO} removes the delay. */
  LinkEmulator delay(Direction direction, Duration delay);

  /**
   * Adds a uniformly random extra delay between zero and {@code jitter} to every chunk. Order is
   * kept: a chunk is never delivered before an earlier chunk of the same connection.
   */
  LinkEmulator jitter(Direction direction, Duration jitter);

  /**
   * Loses each chunk with the given probability the way TCP experiences it: the chunk is held back
   * by {@link #DEFAULT_RETRANSMISSION_TIMEOUT} (and everything behind it waits), never dropped.
   */
  LinkEmulator loss(Direction direction, double probability);

  /** As {@link #loss(Direction, double)} with an explicit retransmission timeout. */
  LinkEmulator loss(Direction direction, double probability, Duration retransmissionTimeout);

  /**
   * Blackholes the link: nothing is delivered, what arrives is buffered, connections stay open
   * until {@link #restore(Direction)}.
   */
  LinkEmulator cut(Direction direction);

  /** Blackholes both directions. */
  default LinkEmulator cut() {
    return cut(Direction.BOTH);
  }

  /** Ends a cut or pause: buffered data is delivered in order and forwarding resumes. */
  LinkEmulator restore(Direction direction);

  /** Restores both directions. */
  default LinkEmulator restore() {
    return restore(Direction.BOTH);
  }

  /**
   * A cut that restores itself after {@code duration}, e.g. to make a component miss heartbeats.
   * Overlapping pauses last until the later of their ends; an open-ended {@link #cut} still needs
   * {@link #restore}.
   */
  LinkEmulator pause(Direction direction, Duration duration);

  /** Pauses both directions. */
  default LinkEmulator pause(Duration duration) {
    return pause(Direction.BOTH, duration);
  }

  /**
   * Removes delay, jitter, loss, cuts and pauses in both directions; data held so far is then
   * delivered in order.
   */
  LinkEmulator clearImpairments();

  /**
   * Closes every current connection abruptly (TCP reset to both ends), as a crash of the link
   * would, discarding data still held. Returns once they are closed; new connections are accepted
   * as before.
   */
  void resetConnections();

  /** A snapshot of the counters. */
  Counters counters();

  /** Closes the listener and every connection. Idempotent. */
  @Override
  void close();

  /**
   * Traffic counters of an emulator since it started.
   *
   * @param bytesUpstream bytes delivered from clients to the target
   * @param bytesDownstream bytes delivered from the target to clients
   * @param bytesHeldUpstream bytes read from clients and not yet delivered (delayed or cut)
   * @param bytesHeldDownstream bytes read from the target and not yet delivered
   * @param connectionsAccepted client connections accepted
   * @param currentConnections client connections open now
   * @param chunksDelayedByLoss chunks held back by a retransmission timeout
   */
  record Counters(
      long bytesUpstream,
      long bytesDownstream,
      long bytesHeldUpstream,
      long bytesHeldDownstream,
      long connectionsAccepted,
      int currentConnections,
      long chunksDelayedByLoss) {

    /** Bytes delivered in one direction ({@link Direction#BOTH} sums them). */
    public long bytesForwarded(Direction direction) {
      return switch (direction) {
        case UPSTREAM -> bytesUpstream;
        case DOWNSTREAM -> bytesDownstream;
        case BOTH -> bytesUpstream + bytesDownstream;
      };
    }

    /** Bytes held in one direction ({@link Direction#BOTH} sums them). */
    public long bytesHeld(Direction direction) {
      return switch (direction) {
        case UPSTREAM -> bytesHeldUpstream;
        case DOWNSTREAM -> bytesHeldDownstream;
        case BOTH -> bytesHeldUpstream + bytesHeldDownstream;
      };
    }
  }
}
