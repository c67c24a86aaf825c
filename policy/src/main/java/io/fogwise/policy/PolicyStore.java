package io.fogwise.policy;

import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed policy bundles in the JetStream KV bucket {@value Subjects#POLICY_BUCKET}.
 *
 * <p>Two kinds of keys per scope: {@code <scope>.v<N>} holds the encoded bundle of version N and
 * is written once (KV {@code create}) and never overwritten or deleted, so history is the set of
 * version keys; {@code <scope>} is the live pointer, the live version as decimal text, moved only
 * by compare-and-set so that two pushers cannot silently undo each other.
 *
 * <p>Every NATS or JetStream failure surfaces as an {@link UncheckedIOException} naming the
 * bucket and key; conflicts (a version that exists, a pointer that moved) as
 * {@link IllegalStateException}; a bad scope or version as {@link IllegalArgumentException}.
 * Calls block on NATS round trips: keep them off event loops.
 */
public final class PolicyStore {
  /** Revisions kept per key: the pointer's recent moves (version keys are written once). */
  public static final int HISTORY = io.fogwise.protocol.Buckets.POLICY_HISTORY;
  /** Largest value the bucket accepts; bundles are refused above {@link PolicyBundles#MAX_BUNDLE_BYTES}. */
  public static final int MAX_VALUE_BYTES = io.fogwise.protocol.Buckets.POLICY_MAX_VALUE_BYTES;

  private static final Logger LOG = LoggerFactory.getLogger(PolicyStore.class);
  /** JetStream's "wrong last sequence": a create on an existing key or a stale compare-and-set. */
  private static final int WRONG_LAST_SEQUENCE = 10071;
  /** JetStream's "stream not found": no bucket yet. */
  private static final int STREAM_NOT_FOUND = 10059;
  private static final Pattern VERSION_KEY = Pattern.compile("v([1-9][0-9]{0,17})");
  /** The highest version a pointer or a push may name (18 decimal digits). */
  public static final long MAX_VERSION = 999_999_999_999_999_999L;

  /** The bucket of compiled artifacts (a cache: one key per effective rule set, kept 30 days). */
  public static final String ARTIFACT_BUCKET = Subjects.POLICY_ARTIFACT_BUCKET;
  /** How long an artifact is kept after it was written. */
  public static final java.time.Duration ARTIFACT_TTL = io.fogwise.protocol.Buckets.ARTIFACT_TTL;

  private final Connection nats;
  /** The bucket, once it exists: a gateway attaches before the hub or a push has created it. */
  private volatile KeyValue kv;
  private final String bucket;
  private volatile KeyValue artifacts;

  private PolicyStore(Connection nats, KeyValue kv, String bucket) {
    this.nats = nats;
    this.kv = kv;
    this.bucket = bucket;
  }

  /**
   * The store on {@code nats} without creating the bucket (a gateway may not create streams):
   * while the bucket is missing, reads fail (and a gateway runs its saved policy, reporting the
   * missing bucket); they work as soon as a push or the hub has created it.
   */
  public static PolicyStore attach(Connection nats) {
    Objects.requireNonNull(nats, "nats");
    return new PolicyStore(nats, null, Subjects.POLICY_BUCKET);
  }

  /** The bucket's handle, made on first use once the bucket exists. */
  private KeyValue kv() throws IOException {
    KeyValue k = kv;
    if (k == null) {
      k = nats.keyValue(bucket); // asks for the stream's info: fails while the bucket is missing
      kv = k;
    }
    return k;
  }

  /**
   * The store on {@code nats}, creating the bucket if missing (history {@value #HISTORY}, file
   * storage, values up to {@value #MAX_VALUE_BYTES} bytes).
   *
   * @throws UncheckedIOException if NATS or JetStream is unavailable
   */
  public static PolicyStore open(Connection nats) {
    Objects.requireNonNull(nats, "nats");
    String bucket = Subjects.POLICY_BUCKET;
    try {
      KeyValueManagement kvm = nats.keyValueManagement();
      try {
        kvm.getBucketInfo(bucket);
      } catch (JetStreamApiException e) {
        if (e.getApiErrorCode() != STREAM_NOT_FOUND && e.getErrorCode() != 404) {
          throw e;
        }
        // Creating with an identical configuration is idempotent, so two racing creators both
        // succeed; on a secure hub only the hub, operators and the cloud may (a gateway finds it there)
        io.fogwise.protocol.Buckets.ensure(nats, io.fogwise.protocol.Buckets.policy());
        LOG.info("created the policy bucket {}", bucket);
      }
      return new PolicyStore(nats, nats.keyValue(bucket), bucket);
    } catch (IOException | JetStreamApiException e) {
      throw new UncheckedIOException("cannot open the policy bucket " + bucket + " on NATS "
          + nats.getConnectedUrl() + " (is JetStream enabled on the server?): " + e.getMessage(), io(e));
    }
  }

  /** The key of {@code scope}'s version {@code version}: {@code global.v3}. */
  public static String versionKey(String scope, long version) {
    checkScope(scope);
    checkVersion(version);
    return scope + ".v" + version;
  }

  /** The live version of {@code scope}, 0 when no version was ever made live. */
  public long liveVersion(String scope) {
    checkScope(scope);
    Pointer p = pointer(scope);
    return p == null ? 0 : p.version();
  }

  /**
   * What the live pointer of a scope holds: nothing ({@code version} 0, {@code text} null), a
   * version number, or text that is not one ({@code version} -1). Unlike {@link #liveVersion},
   * reading a malformed pointer is not an error: it is what a gateway reports and
   * {@link #repair} fixes.
   *
   * @param version the version, 0 when there is no pointer, -1 when it is malformed
   * @param text what the pointer holds (null when there is none)
   * @param revision the pointer key's revision (0 when there is none)
   */
  public record PointerState(long version, String text, long revision) {
    /** No pointer: never set, deleted, or the bucket was purged. */
    public static final PointerState ABSENT = new PointerState(0, null, 0);

    /** Whether the pointer holds text that is not a version number. */
    public boolean malformed() {
      return version < 0;
    }

    /** Whether there is no pointer. */
    public boolean absent() {
      return text == null;
    }

    /** One line: {@code v3}, {@code 'v1-please' (not a version number)} or {@code (none)}. */
    public String describe() {
      if (absent()) {
        return "(none)";
      }
      return malformed() ? "'" + abbreviate(text) + "' (not a version number)" : "v" + version;
    }
  }

  /** The live pointer of {@code scope} as it is, malformed or not. */
  public PointerState pointerState(String scope) {
    checkScope(scope);
    KeyValueEntry e;
    try {
      e = kv().get(scope);
    } catch (IOException | JetStreamApiException ex) {
      throw failure("read the live pointer " + scope, ex);
    }
    return state(e);
  }

  private static PointerState state(KeyValueEntry e) {
    if (e == null || e.getOperation() != KeyValueOperation.PUT) {
      return PointerState.ABSENT;
    }
    String text = e.getValueAsString() == null ? "" : e.getValueAsString();
    Long v = parse(e);
    return new PointerState(v == null ? -1 : v, text, e.getRevision());
  }

  private static String abbreviate(String s) {
    String oneLine = s.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "...";
  }

  /**
   * When the bucket was created, or empty if it does not exist (deleted): a different time
   * than before means it was deleted and created again, and watches must be made anew.
   *
   * @throws UncheckedIOException if NATS or JetStream does not answer
   */
  public Optional<java.time.ZonedDateTime> bucketCreated() {
    try {
      return Optional.of(nats.keyValueManagement().getBucketInfo(bucket).getBackingStreamInfo().getCreateTime());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND || e.getErrorCode() == 404) {
        return Optional.empty();
      }
      throw failure("read the bucket's information", e);
    } catch (IOException e) {
      throw failure("read the bucket's information", e);
    }
  }

  /**
   * Points {@code scope}'s live pointer at the stored version {@code version} whatever it holds
   * now (also a malformed value), by compare-and-set on the value read; with {@code version} 0
   * deletes the pointer (a scope with no stored version). Gateways never go below the version
   * they run, so pointing back is not a rollback: that is a new version (see
   * {@code fogwise rules rollback}).
   *
   * @return what the pointer held before
   * @throws IllegalArgumentException if {@code version} is not stored
   * @throws IllegalStateException if the pointer moved meanwhile
   */
  public PointerState repair(String scope, long version) {
    checkScope(scope);
    if (version != 0 && raw(scope, version).isEmpty()) {
      throw new IllegalArgumentException("scope " + scope + " has no version " + version);
    }
    PointerState before = pointerState(scope);
    try {
      if (version == 0) {
        if (!before.absent()) {
          kv().delete(scope, before.revision());
        }
      } else if (before.absent()) {
        kv().create(scope, Long.toString(version).getBytes(StandardCharsets.US_ASCII));
      } else {
        kv().update(scope, Long.toString(version).getBytes(StandardCharsets.US_ASCII), before.revision());
      }
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
        throw new IllegalStateException("the live pointer of " + scope + " moved while repairing it; run the command"
            + " again");
      }
      throw failure("repair the live pointer " + scope, e);
    } catch (IOException e) {
      throw failure("repair the live pointer " + scope, e);
    }
    LOG.info("live pointer {} repaired: {} -> {}", scope, before.describe(), version == 0 ? "(none)" : "v" + version);
    return before;
  }

  /** The encoded bundle stored as {@code scope} version {@code version}, if any. */
  public Optional<byte[]> raw(String scope, long version) {
    String key = versionKey(scope, version);
    try {
      KeyValueEntry e = kv().get(key);
      return e == null || e.getOperation() != KeyValueOperation.PUT ? Optional.empty() : Optional.of(e.getValue());
    } catch (IOException | JetStreamApiException e) {
      throw failure("read " + key, e);
    }
  }

  /** The stored versions of {@code scope}, ascending. */
  public List<Long> versions(String scope) {
    checkScope(scope);
    List<String> keys;
    try {
      // Gateway ids hold no dots, so "<scope>.*" matches only this scope's version keys.
      keys = kv().keys(scope + ".*");
    } catch (IOException | JetStreamApiException e) {
      throw failure("list the versions of " + scope, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("list the versions of " + scope, e);
    }
    List<Long> versions = new ArrayList<>();
    String prefix = scope + ".";
    for (String k : keys) {
      if (k.startsWith(prefix)) {
        Matcher m = VERSION_KEY.matcher(k.substring(prefix.length()));
        if (m.matches()) {
          versions.add(Long.parseLong(m.group(1)));
        }
      }
    }
    versions.sort(null);
    return versions;
  }

  /** The highest stored version of {@code scope}, 0 if none. */
  public long latestVersion(String scope) {
    List<Long> v = versions(scope);
    return v.isEmpty() ? 0 : v.get(v.size() - 1);
  }

  /**
   * Stores {@code b} as its scope's version {@code b.version()} and makes it live.
   *
   * @return the version
   * @throws IllegalStateException if that version already exists, or if the live pointer moved to
   *     this version or a later one while publishing (another push won; the bundle stays stored)
   * @throws IllegalArgumentException if the encoded bundle exceeds {@link PolicyBundles#MAX_BUNDLE_BYTES}
   */
  public long publish(PolicyBundle b) {
    Objects.requireNonNull(b, "bundle");
    String key = versionKey(b.scope(), b.version());
    byte[] data = PolicyBundles.encode(b);
    if (data.length > PolicyBundles.MAX_BUNDLE_BYTES) {
      throw new IllegalArgumentException(b.label() + " is " + data.length + " bytes encoded; the limit is "
          + PolicyBundles.MAX_BUNDLE_BYTES);
    }
    try {
      kv().create(key, data);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
        throw new IllegalStateException("scope " + b.scope() + " version " + b.version() + " already exists");
      }
      throw failure("store " + key, e);
    } catch (IOException e) {
      throw failure("store " + key, e);
    }
    while (true) {
      Pointer p = pointer(b.scope());
      if (p != null && p.version() >= b.version()) {
        throw new IllegalStateException("scope " + b.scope() + " version " + b.version()
            + " was stored but not made live: the live pointer moved to v" + p.version()
            + " meanwhile (another push?)");
      }
      if (compareAndSet(b.scope(), p, b.version())) {
        LOG.debug("{} published and live (was v{})", b.label(), p == null ? 0 : p.version());
        return b.version();
      }
      // Lost a race with a pointer move below our version: read again and retry.
    }
  }

  /**
   * Makes the stored version {@code version} of {@code scope} live, whatever was live before
   * (also an older version).
   *
   * @throws IllegalArgumentException if that version is not stored
   * @throws IllegalStateException if the pointer moved between reading and writing it
   */
  public void setLive(String scope, long version) {
    if (raw(scope, version).isEmpty()) {
      throw new IllegalArgumentException("scope " + scope + " has no version " + version);
    }
    Pointer p = pointer(scope);
    if (!compareAndSet(scope, p, version)) {
      throw new IllegalStateException("the live pointer of " + scope + " moved while setting it to v" + version);
    }
    LOG.debug("{} v{} made live (was v{})", scope, version, p == null ? 0 : p.version());
  }

  /**
   * Calls {@code onLiveVersion} with the live version of {@code scope}: once at start if there is
   * a pointer, then on every change (0 if the pointer is deleted; a repeated value is not a
   * change). Calls come one at a time from a NATS thread: do not block in them. A pointer that is
   * not a decimal number is logged and skipped.
   *
   * <p>The watch is a JetStream ordered push consumer, which the server forgets when it restarts
   * and the client would only notice after missed heartbeats (about 30 s). So the watch is
   * recreated as soon as the connection reports {@code RECONNECTED}: the new consumer delivers the
   * pointer's current value, so a change made while disconnected is reported once (and only if it
   * is a change).
   *
   * @return closing it stops the watch
   */
  public AutoCloseable watchLive(String scope, LongConsumer onLiveVersion) {
    Objects.requireNonNull(onLiveVersion, "onLiveVersion");
    long[] last = {-1};
    return watchPointer(scope, p -> {
      if (p.malformed()) {
        LOG.warn("ignoring the live pointer {} = {} in bucket {}", scope, p.describe(), bucket);
      } else if (p.version() != last[0]) {
        last[0] = p.version();
        onLiveVersion.accept(p.version());
      }
    });
  }

  /** A pointer watch that can be made anew (after the bucket was deleted and created again). */
  public interface Watch extends AutoCloseable {
    /** Subscribes again; the current pointer is delivered again (even if it did not change). */
    void renew();

    @Override
    void close();
  }

  /**
   * Like {@link #watchLive}, but every value is delivered as a {@link PointerState}, malformed
   * ones included (once per change), and the watch can be {@linkplain Watch#renew() renewed}.
   */
  public Watch watchPointer(String scope, java.util.function.Consumer<PointerState> onPointer) {
    checkScope(scope);
    Objects.requireNonNull(onPointer, "onPointer");
    LiveWatch w = new LiveWatch(scope, onPointer);
    w.subscribe();
    nats.addConnectionListener(w);
    return w;
  }

  /** One scope's pointer watch, recreated after every reconnect. */
  private final class LiveWatch implements KeyValueWatcher, ConnectionListener, Watch {
    private static final int RESUBSCRIBE_ATTEMPTS = 20;

    private final String scope;
    private final java.util.function.Consumer<PointerState> onPointer;
    private PointerState last;
    private NatsKeyValueWatchSubscription sub;
    private boolean closed;

    LiveWatch(String scope, java.util.function.Consumer<PointerState> onPointer) {
      this.scope = scope;
      this.onPointer = onPointer;
    }

    @Override
    public void renew() {
      synchronized (this) {
        last = null;
      }
      subscribe();
    }

    void subscribe() {
      try {
        NatsKeyValueWatchSubscription s = kv().watch(scope, this);
        NatsKeyValueWatchSubscription old;
        synchronized (this) {
          if (closed) {
            s.unsubscribe();
            return;
          }
          old = sub;
          sub = s;
        }
        if (old != null) {
          old.unsubscribe();
        }
      } catch (IOException | JetStreamApiException e) {
        throw failure("watch " + scope, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("watch " + scope, e);
      }
    }

    @Override
    public void connectionEvent(Connection conn, Events type) {
      if (type != Events.RECONNECTED) {
        return;
      }
      // Not on the listener's thread: the JetStream calls below wait for the server.
      Thread t = new Thread(this::resubscribe, "fw-policy-watch-" + scope);
      t.setDaemon(true);
      t.start();
    }

    private void resubscribe() {
      for (int attempt = 1; attempt <= RESUBSCRIBE_ATTEMPTS; attempt++) {
        synchronized (this) {
          if (closed) {
            return;
          }
        }
        try {
          subscribe();
          LOG.debug("live pointer watch of {} recreated after a reconnect", scope);
          return;
        } catch (UncheckedIOException e) {
          // JetStream may still be recovering its streams right after a server restart.
          if (attempt == RESUBSCRIBE_ATTEMPTS) {
            LOG.warn("cannot watch the live pointer {} again after a reconnect; policy changes are not seen until the"
                + " next reconnect: {}", scope, e.getMessage());
            return;
          }
          try {
            Thread.sleep(250L * Math.min(attempt, 8));
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }

    @Override
    public synchronized void watch(KeyValueEntry e) {
      if (closed) {
        return;
      }
      PointerState p = state(e);
      if (last == null || p.version() != last.version() || !Objects.equals(p.text(), last.text())
          && p.malformed()) {
        last = p;
        try {
          onPointer.accept(p);
        } catch (RuntimeException ex) {
          LOG.warn("the live pointer watcher of {} failed on {}: {}", scope, p.describe(), ex.toString(), ex);
        }
      }
    }

    @Override
    public void endOfData() {
      // The initial value (if any) has been delivered; nothing else to do.
    }

    @Override
    public void close() {
      NatsKeyValueWatchSubscription s;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        s = sub;
      }
      nats.removeConnectionListener(this);
      if (s != null && nats.getStatus() != Connection.Status.CLOSED) {
        s.unsubscribe();
      }
    }
  }

  /** The scopes {@code gw.<id>} that have a live pointer. */
  public List<String> gatewayScopes() {
    List<String> keys;
    try {
      keys = kv().keys("gw.*");
    } catch (IOException | JetStreamApiException e) {
      throw failure("list the gateway scopes", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("list the gateway scopes", e);
    }
    List<String> scopes = new ArrayList<>();
    for (String k : keys) {
      if (PolicyBundle.isScope(k) && !k.equals(Subjects.GLOBAL_SCOPE)) {
        scopes.add(k);
      }
    }
    scopes.sort(null);
    return scopes;
  }

  /**
   * Stores a compiled artifact under {@code art.<sourcesSha256>} in {@value #ARTIFACT_BUCKET}
   * (created if missing), replacing one compiled earlier from the same sources.
   *
   * @throws IllegalArgumentException if it is larger than {@link #MAX_VALUE_BYTES} encoded
   */
  public void putArtifact(PolicyArtifact a) {
    byte[] data = PolicyArtifacts.encode(a);
    if (data.length > MAX_VALUE_BYTES) {
      throw new IllegalArgumentException("the compiled artifact of " + a.label() + " is " + data.length
          + " bytes encoded; the limit is " + MAX_VALUE_BYTES);
    }
    String key = artifactKey(a.sourcesSha256());
    try {
      artifactBucket(true).put(key, data);
    } catch (IOException | JetStreamApiException e) {
      throw new UncheckedIOException("cannot store " + key + " in bucket " + ARTIFACT_BUCKET + ": " + e.getMessage(),
          io(e));
    }
  }

  /** The encoded artifact compiled from sources with this hash, if one is stored. */
  public Optional<byte[]> artifact(String sourcesSha256) {
    String key = artifactKey(sourcesSha256);
    try {
      KeyValue b = artifactBucket(false);
      if (b == null) {
        return Optional.empty();
      }
      KeyValueEntry e = b.get(key);
      return e == null || e.getOperation() != KeyValueOperation.PUT ? Optional.empty() : Optional.of(e.getValue());
    } catch (IOException | JetStreamApiException e) {
      throw new UncheckedIOException("cannot read " + key + " in bucket " + ARTIFACT_BUCKET + ": " + e.getMessage(),
          io(e));
    }
  }

  /** {@code art.<sha256>}. */
  public static String artifactKey(String sourcesSha256) {
    if (sourcesSha256 == null || !sourcesSha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a hex SHA-256: " + sourcesSha256);
    }
    return "art." + sourcesSha256;
  }

  /** The artifact bucket; null if it does not exist and {@code create} is false. */
  private KeyValue artifactBucket(boolean create) throws IOException, JetStreamApiException {
    KeyValue b = artifacts;
    if (b != null) {
      return b;
    }
    KeyValueManagement kvm = nats.keyValueManagement();
    try {
      kvm.getBucketInfo(ARTIFACT_BUCKET);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != STREAM_NOT_FOUND && e.getErrorCode() != 404) {
        throw e;
      }
      if (!create) {
        return null;
      }
      io.fogwise.protocol.Buckets.ensure(nats, io.fogwise.protocol.Buckets.artifacts());
      LOG.debug("created the artifact bucket {}", ARTIFACT_BUCKET);
    }
    b = nats.keyValue(ARTIFACT_BUCKET);
    artifacts = b;
    return b;
  }

  private record Pointer(long version, long revision) {}

  /** The pointer of {@code scope}, or null if there is none (never set, or deleted). */
  private Pointer pointer(String scope) {
    KeyValueEntry e;
    try {
      e = kv().get(scope);
    } catch (IOException | JetStreamApiException ex) {
      throw failure("read the live pointer " + scope, ex);
    }
    if (e == null || e.getOperation() != KeyValueOperation.PUT) {
      return null;
    }
    Long v = parse(e);
    if (v == null) {
      throw new IllegalStateException("the live pointer " + scope + " in bucket " + bucket + " holds '"
          + e.getValueAsString() + "', not a version number");
    }
    return new Pointer(v, e.getRevision());
  }

  /** Moves the pointer from {@code from} (null: absent) to {@code version}; false if it moved meanwhile. */
  private boolean compareAndSet(String scope, Pointer from, long version) {
    byte[] value = Long.toString(version).getBytes(StandardCharsets.US_ASCII);
    try {
      if (from == null) {
        kv().create(scope, value);
      } else {
        kv().update(scope, value, from.revision());
      }
      return true;
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
        return false;
      }
      throw failure("move the live pointer " + scope, e);
    } catch (IOException e) {
      throw failure("move the live pointer " + scope, e);
    }
  }

  private static Long parse(KeyValueEntry e) {
    String s = e.getValueAsString();
    if (s == null) {
      return null;
    }
    s = s.trim();
    if (!s.matches("[0-9]{1,18}")) {
      return null;
    }
    return Long.parseLong(s);
  }

  private UncheckedIOException failure(String what, Exception e) {
    return new UncheckedIOException("cannot " + what + " in bucket " + bucket + ": " + e.getMessage(), io(e));
  }

  private static IOException io(Exception e) {
    if (e instanceof IOException io) {
      return io;
    }
    if (e instanceof InterruptedException) {
      InterruptedIOException i = new InterruptedIOException("interrupted");
      i.initCause(e);
      return i;
    }
    return new IOException(e.getMessage(), e);
  }

  private static void checkScope(String scope) {
    if (!PolicyBundle.isScope(scope)) {
      throw new IllegalArgumentException("scope must be 'global' or 'gw.<gatewayId>', got '" + scope + "'");
    }
  }

  private static void checkVersion(long version) {
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1, got " + version);
    }
  }
}
