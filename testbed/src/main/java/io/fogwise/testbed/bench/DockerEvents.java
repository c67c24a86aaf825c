package io.fogwise.testbed.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.fogwise.containers.Labels;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The engine's container events ({@code start}, {@code die}) of one gateway's containers, stamped
 * with this JVM's System.nanoTime on arrival, so they line up with the benchmark's other clocks
 * (the engine's own timestamps are wall time).
 */
final class DockerEvents implements AutoCloseable {
  /** One event: {@code action} of the container of {@code service} epoch {@code epoch} on {@code device}. */
  record Seen(String action, String device, String service, long epoch, long nanos) {}

  private final List<Seen> seen = new ArrayList<>();
  private final Closeable stream;

  DockerEvents(DockerClient docker, String gatewayId) throws InterruptedException {
    ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
      @Override
      public void onNext(Event e) {
        long now = System.nanoTime();
        Map<String, String> a = e.getActor() == null || e.getActor().getAttributes() == null ? Map.of()
            : e.getActor().getAttributes();
        long epoch;
        try {
          epoch = Long.parseLong(a.getOrDefault(Labels.EPOCH, "-1"));
        } catch (NumberFormatException bad) {
          epoch = -1;
        }
        String action = e.getAction() != null ? e.getAction() : e.getStatus();
        synchronized (DockerEvents.this) {
          seen.add(new Seen(action, a.get(Labels.DEVICE), a.get(Labels.SERVICE), epoch, now));
          DockerEvents.this.notifyAll();
        }
      }
    };
    this.stream = docker.eventsCmd().withEventTypeFilter(EventType.CONTAINER).withEventFilter("start", "die")
        .withLabelFilter(Map.of(Labels.GATEWAY, gatewayId)).exec(callback);
    callback.awaitStarted(); // subscribed before the first measured start
  }

  /** The first {@code action} event of {@code service} epoch {@code epoch} (any device). */
  Optional<Long> await(String action, String service, long epoch, Duration timeout) throws InterruptedException {
    return Arrivals.await(this, () -> {
      for (Seen s : seen) {
        if (s.action().equals(action) && service.equals(s.service()) && s.epoch() == epoch) {
          return s.nanos();
        }
      }
      return null;
    }, timeout);
  }

  @Override
  public void close() {
    try {
      stream.close();
    } catch (IOException ignored) {
      // the engine went away: nothing left to stop
    }
  }
}
