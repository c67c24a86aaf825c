package io.fogwise.cloud.publish;

import io.fogwise.protocol.Buckets;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The rule candidates in KV bucket {@value Subjects#POLICY_CANDIDATE_BUCKET}, one per scope (key
 * = scope): the cloud writes them, operators read, approve and so remove them. Nobody else may
 * write the bucket (see {@code Permissions}).
 */
public final class CandidateStore {
  /** JetStream's "wrong last sequence": a compare-and-set lost. */
  private static final int WRONG_LAST_SEQUENCE = 10071;

  private final Connection nats;

  private CandidateStore(Connection nats) {
    this.nats = nats;
  }

  /** The store on {@code nats}; the bucket is created by the first {@link #put}. */
  public static CandidateStore on(Connection nats) {
    return new CandidateStore(Objects.requireNonNull(nats, "nats"));
  }

  /** A stored candidate with its KV revision (for removing exactly it). */
  public record Stored(Candidate candidate, long revision) {}

  /**
   * Stores {@code c} as its scope's candidate, replacing any older one; creates the bucket if
   * missing (the cloud and operators may).
   *
   * @throws UncheckedIOException if NATS or JetStream refuses
   */
  public long put(Candidate c) {
    Objects.requireNonNull(c, "candidate");
    try {
      Buckets.ensure(nats, Buckets.candidates());
      return nats.keyValue(Subjects.POLICY_CANDIDATE_BUCKET).put(c.scope(), MessageCodec.encode(c));
    } catch (IOException | JetStreamApiException e) {
      throw new UncheckedIOException("cannot store candidate " + c.describe() + " in " + Subjects.POLICY_CANDIDATE_BUCKET
          + ": " + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
    }
  }

  /**
   * The candidate of {@code scope}, if any (none while the bucket does not exist).
   *
   * @throws IllegalStateException if the stored value is not a readable candidate
   * @throws UncheckedIOException if NATS or JetStream refuses
   */
  public Optional<Stored> get(String scope) {
    Objects.requireNonNull(scope, "scope");
    try {
      KeyValue kv = bucket();
      if (kv == null) {
        return Optional.empty();
      }
      KeyValueEntry e = kv.get(scope);
      if (e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null) {
        return Optional.empty();
      }
      try {
        Candidate c = MessageCodec.decode(e.getValue(), Candidate.class, Buckets.POLICY_MAX_VALUE_BYTES);
        return Optional.of(new Stored(c, e.getRevision()));
      } catch (RejectedMessageException | IllegalArgumentException x) {
        throw new IllegalStateException("the candidate " + scope + " in bucket " + Subjects.POLICY_CANDIDATE_BUCKET
            + " is unreadable (" + x.getMessage() + "); 'fogwise cloud mine --now' proposes a fresh one", x);
      }
    } catch (IOException | JetStreamApiException e) {
      throw new UncheckedIOException("cannot read candidate " + scope + " from " + Subjects.POLICY_CANDIDATE_BUCKET
          + ": " + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
    }
  }

  /**
   * Removes the candidate of {@code scope} if it is still revision {@code revision} (a newer pass
   * may have replaced it meanwhile: that one stays).
   *
   * @return whether it was removed
   */
  public boolean remove(String scope, long revision) {
    try {
      KeyValue kv = bucket();
      if (kv == null) {
        return false;
      }
      kv.delete(scope, revision);
      return true;
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
        return false;
      }
      throw new UncheckedIOException("cannot remove candidate " + scope + ": " + e.getMessage(), new IOException(e));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove candidate " + scope + ": " + e.getMessage(), e);
    }
  }

  private KeyValue bucket() throws IOException, JetStreamApiException {
    if (!Buckets.exists(nats.keyValueManagement(), Subjects.POLICY_CANDIDATE_BUCKET)) {
      return null;
    }
    return nats.keyValue(Subjects.POLICY_CANDIDATE_BUCKET);
  }
}
