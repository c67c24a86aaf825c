package io.fogwise.testbed.paper;

import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The outside observer of {@code bench paper}: its own connection to the gateway's NATS, which
 * never moves, records every data message with its own receive time, in arrival order.
 */
final class Recorder {
  /** One message as the observer saw it (its System.nanoTime at arrival). */
  record Arrival(long nanos, String publisherId, long epoch, long number) {}

  private final List<Arrival> arrivals = new ArrayList<>();
  private long highest = -1;
  private long rejected;

  Recorder(Connection nats, String subject) {
    Dispatcher d = nats.createDispatcher(msg -> {
      long now = System.nanoTime();
      try {
        AppMessage m = MessageCodec.decode(msg.getData(), AppMessage.class);
        synchronized (this) {
          arrivals.add(new Arrival(now, m.publisherId(), m.epoch(), m.number()));
          highest = Math.max(highest, m.number());
          notifyAll();
        }
      } catch (RejectedMessageException e) {
        synchronized (this) {
          rejected++;
        }
      }
    });
    d.subscribe(subject);
  }

  synchronized long firstNumber() {
    return arrivals.isEmpty() ? -1 : arrivals.get(0).number();
  }

  synchronized boolean awaitCount(int n, Duration timeout) throws InterruptedException {
    return await(() -> arrivals.size() >= n, timeout);
  }

  synchronized boolean awaitNumber(long number, Duration timeout) throws InterruptedException {
    return await(() -> highest >= number, timeout);
  }

  private boolean await(java.util.function.BooleanSupplier cond, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000L));
    }
    return true;
  }

  synchronized List<Arrival> arrivals() {
    return List.copyOf(arrivals);
  }

  synchronized long rejected() {
    return rejected;
  }
}
