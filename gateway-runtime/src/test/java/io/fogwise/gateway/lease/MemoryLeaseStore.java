package io.fogwise.gateway.lease;

import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import java.io.IOException;
import java.util.Optional;

/** A lease store in memory with KV semantics: revisions shared by every write, compare-and-set, faults on demand. */
final class MemoryLeaseStore implements LeaseStore {
  private byte[] value;
  private long revision;
  private long lastSequence;
  /** The next write fails with an I/O error without being applied. */
  boolean failNext;
  /** The next write is applied, but its reply is lost (it throws as a timeout would). */
  boolean loseNextReply;

  @Override
  public synchronized Optional<Versioned> read() {
    if (value == null) {
      return Optional.empty();
    }
    GatewayLease lease;
    try {
      lease = MessageCodec.decode(value, GatewayLease.class);
    } catch (RejectedMessageException e) {
      lease = null;
    }
    return Optional.of(new Versioned(lease, revision));
  }

  @Override
  public synchronized long create(GatewayLease lease) throws Exception {
    if (value != null) {
      throw new Conflict("exists at revision " + revision);
    }
    return write(MessageCodec.encode(lease));
  }

  @Override
  public synchronized long update(GatewayLease lease, long expected) throws Exception {
    if (value == null || expected != revision) {
      throw new Conflict("wrong last sequence: " + revision);
    }
    return write(MessageCodec.encode(lease));
  }

  @Override
  public synchronized long epochFloor() {
    return lastSequence;
  }

  @Override
  public String where() {
    return "memory key lease";
  }

  /** Another bucket write (the durable state), which moves revisions on. */
  synchronized void otherWrite() {
    lastSequence++;
  }

  synchronized void putRaw(byte[] raw) {
    value = raw;
    revision = ++lastSequence;
  }

  synchronized void delete() {
    value = null;
    lastSequence++;
  }

  synchronized GatewayLease stored() {
    return read().map(Versioned::lease).orElse(null);
  }

  private long write(byte[] v) throws IOException {
    if (failNext) {
      failNext = false;
      throw new IOException("Timeout or no response waiting for NATS JetStream server");
    }
    value = v;
    revision = ++lastSequence;
    if (loseNextReply) {
      loseNextReply = false;
      throw new IOException("Timeout or no response waiting for NATS JetStream server");
    }
    return revision;
  }
}
