package io.fogwise.gateway.lease;

import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.util.Optional;

/**
 * The lease in a JetStream KV bucket. nats-server 2.9 has no per-key TTL, so expiry is the
 * {@code expiresAtMillis} in the value, and every write is a compare-and-set on the key's
 * revision ({@code create}, {@code update(key, value, revision)}).
 */
final class KvLeaseStore implements LeaseStore {
  /** JetStream's "wrong last sequence": a create on an existing key or a stale compare-and-set. */
  private static final int WRONG_LAST_SEQUENCE = 10071;

  private final KeyValue kv;

  KvLeaseStore(KeyValue kv) {
    this.kv = kv;
  }

  @Override
  public Optional<Versioned> read() throws Exception {
    KeyValueEntry e = kv.get(IdLease.KEY);
    if (e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null) {
      return Optional.empty();
    }
    GatewayLease lease;
    try {
      lease = MessageCodec.decode(e.getValue(), GatewayLease.class);
    } catch (RejectedMessageException bad) {
      lease = null;
    }
    return Optional.of(new Versioned(lease, e.getRevision()));
  }

  @Override
  public long create(GatewayLease lease) throws Exception {
    try {
      return kv.create(IdLease.KEY, MessageCodec.encode(lease));
    } catch (JetStreamApiException e) {
      throw conflictOr(e);
    }
  }

  @Override
  public long update(GatewayLease lease, long revision) throws Exception {
    try {
      return kv.update(IdLease.KEY, MessageCodec.encode(lease), revision);
    } catch (JetStreamApiException e) {
      throw conflictOr(e);
    }
  }

  @Override
  public long epochFloor() throws Exception {
    return kv.getStatus().getBackingStreamInfo().getStreamState().getLastSequence();
  }

  @Override
  public String where() {
    return "KV bucket " + kv.getBucketName() + " key " + IdLease.KEY;
  }

  private static Exception conflictOr(JetStreamApiException e) {
    return e.getApiErrorCode() == WRONG_LAST_SEQUENCE ? new Conflict(e.getMessage()) : e;
  }
}
