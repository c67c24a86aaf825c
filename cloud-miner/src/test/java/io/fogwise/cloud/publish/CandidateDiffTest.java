package io.fogwise.cloud.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundle.Param;
import io.fogwise.policy.PolicyBundle.RuleFile;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.protocol.MessageCodec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CandidateDiffTest {
  @Test
  void equalTextsHaveNoDiff() {
    assertEquals("", CandidateDiff.unified("a", "b", "x\ny\n", "x\ny\n"));
  }

  @Test
  void anAddedFileIsAllPlus() {
    assertEquals("--- /dev/null\n+++ new\n@@ -0,0 +1,2 @@\n+one\n+two\n",
        CandidateDiff.unified("/dev/null", "new", "", "one\ntwo\n"));
  }

  @Test
  void aRemovedFileIsAllMinus() {
    assertEquals("--- old\n+++ /dev/null\n@@ -1 +0,0 @@\n-one\n", CandidateDiff.unified("old", "/dev/null", "one\n", ""));
  }

  @Test
  void aChangeShowsThreeLinesOfContextAndSeparateHunksWhenFarApart() {
    String a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";
    String b = "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n21\n";
    assertEquals("--- a\n+++ b\n"
        + "@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
        + "@@ -18,3 +18,4 @@\n 18\n 19\n 20\n+21\n", CandidateDiff.unified("a", "b", a, b));
  }

  @Test
  void nearbyChangesShareOneHunk() {
    String a = "a\nb\nc\nd\ne\nf\ng\n";
    String b = "a\nB\nc\nd\ne\nF\ng\n";
    assertEquals("--- a\n+++ b\n@@ -1,7 +1,7 @@\n a\n-b\n+B\n c\n d\n e\n-f\n+F\n g\n",
        CandidateDiff.unified("a", "b", a, b));
  }

  private static Candidate candidate() {
    var key = new PolicyBundles.SigningKey("k1", PolicyBundles.generateKeyPair().getPrivate());
    PolicyBundle b = PolicyBundles.sign("global", 4, Proposals.AUTHOR, 5000,
        List.of(new RuleFile("ops.drl", "package ops;\nrule one\n"), new RuleFile("mined/precursors.drl", "package m;\n")),
        Map.of("detect.phiThreshold@sensor-a", new Param("number", "9.3"), "battery.minPct", new Param("number", "15")),
        key);
    return new Candidate("global", 3, 5000, 1000, 2000, List.of("battery < 5 %: support 12, confidence 0.92"),
        List.of("global v4"), b);
  }

  @Test
  void theReportListsFilesParametersFindingsAndBase() {
    CandidateDiff d = CandidateDiff.of(candidate(), 3,
        List.of(new RuleFile("ops.drl", "package ops;\nrule one\n"), new RuleFile("gone.drl", "package g;\n")),
        Map.of("battery.minPct", new Param("number", "20"), "old", new Param("string", "x")));
    assertFalse(d.stale());
    assertEquals(List.of("gone.drl removed", "mined/precursors.drl added"),
        d.files().stream().map(f -> f.file() + " " + f.change()).toList());
    assertEquals(List.of(new CandidateDiff.ParamChange("battery.minPct", "20", "15"),
        new CandidateDiff.ParamChange("detect.phiThreshold@sensor-a", null, "9.3"),
        new CandidateDiff.ParamChange("old", "x", null)), d.parameters());
    String text = d.text();
    assertTrue(text.startsWith("candidate global v4 (base v3; live v3) by fogwise-miner, key k1, proposed "
        + "1970-01-01T00:00:05Z\ndata window: 1970-01-01T00:00:01Z .. 1970-01-01T00:00:02Z\n"), text);
    assertTrue(text.contains("findings:\n  battery < 5 %: support 12, confidence 0.92\n"), text);
    assertTrue(text.contains("rule files:\n  gone.drl: removed\n  mined/precursors.drl: added\n"), text);
    assertTrue(text.contains("parameters:\n  battery.minPct: 20 -> 15\n  detect.phiThreshold@sensor-a: (none) -> 9.3\n"
        + "  old: x -> (removed)\n"), text);
    assertTrue(text.contains("--- /dev/null\n+++ candidate v4/mined/precursors.drl\n@@ -0,0 +1 @@\n+package m;\n"), text);
    assertTrue(text.contains("--- global v3/gone.drl\n+++ /dev/null\n"), text);
    assertFalse(text.contains("warning"), text);
  }

  @Test
  void aStaleCandidateSaysApproveWillRefuseIt() {
    CandidateDiff d = CandidateDiff.of(candidate(), 5, List.of(), Map.of());
    assertTrue(d.stale());
    assertTrue(d.text().contains("warning: live is v5 but the candidate was made on v3: 'fogwise rules approve' refuses"
        + " it; 'fogwise cloud mine --now' makes a fresh one"), d.text());
  }

  @Test
  void candidatesAndRepliesSurviveTheirJson() throws Exception {
    Candidate c = candidate();
    assertEquals(c, MessageCodec.decode(MessageCodec.encode(c), Candidate.class, 1 << 20));
    MineReply r = new MineReply(1, 2, 3, List.of("f"), List.of(), "PROPOSED", 4, 3, "candidate global v4", List.of());
    assertEquals(r, MessageCodec.decode(MessageCodec.encode(r), MineReply.class));
    assertTrue(r.found());
    assertFalse(MineReply.failed(1, "boom").found());
    assertEquals("{\"atMillis\":1,\"fromMillis\":2,\"toMillis\":3,\"findings\":[\"f\"],\"refusals\":[],"
        + "\"outcome\":\"PROPOSED\",\"version\":4,\"baseVersion\":3,\"message\":\"candidate global v4\",\"details\":[]}",
        MessageCodec.encodeToString(r));
  }
}
