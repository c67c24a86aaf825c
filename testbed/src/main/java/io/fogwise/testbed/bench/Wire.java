package io.fogwise.testbed.bench;

import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the container benchmark sees on the wire with its own subscriptions and its own clock
 * (System.nanoTime at arrival): the START commands a gateway sends its devices, the first
 * heartbeat that reports an instance RUNNING, and per publisher epoch on one data subject the
 * first and last message, stale or not (the {@code Observer} counts only accepted ones, so it
 * cannot show two epochs overlapping).
 */
final class Wire implements AutoCloseable {
  /** First and last arrival of one epoch's messages, and their numbers. */
  record Epoch(long epoch, long firstNanos, long lastNanos, long count, long firstNumber, long lastNumber) {}

  private final Connection nats;
  private final Dispatcher dispatcher;
  private final Map<String, Long> starts = new HashMap<>();
  private final Map<String, Long> running = new HashMap<>();
  private final Map<Long, Epoch> epochs = new HashMap<>();

  /**
   * @param gatewayId whose commands and heartbeats are watched
   * @param dataSubject the application subject whose epochs are timed
   */
  Wire(Connection nats, String gatewayId, String dataSubject) {
    this.nats = nats;
    this.dispatcher = nats.createDispatcher();
    dispatcher.subscribe(Subjects.command(gatewayId, "*"), msg -> {
      long now = System.nanoTime();
      try {
        Command c = MessageCodec.decode(msg.getData(), Command.class);
        if (c.action() == Command.Action.START) {
          synchronized (this) {
            starts.putIfAbsent(key(Subjects.lastToken(msg.getSubject()), c.service(), c.epoch()), now);
            notifyAll();
          }
        }
      } catch (RejectedMessageException ignored) {
        // not a command this benchmark times
      }
    });
    dispatcher.subscribe(Subjects.heartbeats(gatewayId), msg -> {
      long now = System.nanoTime();
      try {
        Heartbeat hb = MessageCodec.decode(msg.getData(), Heartbeat.class);
        synchronized (this) {
          for (InstanceReport r : hb.instances()) {
            if (r.state() == InstanceReport.InstanceState.RUNNING) {
              running.putIfAbsent(key(hb.deviceId(), r.service(), r.epoch()), now);
            }
          }
          notifyAll();
        }
      } catch (RejectedMessageException ignored) {
        // counted by the gateway, not timed here
      }
    });
    dispatcher.subscribe(dataSubject, msg -> {
      long now = System.nanoTime();
      try {
        AppMessage m = MessageCodec.decode(msg.getData(), AppMessage.class);
        synchronized (this) {
          epochs.merge(m.epoch(), new Epoch(m.epoch(), now, now, 1, m.number(), m.number()),
              (a, b) -> new Epoch(a.epoch(), a.firstNanos(), now, a.count() + 1, a.firstNumber(), m.number()));
          notifyAll();
        }
      } catch (RejectedMessageException ignored) {
        // not an application message
      }
    });
  }

  private static String key(String device, String service, long epoch) {
    return device + "/" + service + "#" + epoch;
  }

  /** When the START of {@code service} epoch {@code epoch} to {@code device} was seen. */
  Optional<Long> startSeen(String device, String service, long epoch, Duration timeout) throws InterruptedException {
    return await(() -> starts.get(key(device, service, epoch)), timeout);
  }

  /** When a heartbeat of {@code device} first reported the instance RUNNING. */
  Optional<Long> runningSeen(String device, String service, long epoch, Duration timeout) throws InterruptedException {
    return await(() -> running.get(key(device, service, epoch)), timeout);
  }

  /** What arrived of {@code epoch} once {@code until} holds for it (or at the timeout). */
  Optional<Epoch> epoch(long epoch, java.util.function.Predicate<Epoch> until, Duration timeout)
      throws InterruptedException {
    await(() -> {
      Epoch e = epochs.get(epoch);
      return e != null && until.test(e) ? e : null;
    }, timeout);
    synchronized (this) {
      return Optional.ofNullable(epochs.get(epoch));
    }
  }

  /** What arrived of {@code epoch} so far. */
  synchronized Optional<Epoch> epoch(long epoch) {
    return Optional.ofNullable(epochs.get(epoch));
  }

  private <T> Optional<T> await(java.util.function.Supplier<T> value, Duration timeout) throws InterruptedException {
    return Arrivals.await(this, value, timeout);
  }

  @Override
  public void close() {
    try {
      nats.closeDispatcher(dispatcher);
    } catch (RuntimeException ignored) {
      // connection closed already
    }
  }
}
