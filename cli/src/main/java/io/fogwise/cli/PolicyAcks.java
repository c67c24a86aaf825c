package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.policy.PolicyArtifacts;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRollout;
import io.nats.client.Connection;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;

/**
 * Which gateways are online (their status on {@code fw.gw.*.status}) and what they answer to a
 * published bundle (their {@link PolicyOutcome} on {@code fw.gw.*.rules}), as {@code fogwise rules}
 * prints them: a {@link PolicyRollout} with the command's messages, table and exit codes.
 */
final class PolicyAcks implements AutoCloseable {
  /** Gateways publish their status every second: one and a half periods find each online one. */
  static final Duration DISCOVERY = Duration.ofMillis(1500);

  /** Exit codes of push and rollback. */
  static final int ALL_APPLIED = 0;
  static final int NOT_APPLIED = 1;
  static final int NO_ANSWER = 3;

  private final PolicyRollout rollout;

  private PolicyAcks(PolicyRollout rollout) {
    this.rollout = rollout;
  }

  /** Starts listening for statuses and outcomes. */
  static PolicyAcks listen(Connection nats) throws CliFailure {
    try {
      return new PolicyAcks(PolicyRollout.open(nats));
    } catch (TimeoutException | InterruptedException e) {
      throw new CliFailure(3, "NATS at " + nats.getConnectedUrl() + " did not confirm the subscriptions");
    }
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
    Map<String, GatewayStatus> online = new TreeMap<>();
    rollout.online().forEach((id, seen) -> online.put(id, seen.status()));
    return online;
  }

  /**
   * Publishes {@code bundle}, waits up to {@code timeout} for an outcome from each gateway in
   * {@code expected}, prints the table and returns the exit code: 0 all applied (or nobody to
   * ask), 1 a gateway rejected or rolled back, 3 a gateway did not answer.
   */
  int publishAndWait(PolicyBundle bundle, Set<String> expected, Duration timeout, PrintWriter out, PrintWriter err)
      throws CliFailure {
    PolicyRollout.Publication publication;
    try {
      publication = rollout.publish(bundle);
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
    Map<String, PolicyRollout.Outcome> answers = rollout.awaitOutcomes(publication, expected, timeout).received();

    Set<String> gateways = new TreeSet<>(expected);
    gateways.addAll(answers.keySet());
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"GATEWAY", "VERSION", "STATE", "MS", "BUILD", "FIRST ERROR"});
    List<String> notApplied = new ArrayList<>();
    List<String> silent = new ArrayList<>();
    Map<String, List<PolicyOutcome.RuleErrorInfo>> moreErrors = new LinkedHashMap<>();
    for (String gw : gateways) {
      PolicyRollout.Outcome r = answers.get(gw);
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
          Long.toString(r.millis()),
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
    try (PolicyAcks acks = listen(nats)) {
      Map<String, GatewayStatus> online = acks.discover();
      String gateway = PolicyCommands.gatewayOf(scope);
      Set<String> expected = new TreeSet<>(online.keySet());
      if (gateway != null) {
        expected.retainAll(Set.of(gateway));
      }
      long version = acks.nextVersion(scope, out);
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
        acks.precompile(bundle, author, key, out);
      }
      return acks.publishAndWait(bundle, expected, timeout, out, err);
    }
  }

  /**
   * The version a push of {@code scope} gets ({@link PolicyRollout#nextVersion}). A pointer that
   * is malformed or names a version that is not stored is refused with the way to repair it.
   */
  long nextVersion(String scope, PrintWriter out) throws CliFailure {
    PolicyRollout.NextVersion next;
    try {
      next = rollout.nextVersion(scope);
    } catch (PolicyRollout.NoNextVersion e) {
      throw new CliFailure(2, e.getMessage() + (e.reason() == PolicyRollout.NoNextVersion.Reason.EXHAUSTED
          ? "; repair the pointer with 'fogwise rules repair --scope " + scope + " --to N'"
          : "; nothing published. Repair it with 'fogwise rules repair --scope " + scope + "' (points it at"
              + " the highest stored version), then push again"));
    }
    if (next.aboveStored()) {
      out.println("note: " + Subjects.POLICY_BUCKET + " holds no " + scope + " version above v" + next.stored()
          + ", but gateway " + next.reportedBy() + " runs v" + next.reported()
          + " (the bucket was purged or deleted?); publishing above it");
    }
    return next.version();
  }

  /**
   * Compiles every effective policy {@code bundle} makes live and stores the signed artifacts
   * (before publishing, so gateways find them); a policy that does not compile is refused here.
   */
  void precompile(PolicyBundle bundle, String author, PolicyBundles.SigningKey key, PrintWriter out)
      throws CliFailure {
    PolicyRollout.Artifacts done;
    try {
      done = rollout.precompile(bundle, author, key);
    } catch (PolicyArtifacts.CompileFailed e) {
      StringBuilder msg = new StringBuilder(bundle.label() + " not published: " + e.policy().label()
          + " does not compile or breaks the sandbox:");
      e.errors().forEach(x -> msg.append("\n  ").append(x));
      throw new CliFailure(2, msg.toString());
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, bundle.label() + " not published: " + e.getMessage());
    }
    long ms = done.millis();
    int reused = done.reused();
    String labels = done.ruleSets().stream().map(PolicyArtifacts.Precompiled::label)
        .collect(java.util.stream.Collectors.joining(", "));
    String kib = done.bytes() / 1024 + " KiB";
    out.println(reused == 0
        ? "compiled " + count(done.count(), "effective rule set") + " (" + labels + ") in " + ms
            + " ms; signed artifacts stored (" + kib + ")"
        : "compiled " + (done.count() - reused) + " of " + count(done.count(), "effective rule set") + " (" + labels
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
    rollout.close();
  }
}
