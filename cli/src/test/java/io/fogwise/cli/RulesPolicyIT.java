package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise rules keygen|push|status|history|rollback} against a real nats-server and a fake
 * gateway that answers each new global pointer the way it is told to.
 */
class RulesPolicyIT {
  @TempDir Path dir;

  private NatsServer hub;
  private final List<AutoCloseable> fakes = new ArrayList<>();
  private Path key;
  private Path rules;

  @BeforeEach
  void start() throws Exception {
    hub = NatsServer.start();
    hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
    // the operator creates the policy bucket; a gateway may only read it
    try (Connection c = operator()) {
      PolicyStore.open(c);
    }
    CliRun keygen = fogwise("rules", "keygen", "--out", dir.resolve("keys").toString(), "--name", "ops");
    assertEquals(0, keygen.exit(), keygen.toString());
    key = dir.resolve("keys").resolve("ops.key");
    rules = Files.createDirectory(dir.resolve("rules"));
    Files.writeString(rules.resolve("a.drl"), "package fogwise.custom;\n// a\n");
    Files.writeString(rules.resolve("b.drl"), "package fogwise.custom;\n// b\n");
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable f : fakes) {
      f.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  private CliRun rules(String... args) {
    List<String> all = new ArrayList<>(List.of("rules"));
    all.addAll(List.of(args));
    all.addAll(List.of("--nats", hub.url(), "--home", hub.identity().dir().toString()));
    return fogwise(all.toArray(String[]::new));
  }

  /** A connection as the operator. */
  private Connection operator() throws Exception {
    return connect(hub.url(), hub.operatorAuth());
  }

  private static Connection connect(String url, NatsAuth auth) throws Exception {
    return Nats.connect(NatsOptions.oneShot(url, Duration.ofSeconds(5), auth).errorListener(new ErrorListener() { })
        .connectionListener((c, t) -> { }).build());
  }

  enum Mode { APPLY, REJECT, SILENT }

  /**
   * Publishes its status every 200 ms and answers every change of the {@code global} pointer
   * with an outcome; it never looks at the bundle (the real gateway's work is tested elsewhere).
   */
  private FakeGateway fake(String id, Mode mode) throws Exception {
    FakeGateway f = new FakeGateway(hub.url(), hub.auth(Role.GATEWAY, id), id, mode);
    fakes.add(f);
    // online once a status of it has gone out
    await().atMost(Duration.ofSeconds(5)).until(() -> f.statuses > 0);
    return f;
  }

  static final class FakeGateway implements AutoCloseable {
    private final Connection nats;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AutoCloseable watch;
    private final String id;
    private volatile long live;
    volatile int statuses;

    FakeGateway(String url, NatsAuth auth, String id, Mode mode) throws Exception {
      this.id = id;
      this.nats = connect(url, auth);
      long started = System.currentTimeMillis();
      timer.scheduleAtFixedRate(() -> {
        long running = live;
        nats.publish(Subjects.status(id), MessageCodec.encode(new GatewayStatus(id, System.currentTimeMillis(), started,
            Map.of("ALIVE", 2), 0, 0, "global v" + running, running == 0 ? Map.of() : Map.of("global", running),
            List.of())));
        statuses++;
      }, 0, 200, TimeUnit.MILLISECONDS);
      watch = PolicyStore.open(nats).watchLive("global", v -> {
        if (v == 0 || mode == Mode.SILENT) {
          return;
        }
        PolicyOutcome o = mode == Mode.APPLY
            ? new PolicyOutcome(id, "global", v, PolicyOutcome.State.APPLIED, null, List.of(), 120, 180,
                "global v" + v, System.currentTimeMillis(), PolicyOutcome.Build.COMPILED, null)
            : new PolicyOutcome(id, "global", v, PolicyOutcome.State.REJECTED, "the rules do not compile",
                List.of(new PolicyOutcome.RuleErrorInfo("a.drl", 3, 5, "unknown action 'explode'"),
                    new PolicyOutcome.RuleErrorInfo("b.drl", 1, 1, "second problem")), 90, 95, "global v" + live,
                System.currentTimeMillis(), null, null);
        if (mode == Mode.APPLY) {
          live = v;
        }
        nats.publish(Subjects.policyOutcomes(id), MessageCodec.encode(o));
      });
    }

    @Override
    public void close() throws Exception {
      watch.close();
      timer.shutdownNow();
      timer.awaitTermination(5, TimeUnit.SECONDS);
      nats.close();
    }
  }

  private PolicyBundle stored(String scope, long version) throws Exception {
    try (Connection c = operator()) {
      return PolicyBundles.decode(PolicyStore.open(c).raw(scope, version).orElseThrow());
    }
  }

  private static final Pattern ROW = Pattern.compile("(?m)^(\\S+)\\s+(\\d+)\\s+(APPLIED|REJECTED|ROLLED_BACK|NO ANSWER)"
      + "\\s+(\\d+|-)\\s+(artifact|compiled|-)\\s+(.*)$");

  private static Matcher row(CliRun r, String gateway) {
    Matcher m = ROW.matcher(r.out());
    while (m.find()) {
      if (m.group(1).equals(gateway)) {
        return m;
      }
    }
    throw new AssertionError("no row for " + gateway + " in\n" + r);
  }

  @Test
  void pushIsSignedPublishedAndAcknowledged() throws Exception {
    fake("fake-1", Mode.APPLY);
    CliRun push = rules("push", rules.toString(), "--scope", "global", "--param", "threshold=3", "--param", "site=north",
        "--key", key.toString(), "--author", "alice", "--timeout", "10s");
    assertEquals(0, push.exit(), push.toString());
    assertTrue(push.out().contains("GATEWAY  VERSION  STATE    MS  BUILD     FIRST ERROR"), push.toString());
    assertTrue(push.out().contains("compiled 1 effective rule set (global v1) in "), push.toString());
    Matcher m = row(push, "fake-1");
    assertEquals("1", m.group(2));
    assertEquals("APPLIED", m.group(3));
    assertEquals("compiled", m.group(5));
    assertTrue(push.out().contains("global v1: 1 of 1 gateways applied it"), push.toString());

    PolicyBundle b = stored("global", 1);
    assertEquals("alice", b.author());
    assertEquals(List.of("a.drl", "b.drl"), b.sources().stream().map(PolicyBundle.RuleFile::fileName).toList());
    assertEquals(new PolicyBundle.Param("number", "3"), b.parameters().get("threshold"));
    assertEquals(new PolicyBundle.Param("string", "north"), b.parameters().get("site"));
    PolicyBundles.verify(b, io.fogwise.policy.TrustedKeys.load(List.of(dir.resolve("keys"))), "global", 1);

    CliRun second = rules("push", rules.resolve("a.drl").toString(), "--scope", "global", "--key", key.toString());
    assertEquals(0, second.exit(), second.toString());
    assertEquals("2", row(second, "fake-1").group(2));

    CliRun status = rules("status");
    assertEquals(0, status.exit(), status.toString());
    assertTrue(status.out().contains("global live v2 (2 versions stored)"), status.toString());
    assertTrue(status.out().matches("(?s).*fake-1\\s+global v2\\s+global v2\\s+gw.fake-1 none.*"), status.toString());
  }

  @Test
  void rulesThatDoNotCompileAreRefusedBeforePublishing() throws Exception {
    fake("fake-1", Mode.APPLY);
    Path bad = dir.resolve("bad");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve("broken.drl"), "package broken\nrule \"Broken\"\nwhen\n    NoSuchFact()\nthen\nend\n");
    CliRun push = rules("push", bad.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(2, push.exit(), push.toString());
    assertTrue(push.err().contains("global v1 not published: global v1 does not compile"), push.toString());
    assertTrue(push.err().contains("broken.drl:4:"), push.toString());
    try (Connection c = operator()) {
      assertEquals(0, PolicyStore.open(c).latestVersion("global"), "nothing published");
    }
    // Without precompiling the bundle goes out, and the gateways judge it.
    CliRun raw = rules("push", bad.toString(), "--scope", "global", "--key", key.toString(), "--no-precompile");
    assertEquals(0, raw.exit(), raw.toString());
    assertFalse(raw.out().contains("effective rule set"), raw.toString());
  }

  @Test
  void aRejectingGatewayFailsThePushWithItsFirstError() throws Exception {
    fake("fake-1", Mode.REJECT);
    CliRun push = rules("push", rules.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(1, push.exit(), push.toString());
    Matcher m = row(push, "fake-1");
    assertEquals("REJECTED", m.group(3));
    assertEquals("a.drl:3:5: unknown action 'explode' (+1 more)", m.group(6));
    assertTrue(push.out().contains("  b.drl:1:1: second problem"), push.toString());
    assertTrue(push.err().contains("not applied by fake-1"), push.toString());
  }

  @Test
  void aSilentGatewayIsReportedAfterTheTimeout() throws Exception {
    fake("fake-1", Mode.SILENT);
    fake("fake-2", Mode.APPLY);
    long t0 = System.nanoTime();
    CliRun push = rules("push", rules.toString(), "--scope", "global", "--key", key.toString(), "--timeout", "2s");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals(3, push.exit(), push.toString());
    assertEquals("NO ANSWER", row(push, "fake-1").group(3));
    assertEquals("APPLIED", row(push, "fake-2").group(3));
    assertTrue(push.err().contains("no answer within 2 s from fake-1"), push.toString());
    assertTrue(ms >= 2000 && ms < 10_000, "took " + ms + " ms");
  }

  @Test
  void withNoGatewayOnlineThePushOnlyPublishes() throws Exception {
    CliRun push = rules("push", rules.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(0, push.exit(), push.toString());
    assertTrue(push.out().contains("published; no gateway online to acknowledge"), push.toString());
    assertEquals(1, stored("global", 1).version());

    CliRun status = rules("status");
    assertEquals(0, status.exit(), status.toString());
    assertTrue(status.out().contains("no gateway online"), status.toString());
  }

  @Test
  void aGatewayScopeWaitsOnlyForThatGateway() throws Exception {
    fake("fake-1", Mode.SILENT);
    CliRun push = rules("push", rules.toString(), "--scope", "gw.elsewhere", "--key", key.toString(), "--timeout", "2s");
    assertEquals(0, push.exit(), push.toString());
    assertTrue(push.out().contains("gateway elsewhere is not online"), push.toString());
    assertEquals("gw.elsewhere", stored("gw.elsewhere", 1).scope());
  }

  @Test
  void historyListsTheVersionsAndRollbackRepublishesOne() throws Exception {
    fake("fake-1", Mode.APPLY);
    assertEquals(0, rules("push", rules.toString(), "--scope", "global", "--key", key.toString(), "--param", "t=1",
        "--author", "alice").exit());
    assertEquals(0, rules("push", rules.resolve("b.drl").toString(), "--scope", "global", "--key", key.toString(),
        "--param", "t=2", "--author", "bob").exit());

    CliRun history = rules("history", "--scope", "global");
    assertEquals(0, history.exit(), history.toString());
    String keyId = stored("global", 1).keyId();
    assertTrue(history.out().contains("VERSION  LIVE  AUTHOR  CREATED"), history.toString());
    assertTrue(history.out().matches("(?s).*\\n1\\s+alice\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+[0-9a-f]{12}\\s+" + keyId
        + "\\s+a.drl,b.drl\\n.*"), history.toString());
    assertTrue(history.out().matches("(?s).*\\n2\\s+\\*\\s+bob\\s+.*\\s+b.drl\\n.*"), history.toString());

    CliRun rollback = rules("rollback", "--scope", "global", "--to", "1", "--key", key.toString(), "--timeout", "10s");
    assertEquals(0, rollback.exit(), rollback.toString());
    Matcher m = row(rollback, "fake-1");
    assertEquals("3", m.group(2));
    assertEquals("APPLIED", m.group(3));
    PolicyBundle v1 = stored("global", 1);
    PolicyBundle v3 = stored("global", 3);
    assertEquals(v1.sources(), v3.sources());
    assertEquals(v1.parameters(), v3.parameters());
    assertEquals("rollback to v1 by " + System.getProperty("user.name"), v3.author());

    CliRun after = rules("history", "--scope", "global");
    assertTrue(after.out().matches("(?s).*\\n3\\s+\\*\\s+rollback to v1 by .*"), after.toString());

    CliRun missing = rules("rollback", "--scope", "global", "--to", "9", "--key", key.toString());
    assertEquals(2, missing.exit(), missing.toString());
    assertTrue(missing.err().contains("scope global has no version 9 (stored: 1, 2, 3)"), missing.toString());

    CliRun empty = rules("history", "--scope", "gw.none");
    assertEquals(0, empty.exit(), empty.toString());
    assertTrue(empty.out().contains("no versions stored for gw.none"), empty.toString());
  }

  @Test
  void aMalformedPointerIsRefusedByPushWithTheRepairAndPushesWorkAfterIt() throws Exception {
    fake("fake-1", Mode.APPLY);
    assertEquals(0, rules("push", rules.toString(), "--scope", "global", "--key", key.toString()).exit());
    for (String junk : List.of("v1-please", "999999999999999999")) {
      try (Connection c = operator()) {
        c.keyValue(Subjects.POLICY_BUCKET).put("global", junk);
      }
      CliRun push = rules("push", rules.toString(), "--scope", "global", "--key", key.toString());
      assertEquals(2, push.exit(), push.toString());
      assertTrue(push.err().contains("the live pointer global in bucket fw-rules "), push.toString());
      assertTrue(push.err().contains("Repair it with 'fogwise rules repair --scope global'"), push.toString());
      CliRun status = rules("status");
      assertEquals(0, status.exit(), status.toString());
      CliRun history = rules("history", "--scope", "global");
      assertEquals(0, history.exit(), history.toString());

      CliRun repair = rules("repair", "--scope", "global");
      assertEquals(0, repair.exit(), repair.toString());
      assertTrue(repair.out().contains("-> v1 in bucket fw-rules"), repair.toString());
      CliRun nothing = rules("repair", "--scope", "global");
      assertTrue(nothing.out().contains("nothing to repair"), nothing.toString());
    }
    CliRun push = rules("push", rules.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(0, push.exit(), push.toString());
    assertEquals("2", row(push, "fake-1").group(2));
    assertEquals("APPLIED", row(push, "fake-1").group(3));
  }

  @Test
  void afterAPurgeAPushGoesAboveWhatTheGatewaysRun() throws Exception {
    fake("fake-1", Mode.APPLY);
    assertEquals(0, rules("push", rules.toString(), "--scope", "global", "--key", key.toString()).exit());
    assertEquals(0, rules("push", rules.toString(), "--scope", "global", "--key", key.toString()).exit());
    try (Connection c = operator()) {
      c.jetStreamManagement().purgeStream("KV_" + Subjects.POLICY_BUCKET);
    }
    CliRun push = rules("push", rules.toString(), "--scope", "global", "--key", key.toString());
    assertEquals(0, push.exit(), push.toString());
    assertTrue(push.out().contains("but gateway fake-1 runs v2 (the bucket was purged or deleted?)"), push.toString());
    assertEquals("3", row(push, "fake-1").group(2));
  }

  @Test
  void anUnreachableHubIsExitCode3() {
    int port = NatsServer.freePort();
    CliRun r = fogwise("rules", "status", "--nats", "nats://127.0.0.1:" + port, "--home",
        hub.identity().dir().toString());
    assertEquals(3, r.exit(), r.toString());
    assertTrue(r.err().contains("cannot reach NATS"), r.toString());
  }
}
