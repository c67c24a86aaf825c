package io.fogwise.gateway.cache;

import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.DataReply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory cloud: items by key, a switch for how it fails, and a count of what it was asked. */
final class FakeCloud implements CloudSource {
  enum Mode { UP, TIMEOUT, GARBAGE, HOLD }

  final Map<String, DataItem> items = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
  final List<CompletableFuture<DataReply>> held = new CopyOnWriteArrayList<>();
  volatile Mode mode = Mode.UP;

  DataItem put(String key, long version, String text) {
    DataItem item = new DataItem(key, version, "text/plain", 1_767_225_600_000L + version,
        text.getBytes(StandardCharsets.UTF_8));
    items.put(key, item);
    return item;
  }

  int asked(String key) {
    AtomicInteger n = asked.get(key);
    return n == null ? 0 : n.get();
  }

  @Override
  public CompletableFuture<DataReply> fetch(String key) {
    asked.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    return switch (mode) {
      case UP -> CompletableFuture.completedFuture(answer(key));
      case TIMEOUT -> CompletableFuture.failedFuture(new Failure(Failure.Kind.TIMEOUT, "no answer within 2000 ms"));
      case GARBAGE -> CompletableFuture.failedFuture(new Failure(Failure.Kind.GARBAGE, "not a DataReply"));
      case HOLD -> {
        CompletableFuture<DataReply> f = new CompletableFuture<>();
        held.add(f);
        yield f;
      }
    };
  }

  DataReply answer(String key) {
    DataItem item = items.get(key);
    return item == null ? DataReply.notFound(key) : DataReply.found(item, false, 0);
  }

  /** Answers every held request as the cloud now would. */
  void release(String key) {
    held.forEach(f -> f.complete(answer(key)));
    held.clear();
  }
}
