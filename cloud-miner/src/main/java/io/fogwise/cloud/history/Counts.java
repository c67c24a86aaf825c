package io.fogwise.cloud.history;

import java.util.EnumMap;
import java.util.Map;

/**
 * What a {@link History} holds and what was left out of it.
 *
 * @param telemetry telemetry records stored (each stream message once)
 * @param events adaptation events stored (each stream message once)
 * @param rejected messages excluded as bad input, by reason (each stream message once)
 * @param duplicatesDropped records found more than once in the store (a message redelivered to
 *     another instance after a crash between storing and acknowledging it), counted once
 * @param tornRecords incomplete records at the end of a segment (a crash in mid-write), cut off
 *     when the instance that wrote them opened the store again
 */
public record Counts(long telemetry, long events, Map<BadInput, Long> rejected, long duplicatesDropped,
    long tornRecords) {
  public Counts {
    EnumMap<BadInput, Long> all = new EnumMap<>(BadInput.class);
    for (BadInput b : BadInput.VALUES) {
      all.put(b, rejected.getOrDefault(b, 0L));
    }
    rejected = java.util.Collections.unmodifiableMap(all);
  }

  /** Messages excluded for {@code reason}. */
  public long rejected(BadInput reason) {
    return rejected.get(reason);
  }

  /** Messages excluded for any reason. */
  public long rejectedTotal() {
    return rejected.values().stream().mapToLong(Long::longValue).sum();
  }
}
