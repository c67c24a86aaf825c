package io.fogwise.policy;

import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.PolicyOutcome;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The NATS side of rolling out a policy bundle: which gateways are online (their status on
 * {@code fw.gw.*.status}), the version a push gets, the compiled artifacts it needs, publishing,
 * and what each gateway answers (its {@link PolicyOutcome} on {@code fw.gw.*.rules}).
 *
 * <p>It listens from {@link #open} until {@link #close}, so an outcome sent right after
 * publishing is never missed. Times are {@link System#nanoTime()} readings.
 */
public interface PolicyRollout extends AutoCloseable {

  /**
   * A gateway's latest status and when it arrived.
   *
   * @param atNanos {@link System#nanoTime()} when it arrived
   */
  record Seen(GatewayStatus status, long atNanos) {
    public Seen {
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * The version the next push of {@code scope} gets, and what it was chosen above.
   *
   * @param stored the highest version the bucket holds or points at
   * @param reported the highest version an online gateway reports running, 0 if none
   * @param reportedBy the gateway that reported {@code reported}, or null
   */
  record NextVersion(String scope, long version, long stored, long reported, String reportedBy) {
    /** An online gateway runs a version the bucket does not hold (it was purged or deleted). */
    public boolean aboveStored() {
      return reported > stored;
    }
  }

  /**
   * What {@link #precompile} stored.
   *
   * @param ruleSets one entry per effective rule set the bundle makes live
   * @param millis wall time of the whole precompilation
   */
  record Artifacts(List<PolicyArtifacts.Precompiled> ruleSets, long millis) {
    public Artifacts {
      ruleSets = List.copyOf(ruleSets);
    }

    /** Effective rule sets, compiled now or reused. */
    public int count() {
      return ruleSets.size();
    }

    /** Bytes of the artifacts added now. */
    public int bytes() {
      return ruleSets.stream().mapToInt(PolicyArtifacts.Precompiled::bytes).sum();
    }

    /** Rule sets whose artifact was stored already. */
    public int reused() {
      return (int) ruleSets.stream().filter(PolicyArtifacts.Precompiled::reused).count();
    }
  }

  /**
   * A published bundle.
   *
   * @param atNanos {@link System#nanoTime()} just before it was published
   */
  record Publication(PolicyBundle bundle, long atNanos) {
    public Publication {
      Objects.requireNonNull(bundle, "bundle");
    }
  }

  /**
   * A gateway's answer to a publication.
   *
   * @param nanosAfterPublish when it arrived, counted from {@link Publication#atNanos()}
   */
  record Outcome(PolicyOutcome outcome, long nanosAfterPublish) {
    /** Arrival in whole milliseconds after publishing, never negative. */
    public long millis() {
      return Math.max(0, TimeUnit.NANOSECONDS.toMillis(nanosAfterPublish));
    }
  }

  /**
   * The answers to one publication.
   *
   * @param expected the gateways waited for
   * @param received the last outcome of each gateway that answered, by gateway id; gateways not
   *     expected (they came online meanwhile) are included
   */
  record Outcomes(Publication publication, SortedSet<String> expected, SortedMap<String, Outcome> received) {
    public Outcomes {
      Objects.requireNonNull(publication, "publication");
      expected = Collections.unmodifiableSortedSet(new TreeSet<>(expected));
      received = Collections.unmodifiableSortedMap(new TreeMap<>(received));
    }

    /** The expected gateways that did not answer. */
    public SortedSet<String> silent() {
      SortedSet<String> silent = new TreeSet<>(expected);
      silent.removeAll(received.keySet());
      return Collections.unmodifiableSortedSet(silent);
    }
  }

  /** Why a scope cannot get a next version: publishing would give gateways a version they never apply. */
  final class NoNextVersion extends Exception {
    private static final long serialVersionUID = 1L;

    /** What is wrong. */
    public enum Reason {
      /** The live pointer does not hold a version number. */
      MALFORMED_POINTER,
      /** The live pointer names a version the bucket does not hold. */
      POINTER_NOT_STORED,
      /** The next version would exceed {@link PolicyStore#MAX_VERSION}. */
      EXHAUSTED
    }

    private final String scope;
    private final Reason reason;

    NoNextVersion(String scope, Reason reason, String message) {
      super(message);
      this.scope = scope;
      this.reason = reason;
    }

    public String scope() {
      return scope;
    }

    public Reason reason() {
      return reason;
    }
  }

  /**
   * Starts listening for statuses and outcomes on {@code nats} (opening the policy bucket) and
   * returns once the server confirmed the subscriptions.
   *
   * @throws TimeoutException if the server did not confirm them within a few seconds
   * @throws java.io.UncheckedIOException if the policy bucket cannot be opened
   */
  static PolicyRollout open(Connection nats) throws TimeoutException, InterruptedException {
    return NatsPolicyRollout.open(nats);
  }

  /** The latest status of every gateway heard from since {@link #open}, by gateway id. */
  SortedMap<String, Seen> online();

  /**
   * Waits until each of {@code gateways} sent a status that arrived at or after {@code sinceNanos}.
   *
   * @throws TimeoutException naming the gateways still silent after {@code timeout}
   */
  default void awaitStatuses(Collection<String> gateways, long sinceNanos, Duration timeout)
      throws TimeoutException, InterruptedException {
    awaitStatuses(gateways, sinceNanos, timeout, () -> { });
  }

  /**
   * As {@link #awaitStatuses(Collection, long, Duration)}, running {@code check} before each look
   * and about twice a second meanwhile: an exception it throws
   * (a gateway process that exited, say) ends the wait at once.
   */
  void awaitStatuses(Collection<String> gateways, long sinceNanos, Duration timeout, Runnable check)
      throws TimeoutException, InterruptedException;

  /**
   * The version a push of {@code scope} gets: above every stored version, not just the live one
   * (a version key is never reused), and above what any online gateway reports it runs (after
   * the bucket was purged or deleted, the gateways remember more than the bucket: they refuse
   * anything lower).
   *
   * @throws NoNextVersion if the live pointer is malformed or names a version that is not stored
   *     (building on it would publish a version nobody applies), or the versions are exhausted
   */
  NextVersion nextVersion(String scope) throws NoNextVersion;

  /**
   * Compiles every effective policy {@code bundle} makes live and stores the signed artifacts, so
   * gateways load them instead of compiling. Call it before {@link #publish}.
   *
   * @throws PolicyArtifacts.CompileFailed with the rule errors if one does not compile or breaks
   *     the sandbox (nothing stored for it)
   */
  Artifacts precompile(PolicyBundle bundle, String compiledBy, PolicyBundles.SigningKey key)
      throws PolicyArtifacts.CompileFailed;

  /**
   * Stores {@code bundle} and makes it live ({@link PolicyStore#publish}).
   *
   * @throws IllegalStateException if its version exists already or another push moved the pointer
   */
  Publication publish(PolicyBundle bundle);

  /**
   * Collects outcomes for {@code publication} until each of {@code expected} answered or
   * {@code timeout} (counted from publishing) passed; a later outcome of a gateway replaces its
   * earlier one (a ROLLED_BACK after an APPLIED is what the gateway ended up with). Outcomes are
   * consumed here: await one publication before publishing the next. An interrupted wait ends
   * early with what arrived, the thread's interrupt status set.
   */
  Outcomes awaitOutcomes(Publication publication, Set<String> expected, Duration timeout);

  /** Stops listening. */
  @Override
  void close();
}
