package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.policy.PolicyArtifacts;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Which gateways are online (their status on {@code fw.gw.*.status}) and what they answer to a
 * published bundle (their {@link PolicyOutcome} on {@code fw.gw.*.rules}). Both subscriptions
 * start when this is created, so an outcome sent right after publishing is never missed.
 */
final class PolicyAcks implements AutoCloseable {
  /** Gateways publish their status every second: one and a half periods find each online one. */
  static final Duration DISCOVERY = Duration.ofMillis(1500);

  /** Exit codes of push and rollback. */
  static final int ALL_APPLIED = 0;
  static final int NOT_APPLIED = 1;
  static final int NO_ANSWER = 3;

  private record Received(PolicyOutcome outcome, long atNanos) {}

  private final Connection nats;
  private final Dispatcher dispatcher;
  private final Map<String, GatewayStatus> online = new ConcurrentHashMap<>();
  private final BlockingQueue<Received> outcomes = new LinkedBlockingQueue<>();

  private PolicyAcks(Connection nats) {
    this.nats = nats;
    this.dispatcher = nats.createDispatcher();
    dispatcher.subscribe(Subjects.ALL_POLICY_OUTCOMES, m -> {
      long at = System.nanoTime();
      try {
        outcomes.add(new Received(MessageCodec.decode(m.getData(), PolicyOutcome.class), at));
      } catch (RejectedMessageException ignored) {
        // Not ours to judge here: a gateway speaking another protocol version simply does not count.
      }
    });
    dispatcher.subscribe(Subjects.ALL_STATUS, m -> {
      try {
        GatewayStatus s = MessageCodec.decode(m.getData(), GatewayStatus.class);
        online.put(s.gatewayId(), s);
      } catch (RejectedMessageException ignored) {
        // As above.
      }
    });
  }

  /** Starts listening for statuses and outcomes. */
  static PolicyAcks listen(Connection nats) throws CliFailure {
    PolicyAcks acks = new PolicyAcks(nats);
    try {
      nats.flush(Duration.ofSeconds(5));
    } catch (TimeoutException | InterruptedException e) {
      acks.close();
      throw new CliFailure(3, "NATS at " + nats.getConnectedUrl() + " did not confirm the subscriptions");
    }
    return acks;
  }

