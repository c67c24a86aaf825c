package io.fogwise.policy;

import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link PolicyRollout} over one NATS connection: one dispatcher for statuses and outcomes. */
final class NatsPolicyRollout implements PolicyRollout {
  /** How long the server has to confirm the subscriptions; it answers in milliseconds when reachable. */
  static final Duration CONFIRM = Duration.ofSeconds(5);
  /** How often a status wait runs its check: a gateway process that died is noticed within this. */
  static final Duration CHECK_INTERVAL = Duration.ofMillis(500);

  private static final Logger LOG = LoggerFactory.getLogger(NatsPolicyRollout.class);

  /** An outcome as it arrived, before it is matched to a publication. */
  private record Arrived(PolicyOutcome outcome, long atNanos) {}

  private final Connection nats;
  private final PolicyStore store;
  private final Dispatcher dispatcher;
  private final Map<String, Seen> statuses = new ConcurrentHashMap<>();
  private final Object statusArrived = new Object();
  private final BlockingQueue<Arrived> outcomes = new LinkedBlockingQueue<>();

  private NatsPolicyRollout(Connection nats, PolicyStore store) {
    this.nats = nats;
    this.store = store;
    this.dispatcher = nats.createDispatcher();
    dispatcher.subscribe(Subjects.ALL_POLICY_OUTCOMES, m -> {
      long at = System.nanoTime();
      try {
        outcomes.add(new Arrived(MessageCodec.decode(m.getData(), PolicyOutcome.class), at));
      } catch (RejectedMessageException e) {
        // A gateway speaking another protocol version does not count: it shows as not answering.
        LOG.debug("ignored an unreadable outcome on {}: {}", m.getSubject(), e.getMessage());
      }
    });
    dispatcher.subscribe(Subjects.ALL_STATUS, m -> {
      long at = System.nanoTime();
      try {
        GatewayStatus s = MessageCodec.decode(m.getData(), GatewayStatus.class);
        statuses.put(s.gatewayId(), new Seen(s, at));
        synchronized (statusArrived) {
          statusArrived.notifyAll();
        }
      } catch (RejectedMessageException e) {
        // As above: such a gateway counts as not online.
        LOG.debug("ignored an unreadable status on {}: {}", m.getSubject(), e.getMessage());
      }
    });
  }

  static PolicyRollout open(Connection nats) throws TimeoutException, InterruptedException {
    Objects.requireNonNull(nats, "nats");
    NatsPolicyRollout rollout = new NatsPolicyRollout(nats, PolicyStore.open(nats));
    try {
      nats.flush(CONFIRM);
    } catch (TimeoutException | InterruptedException e) {
      rollout.close();
      throw e;
    }
    return rollout;
  }

  @Override
  public SortedMap<String, Seen> online() {
    return new TreeMap<>(statuses);
  }

  @Override
  public void awaitStatuses(Collection<String> gateways, long sinceNanos, Duration timeout, Runnable check)
      throws TimeoutException, InterruptedException {
    Objects.requireNonNull(gateways, "gateways");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(check, "check");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (statusArrived) {
      while (true) {
        check.run();
        List<String> missing = gateways.stream().distinct().filter(id -> {
          Seen seen = statuses.get(id);
          return seen == null || seen.atNanos() - sinceNanos < 0;
        }).sorted().toList();
        if (missing.isEmpty()) {
          return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("no status on " + Subjects.ALL_STATUS + " within " + describe(timeout) + " from "
              + String.join(", ", missing));
        }
        statusArrived.wait(Math.max(1, Math.min(CHECK_INTERVAL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
      }
    }
  }

  @Override
  public NextVersion nextVersion(String scope) throws NoNextVersion {
    PolicyStore.PointerState pointer = store.pointerState(scope);
    if (pointer.malformed()) {
      throw new NoNextVersion(scope, NoNextVersion.Reason.MALFORMED_POINTER, "the live pointer " + scope
          + " in bucket " + Subjects.POLICY_BUCKET + " holds " + pointer.describe());
    }
    if (!pointer.absent() && pointer.version() > 0 && store.raw(scope, pointer.version()).isEmpty()) {
      throw new NoNextVersion(scope, NoNextVersion.Reason.POINTER_NOT_STORED, "the live pointer " + scope
          + " in bucket " + Subjects.POLICY_BUCKET + " names v" + pointer.version() + ", which is not stored");
    }
    long stored = Math.max(pointer.version(), store.latestVersion(scope));
    long reported = 0;
    String by = null;
    // In id order, so that of two gateways reporting the same version the first by id is named.
    for (Seen seen : online().values()) {
      long v = seen.status().policyVersions().getOrDefault(scope, 0L);
      if (v > reported && v < PolicyStore.MAX_VERSION) {
        reported = v;
        by = seen.status().gatewayId();
      }
    }
    long version = Math.max(stored, reported) + 1;
    if (version > PolicyStore.MAX_VERSION) {
      throw new NoNextVersion(scope, NoNextVersion.Reason.EXHAUSTED, scope + " would get version " + version
          + ", above the largest allowed (" + PolicyStore.MAX_VERSION + ")");
    }
    return new NextVersion(scope, version, stored, reported, by);
  }

  @Override
  public Artifacts precompile(PolicyBundle bundle, String compiledBy, PolicyBundles.SigningKey key)
      throws PolicyArtifacts.CompileFailed {
    Objects.requireNonNull(bundle, "bundle");
    long t0 = System.nanoTime();
    List<PolicyArtifacts.Precompiled> done = PolicyArtifacts.precompile(store, bundle, compiledBy,
        System.currentTimeMillis(), key);
    return new Artifacts(done, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  @Override
  public Publication publish(PolicyBundle bundle) {
    Objects.requireNonNull(bundle, "bundle");
    long t0 = System.nanoTime();
    store.publish(bundle);
    return new Publication(bundle, t0);
  }

  @Override
  public Outcomes awaitOutcomes(Publication publication, Set<String> expected, Duration timeout) {
    Objects.requireNonNull(publication, "publication");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(timeout, "timeout");
    Map<String, Outcome> answers = new TreeMap<>();
    long deadline = publication.atNanos() + timeout.toNanos();
    while (!answers.keySet().containsAll(expected)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      Arrived a;
      try {
        a = outcomes.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (a != null) {
        keep(publication, a, answers);
      }
    }
    // Outcomes already queued from gateways not expected (came online meanwhile) count too.
    List<Arrived> rest = new ArrayList<>();
    outcomes.drainTo(rest);
    rest.forEach(a -> keep(publication, a, answers));
    return new Outcomes(publication, new TreeSet<>(expected), new TreeMap<>(answers));
  }

  private static void keep(Publication publication, Arrived a, Map<String, Outcome> answers) {
    PolicyOutcome o = a.outcome();
    PolicyBundle b = publication.bundle();
    if (o.scope().equals(b.scope()) && o.version() == b.version()) {
      // Latest wins: a ROLLED_BACK that follows an APPLIED is what the gateway ended up with.
      answers.put(o.gatewayId(), new Outcome(o, a.atNanos() - publication.atNanos()));
    }
  }

  /** A timeout for a message: whole seconds as {@code 5 s}, else milliseconds. */
  static String describe(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }

  @Override
  public void close() {
    if (nats.getStatus() != Connection.Status.CLOSED) {
      nats.closeDispatcher(dispatcher);
    }
  }
}
