package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.cloud.CloudConfig;
import io.fogwise.cloud.CloudService;
import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyStore;
import io.fogwise.policy.TrustedKeys;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing mined rules with real parts: a secure nats-server, a real gateway trusting the
 * operator's and the cloud's keys, the cloud service signing what a (fixed) mining pass found;
 * {@code fogwise cloud mine --now}, {@code rules diff} and {@code rules approve} in-process.
 */
class MinedRulesIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String MINED_RULE = "Mined: battery below 5 % precedes device loss";
  private static final String GOOD_DRL = """
      package fogwise.mined;

      import io.fogwise.rules.model.Device;
      import io.fogwise.rules.model.DeviceState;

      global io.fogwise.rules.Actions actions;

      // support 14 windows, confidence 0.93, data window 1970-01-01T00:00:01Z .. 1970-01-01T00:00:02Z
      rule "%s"
      when
          $d : Device( state == DeviceState.ALIVE, quarantined == false, batteryPct != null, batteryPct < 5 )
      then
          actions.quarantine($d, "mined precursor: battery at " + $d.getBatteryPct() + " %%");
      end
      """.formatted(MINED_RULE);
  /** Line 11 calls an action that does not exist. */
  private static final String BAD_DRL = """
      package fogwise.mined;

      import io.fogwise.rules.model.Device;

      global io.fogwise.rules.Actions actions;

      rule "Mined: broken"
      when
          $d : Device( batteryPct != null, batteryPct < 5 )
      then
          actions.explode($d);
      end
      """;

  private static MiningResult result(String drl, String phi) {
    return new MiningResult(3000, 1000, 2000, drl, Map.of("detect.phiThreshold@sensor-a", phi),
        List.of("battery < 5 % before loss: support 14, confidence 0.93"), List.of());
  }

  private static GatewayConfig.Builder gateway(NatsServer hub, String id) throws Exception {
    return GatewayConfig.builder(id, hub.url()).auth(hub.auth(Role.GATEWAY, id))
        .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(id)), Duration.ZERO);
  }

  private static CliRun run(NatsServer hub, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--nats", hub.url(), "--home", hub.identity().dir().toString()));
    return fogwise(all.toArray(String[]::new));
  }

  @Test
  void minedRulesAreProposedReviewedApprovedAndApplied(@TempDir Path dir) throws Exception {
    try (NatsServer hub = NatsServer.start()) {
      hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
      assertEquals(0, fogwise("rules", "keygen", "--out", dir.toString(), "--name", "ops").exit());
      assertEquals(0, fogwise("rules", "keygen", "--out", dir.toString(), "--name", "cloud").exit());
      Path ops = Files.createDirectory(dir.resolve("ops"));
      Files.copy(Path.of("../docs/tutorial/battery.drl"), ops.resolve("battery.drl"));
      TrustedKeys trusted = TrustedKeys.load(List.of(dir.resolve("ops.pub"), dir.resolve("cloud.pub")));

      // no cloud service yet: nobody answers a mining request
      CliRun none = run(hub, "cloud", "mine", "--now", "--timeout", "2s");
      assertEquals(3, none.exit(), none.toString());
      assertTrue(none.err().contains("no answer on fw.cloud.mine"), none.toString());

      AtomicReference<MiningResult> next = new AtomicReference<>(result(GOOD_DRL, "9.3"));
      CloudConfig config = CloudConfig.builder(hub.url()).auth(hub.auth(Role.CLOUD, "cloud"))
          .signingKey(PolicyCommands.signingKey(dir.resolve("cloud.key")))
          .mineOnRequest(why -> CompletableFuture.completedFuture(next.get())).build();
      try (Gateway gw = Gateway.start(gateway(hub, "gw-a").trustedKeys(trusted).build());
          CloudService cloud = CloudService.start(config)) {
        // the operator's bundle is live: the built-in packs' files and the tutorial's rule
        CliRun push = run(hub, "rules", "push", "../rules/src/main/resources/packs", ops.toString(), "--scope", "global",
            "--param", "battery.minPct=15", "--key", dir.resolve("ops.key").toString(), "--timeout", "20s");
        assertEquals(0, push.exit(), push.toString());
        assertEquals("global v1", gw.query(e -> e.policyLabel()));

        CliRun noCandidate = run(hub, "rules", "diff");
        assertEquals(1, noCandidate.exit(), noCandidate.toString());
        assertTrue(noCandidate.err().contains("no candidate for global"), noCandidate.toString());

        // a pass proposes a candidate signed with the cloud key
        CliRun mine = run(hub, "cloud", "mine", "--now", "--timeout", "60s");
        assertEquals(0, mine.exit(), mine.toString());
        assertTrue(mine.out().contains("battery < 5 % before loss: support 14, confidence 0.93"), mine.toString());
        assertTrue(mine.out().contains("PROPOSED v2: candidate global v2 (base v1)"), mine.toString());
        assertEquals("global v1", gw.query(e -> e.policyLabel()), "a proposal is not published");

        CliRun diff = run(hub, "rules", "diff");
        assertEquals(0, diff.exit(), diff.toString());
        assertTrue(diff.out().startsWith("candidate global v2 (base v1; live v1) by fogwise-miner, key "), diff.out());
        assertTrue(diff.out().contains("rule files:\n  mined/precursors.drl: added\n"), diff.out());
        assertTrue(diff.out().contains("  detect.phiThreshold@sensor-a: (none) -> 9.3\n"), diff.out());
        assertTrue(diff.out().contains("+++ candidate v2/mined/precursors.drl\n"), diff.out());
        assertTrue(diff.out().contains("+rule \"" + MINED_RULE + "\"\n"), diff.out());
        assertTrue(diff.out().contains("data window: 1970-01-01T00:00:01Z .. 1970-01-01T00:00:02Z"), diff.out());
        assertFalse(diff.out().contains("battery.drl"), "operator files are unchanged: " + diff.out());

        CliRun json = run(hub, "rules", "diff", "-o", "json");
        assertEquals(0, json.exit(), json.toString());
        JsonNode j = MessageCodec.mapper().readTree(json.out());
        assertEquals(2, j.get("version").asLong());
        assertEquals(1, j.get("baseVersion").asLong());
        assertEquals("added", j.get("files").get(0).get("change").asText());
        assertEquals("9.3", j.get("parameters").get(0).get("after").asText());

        // approved without any key: published as the cloud signed it, applied from the cloud's artifact
        CliRun approve = run(hub, "rules", "approve", "--timeout", "20s");
        assertEquals(0, approve.exit(), approve.toString());
        assertTrue(approve.out().matches("(?s).*gw-a\\s+2\\s+APPLIED\\s+\\d+\\s+artifact\\s+-.*"), approve.toString());
        assertTrue(approve.out().contains("candidate global v2 (base v1) removed"), approve.toString());
        await().atMost(WAIT).until(() -> "global v2".equals(gw.query(e -> e.policyLabel())));
        boolean mined = gw.query(e -> e.ruleSet().ruleNames().contains(MINED_RULE));
        assertTrue(mined, "the mined rule runs");
        boolean operators = gw.query(e -> e.ruleSet().ruleNames().contains("Device low on battery is drained"));
        assertTrue(operators, "the operator's rule stays");
        PolicyBundle live = stored(hub, 2);
        assertEquals("fogwise-miner", live.author());
        assertEquals(PolicyBundles.keyId(TrustedKeys.load(List.of(dir.resolve("cloud.pub"))).get(live.keyId())),
            live.keyId());
        assertEquals("15", live.parameterValues().get("battery.minPct"));
        assertEquals("9.3", live.parameterValues().get("detect.phiThreshold@sensor-a"));
        assertEquals(1, run(hub, "rules", "diff").exit(), "the approved candidate is gone");

        // a pass whose DRL does not compile is refused with file and line; nothing is stored
        next.set(result(BAD_DRL, "9.5"));
        CliRun bad = run(hub, "cloud", "mine", "--now", "--timeout", "60s");
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.out().contains("REFUSED: not proposed: global v3"), bad.toString());
        assertTrue(bad.out().contains("mined/precursors.drl:11:"), bad.toString());
        assertEquals(1, run(hub, "rules", "diff").exit(), "nothing stored for a refused pass");

        // the same rules and parameters as live: nothing changed
        next.set(result(GOOD_DRL, "9.3"));
        CliRun same = run(hub, "cloud", "mine", "--now", "--timeout", "60s");
        assertEquals(1, same.exit(), same.toString());
        assertTrue(same.out().contains("UNCHANGED: nothing changed"), same.toString());

        // a candidate made on v2 is refused once the operator moved live to v3
        next.set(result(GOOD_DRL, "9.8"));
        CliRun third = run(hub, "cloud", "mine", "--now", "--timeout", "60s");
        assertEquals(0, third.exit(), third.toString());
        CliRun moved = run(hub, "rules", "push", "../rules/src/main/resources/packs", ops.toString(), "--scope",
            "global", "--key", dir.resolve("ops.key").toString(), "--timeout", "20s");
        assertEquals(0, moved.exit(), moved.toString());
        CliRun stale = run(hub, "rules", "diff");
        assertEquals(0, stale.exit(), stale.toString());
        assertTrue(stale.out().contains("warning: live is v3 but the candidate was made on v2"), stale.out());
        CliRun refused = run(hub, "rules", "approve", "--timeout", "5s");
        assertEquals(2, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("was made on global v2, but live is now v3; not published. Run 'fogwise cloud"
            + " mine --now'"), refused.toString());
        assertEquals("global v3", gw.query(e -> e.policyLabel()));
        assertEquals(3L, storedLive(hub));
      }
    }
  }

  @Test
  void withoutAKeyFindingsOnlyAndWithPublishAutoAtOnce(@TempDir Path dir) throws Exception {
    try (NatsServer hub = NatsServer.start()) {
      hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
      assertEquals(0, fogwise("rules", "keygen", "--out", dir.toString(), "--name", "cloud").exit());
      TrustedKeys trusted = TrustedKeys.load(List.of(dir.resolve("cloud.pub")));
      try (Gateway gw = Gateway.start(gateway(hub, "gw-a").trustedKeys(trusted).build())) {
        try (CloudService cloud = CloudService.start(CloudConfig.builder(hub.url()).auth(hub.auth(Role.CLOUD, "cloud"))
            .mineOnRequest(why -> CompletableFuture.completedFuture(result(GOOD_DRL, "9.3"))).build())) {
          CliRun findings = run(hub, "cloud", "mine", "--now", "--timeout", "60s");
          assertEquals(0, findings.exit(), findings.toString());
          assertTrue(findings.out().contains("FINDINGS_ONLY: no --signing-key: findings only"), findings.toString());
          assertEquals(1, run(hub, "rules", "diff").exit(), "no candidate without a key");
        }
        // a pass that fails says so
        try (CloudService cloud = CloudService.start(CloudConfig.builder(hub.url()).auth(hub.auth(Role.CLOUD, "cloud"))
            .mineOnRequest(why -> CompletableFuture.failedFuture(new IllegalStateException("not the leader"))).build())) {
          CliRun failed = run(hub, "cloud", "mine", "--now", "--timeout", "60s");
          assertEquals(1, failed.exit(), failed.toString());
          assertTrue(failed.out().contains("FAILED: the mining pass failed: not the leader"), failed.toString());
        }
        // --publish auto: live at once (on top of the built-in packs, global v0), outcomes returned
        try (CloudService cloud = CloudService.start(CloudConfig.builder(hub.url()).auth(hub.auth(Role.CLOUD, "cloud"))
            .signingKey(PolicyCommands.signingKey(dir.resolve("cloud.key")))
            .publishMode(io.fogwise.cloud.publish.Proposals.Mode.AUTO)
            .mineOnRequest(why -> CompletableFuture.completedFuture(result(GOOD_DRL, "9.3"))).build())) {
          CliRun auto = run(hub, "cloud", "mine", "--now", "--timeout", "60s");
          assertEquals(0, auto.exit(), auto.toString());
          assertTrue(auto.out().contains("PUBLISHED v1: published global v1 (base v0): 1 of 1 gateways applied it"),
              auto.toString());
          assertTrue(auto.out().matches("(?s).*gw-a: APPLIED in \\d+ ms.*"), auto.toString());
          await().atMost(WAIT).until(() -> "global v1".equals(gw.query(e -> e.policyLabel())));
          boolean mined = gw.query(e -> e.ruleSet().ruleNames().contains(MINED_RULE));
          assertTrue(mined, "the mined rule runs");
          boolean builtIn = gw.query(e -> e.ruleSet().ruleNames().size() > 1);
          assertTrue(builtIn, "the built-in packs stay");
          assertEquals(1, run(hub, "rules", "diff").exit(), "auto leaves no candidate");
        }
      }
    }
  }

  @Test
  void devicesAndGatewaysCanNeitherWriteCandidatesNorRequestPasses(@TempDir Path dir) throws Exception {
    try (NatsServer hub = NatsServer.start()) {
      try (Connection cloud = connect(hub, hub.auth(Role.CLOUD, "cloud"), new CopyOnWriteArrayList<>())) {
        io.fogwise.protocol.Buckets.ensure(cloud, io.fogwise.protocol.Buckets.candidates());
      }
      for (NatsAuth auth : List.of(hub.deviceAuth("gw-a", "dev-1"), hub.auth(Role.GATEWAY, "gw-a"))) {
        List<String> errors = new CopyOnWriteArrayList<>();
        try (Connection c = connect(hub, auth, errors)) {
          assertThrows(Exception.class,
              () -> c.keyValue(Subjects.POLICY_CANDIDATE_BUCKET).put("global", "{}".getBytes()));
          c.publish("$KV." + Subjects.POLICY_CANDIDATE_BUCKET + ".global", new byte[] {1});
          c.publish(Subjects.CLOUD_MINE, "please".getBytes());
          c.flush(Duration.ofSeconds(2));
          await().atMost(Duration.ofSeconds(5)).until(() -> errors.stream().anyMatch(e -> e.contains(
              "Permissions Violation for Publish to \"$KV." + Subjects.POLICY_CANDIDATE_BUCKET + ".global\"")));
          await().atMost(Duration.ofSeconds(5)).until(() -> errors.stream().anyMatch(e -> e.contains(
              "Permissions Violation for Publish to \"" + Subjects.CLOUD_MINE + "\"")));
        }
      }
      try (Connection op = hub.connect()) {
        assertEquals(null, op.keyValue(Subjects.POLICY_CANDIDATE_BUCKET).get("global"), "nothing was written");
      }
    }
  }

  private static Connection connect(NatsServer hub, NatsAuth auth, List<String> errors) throws Exception {
    return Nats.connect(NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), auth).connectionListener((c, t) -> { })
        .errorListener(new ErrorListener() {
          @Override
          public void errorOccurred(Connection conn, String error) {
            errors.add(error);
          }
        }).build());
  }

  private static PolicyBundle stored(NatsServer hub, long version) throws Exception {
    try (Connection c = Nats.connect(NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), hub.operatorAuth())
        .errorListener(new ErrorListener() { }).build())) {
      return PolicyBundles.decode(PolicyStore.open(c).raw("global", version).orElseThrow());
    }
  }

  private static long storedLive(NatsServer hub) throws Exception {
    try (Connection c = Nats.connect(NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), hub.operatorAuth())
        .errorListener(new ErrorListener() { }).build())) {
      return PolicyStore.open(c).liveVersion("global");
    }
  }
}