  /** The gateways whose status arrived within {@link #DISCOVERY}, by id. */
  Map<String, GatewayStatus> discover() throws CliFailure {
    try {
      // Nothing to wait on but time: a gateway that is online speaks within one period.
      Thread.sleep(DISCOVERY.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(3, "interrupted while looking for online gateways");
    }
    return new TreeMap<>(online);
  }

  /**
   * Publishes {@code bundle}, waits up to {@code timeout} for an outcome from each gateway in
   * {@code expected}, prints the table and returns the exit code: 0 all applied (or nobody to
   * ask), 1 a gateway rejected or rolled back, 3 a gateway did not answer.
   */
  int publishAndWait(PolicyStore store, PolicyBundle bundle, Set<String> expected, Duration timeout,
      PrintWriter out, PrintWriter err) throws CliFailure {
    long t0 = System.nanoTime();
    try {
      store.publish(bundle);
    } catch (IllegalStateException e) {
      throw new CliFailure(NOT_APPLIED, e.getMessage() + "; nothing new is live, run the command again");
    }
    out.println("published " + bundle.label() + " (sha256 " + bundle.sha256().substring(0, 12) + ", key "
        + bundle.keyId() + ", " + count(bundle.sources().size(), "file") + ", "
        + count(bundle.parameters().size(), "parameter") + ")");
    if (expected.isEmpty()) {
      out.println("published; no gateway online to acknowledge");
      return ALL_APPLIED;
    }
    out.println("waiting up to " + GatewayClient.seconds(timeout) + " for " + String.join(", ", expected));
    out.flush();
    Map<String, Received> answers = new TreeMap<>();
    long deadline = t0 + timeout.toNanos();
    while (!answers.keySet().containsAll(expected)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      Received r;
      try {
        r = outcomes.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (r != null && r.outcome().scope().equals(bundle.scope()) && r.outcome().version() == bundle.version()) {
        // Latest wins: a ROLLED_BACK that follows an APPLIED is what the gateway ended up with.
        answers.put(r.outcome().gatewayId(), r);
      }
    }
    // Outcomes already queued from gateways not expected (came online meanwhile) count too.
    List<Received> rest = new ArrayList<>();
    outcomes.drainTo(rest);
    for (Received r : rest) {
      if (r.outcome().scope().equals(bundle.scope()) && r.outcome().version() == bundle.version()) {
        answers.put(r.outcome().gatewayId(), r);
      }
    }

    Set<String> gateways = new TreeSet<>(expected);
    gateways.addAll(answers.keySet());
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"GATEWAY", "VERSION", "STATE", "MS", "BUILD", "FIRST ERROR"});
    List<String> notApplied = new ArrayList<>();
    List<String> silent = new ArrayList<>();
    Map<String, List<PolicyOutcome.RuleErrorInfo>> moreErrors = new LinkedHashMap<>();
    for (String gw : gateways) {
      Received r = answers.get(gw);
      if (r == null) {
        silent.add(gw);
        rows.add(new String[] {gw, Long.toString(bundle.version()), "NO ANSWER", "-", "-", "-"});
        continue;
      }
      PolicyOutcome o = r.outcome();
      if (o.state() != PolicyOutcome.State.APPLIED) {
        notApplied.add(gw);
      }
      if (o.errors().size() > 1) {
        moreErrors.put(gw, o.errors());
      }
      rows.add(new String[] {gw, Long.toString(o.version()), o.state().name(),
          Long.toString(Math.max(0, TimeUnit.NANOSECONDS.toMillis(r.atNanos() - t0))),
          o.build() == null ? "-" : o.build().name().toLowerCase(java.util.Locale.ROOT), firstError(o)});
    }
    out.print(PolicyCommands.table(rows));
    moreErrors.forEach((gw, errors) -> {
      out.println(gw + ": " + errors.size() + " errors:");
      errors.forEach(e -> out.println("  " + e));
    });
    int applied = gateways.size() - notApplied.size() - silent.size();
    out.println(bundle.label() + ": " + applied + " of " + gateways.size() + " gateways applied it");
    if (!notApplied.isEmpty()) {
      err.println("fogwise rules: not applied by " + String.join(", ", notApplied)
          + " (the gateway keeps its previous policy); see FIRST ERROR");
    }
    if (!silent.isEmpty()) {
      err.println("fogwise rules: no answer within " + GatewayClient.seconds(timeout) + " from "
          + String.join(", ", silent) + " (busy, offline, or not watching " + Subjects.POLICY_BUCKET
          + "?); check later with 'fogwise rules status'");
    }
    if (!notApplied.isEmpty()) {
      return NOT_APPLIED;
    }
    return silent.isEmpty() ? ALL_APPLIED : NO_ANSWER;
  }

  /**
   * Signs {@code sources} and {@code parameters} as the next version of {@code scope}, publishes
   * it and waits for the online gateways concerned: the common path of push and rollback.
   */
  static int pushNewVersion(Connection nats, String scope, String author, List<PolicyBundle.RuleFile> sources,
      Map<String, PolicyBundle.Param> parameters, PolicyBundles.SigningKey key, boolean precompile, Duration timeout,
      PrintWriter out, PrintWriter err) throws CliFailure {
    PolicyStore store = PolicyStore.open(nats);
    try (PolicyAcks acks = listen(nats)) {
      Map<String, GatewayStatus> online = acks.discover();
      String gateway = PolicyCommands.gatewayOf(scope);
      Set<String> expected = new TreeSet<>(online.keySet());
      if (gateway != null) {
        expected.retainAll(Set.of(gateway));
      }
      long version = nextVersion(store, scope, online, out);
      PolicyBundle bundle = PolicyBundles.sign(scope, version, author, System.currentTimeMillis(), sources, parameters,
          key);
      int size = PolicyBundles.encode(bundle).length;
      if (size > PolicyBundles.MAX_BUNDLE_BYTES) {
        throw new CliFailure(2, bundle.label() + " would be " + size + " bytes; bundles are limited to "
            + PolicyBundles.MAX_BUNDLE_BYTES + " bytes");
      }
      if (gateway != null && expected.isEmpty()) {
        out.println("gateway " + gateway + " is not online (no status on " + Subjects.status(gateway) + " within "
            + GatewayClient.seconds(DISCOVERY) + "); it picks " + bundle.label() + " up when it connects");
      }
      if (precompile) {
        precompile(store, bundle, author, key, out);
      }
      return acks.publishAndWait(store, bundle, expected, timeout, out, err);
    }
  }

  /**
   * The version a push of {@code scope} gets: above every stored version, not just the live one
   * (a version key is never reused), and above what any online gateway reports it runs (after
   * the bucket was purged or deleted, the gateways remember more than the bucket: they refuse
   * anything lower). A pointer that is malformed or names a version that is not stored is
   * refused with the way to repair it: building on it would publish a version nobody applies.
   */
  static long nextVersion(PolicyStore store, String scope, Map<String, GatewayStatus> online, PrintWriter out)
      throws CliFailure {
    PolicyStore.PointerState pointer = store.pointerState(scope);
    String repair = "; nothing published. Repair it with 'fogwise rules repair --scope " + scope + "' (points it at"
        + " the highest stored version), then push again";
    if (pointer.malformed()) {
      throw new CliFailure(2, "the live pointer " + scope + " in bucket " + Subjects.POLICY_BUCKET + " holds "
          + pointer.describe() + repair);
    }
    if (!pointer.absent() && pointer.version() > 0 && store.raw(scope, pointer.version()).isEmpty()) {
      throw new CliFailure(2, "the live pointer " + scope + " in bucket " + Subjects.POLICY_BUCKET + " names v"
          + pointer.version() + ", which is not stored" + repair);
    }
    long stored = Math.max(pointer.version(), store.latestVersion(scope));
    long reported = 0;
    String by = null;
    for (GatewayStatus s : online.values()) {
      long v = s.policyVersions().getOrDefault(scope, 0L);
      if (v > reported && v < PolicyStore.MAX_VERSION) {
        reported = v;
        by = s.gatewayId();
      }
    }
    if (reported > stored) {
      out.println("note: " + Subjects.POLICY_BUCKET + " holds no " + scope + " version above v" + stored + ", but gateway "
          + by + " runs v" + reported + " (the bucket was purged or deleted?); publishing above it");
    }
    long version = Math.max(stored, reported) + 1;
    if (version > PolicyStore.MAX_VERSION) {
      throw new CliFailure(2, scope + " would get version " + version + ", above the largest allowed ("
          + PolicyStore.MAX_VERSION + "); repair the pointer with 'fogwise rules repair --scope " + scope + " --to N'");
    }
    return version;
  }

  /**
   * Compiles every effective policy {@code bundle} makes live and stores the signed artifacts
   * (before publishing, so gateways find them); a policy that does not compile is refused here.
   */
  static void precompile(PolicyStore store, PolicyBundle bundle, String author, PolicyBundles.SigningKey key,
      PrintWriter out) throws CliFailure {
    long t0 = System.nanoTime();
    List<PolicyArtifacts.Precompiled> done;
    try {
      done = PolicyArtifacts.precompile(store, bundle, author, System.currentTimeMillis(), key);
    } catch (PolicyArtifacts.CompileFailed e) {
      StringBuilder msg = new StringBuilder(bundle.label() + " not published: " + e.policy().label()
          + " does not compile or breaks the sandbox:");
      e.errors().forEach(x -> msg.append("\n  ").append(x));
      throw new CliFailure(2, msg.toString());
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, bundle.label() + " not published: " + e.getMessage());
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    int bytes = done.stream().mapToInt(PolicyArtifacts.Precompiled::bytes).sum();
    long reused = done.stream().filter(PolicyArtifacts.Precompiled::reused).count();
    String labels = done.stream().map(PolicyArtifacts.Precompiled::label)
        .collect(java.util.stream.Collectors.joining(", "));
    String kib = bytes / 1024 + " KiB";
    out.println(reused == 0
        ? "compiled " + count(done.size(), "effective rule set") + " (" + labels + ") in " + ms
            + " ms; signed artifacts stored (" + kib + ")"
        : "compiled " + (done.size() - reused) + " of " + count(done.size(), "effective rule set") + " (" + labels
            + ") in " + ms + " ms; " + reused + " already stored as signed artifacts, " + kib + " added");
  }

  /** The first error as {@code file:line:col: message}, else the reason, else "-". */
  static String firstError(PolicyOutcome o) {
    if (o.state() == PolicyOutcome.State.APPLIED) {
      return o.buildNote() == null ? "-" : o.buildNote();
    }
    if (!o.errors().isEmpty()) {
      String first = o.errors().get(0).toString();
      return o.errors().size() == 1 ? first : first + " (+" + (o.errors().size() - 1) + " more)";
    }
    return o.reason() == null || o.reason().isBlank() ? "(no reason given)" : o.reason();
  }

  static String count(int n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }

  @Override
  public void close() {
    if (nats.getStatus() != Connection.Status.CLOSED) {
      nats.closeDispatcher(dispatcher);
    }
  }
}
