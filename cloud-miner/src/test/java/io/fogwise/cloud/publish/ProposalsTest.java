package io.fogwise.cloud.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundle.Param;
import io.fogwise.policy.PolicyBundle.RuleFile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProposalsTest {
  private static final RuleFile OPS = new RuleFile("ops.drl", "package ops;\n");
  private static final RuleFile OLD_MINED = new RuleFile("mined/precursors.drl", "package fogwise.mined;\n// old\n");
  private static final RuleFile OTHER_MINED = new RuleFile("mined/older.drl", "package fogwise.mined;\n// older\n");

  private static MiningResult result(String drl, Map<String, String> params) {
    return new MiningResult(3000, 1000, 2000, drl, params, List.of("battery < 5 %: support 12, confidence 0.92"),
        List.of());
  }

  @Test
  void operatorFilesAreKeptAndTheMinedFileJoinsThem() {
    Proposals.Draft d = Proposals.draft(List.of(OPS), Map.of(), result("package fogwise.mined;\n// new\n", Map.of()));
    assertEquals(List.of(OPS, new RuleFile(Proposals.MINED_FILE, "package fogwise.mined;\n// new\n")), d.sources());
    assertTrue(d.parameters().isEmpty(), "no mined parameters, no list of them: " + d.parameters());
  }

  @Test
  void previousMinedFilesAreReplaced() {
    Proposals.Draft d = Proposals.draft(List.of(OLD_MINED, OPS, OTHER_MINED), Map.of(),
        result("package fogwise.mined;\n// new\n", Map.of()));
    assertEquals(List.of("ops.drl", "mined/precursors.drl"), d.sources().stream().map(RuleFile::fileName).toList());
    assertEquals("package fogwise.mined;\n// new\n", d.sources().get(1).drl());
  }

  @Test
  void aResultWithoutRulesDropsTheOldMinedFile() {
    Proposals.Draft d = Proposals.draft(List.of(OPS, OLD_MINED), Map.of(), result(null, Map.of("a", "1")));
    assertEquals(List.of(OPS), d.sources());
  }

  @Test
  void parametersAreMergedAndPreviousMinedOnesReplaced() {
    Map<String, Param> live = Map.of(
        "battery.minPct", new Param("number", "15"),
        "detect.phiThreshold@sensor-a", new Param("number", "8.0"),
        "detect.phiThreshold@sensor-b", new Param("number", "7.5"),
        Proposals.MINED_KEYS, new Param("string", "detect.phiThreshold@sensor-a,detect.phiThreshold@sensor-b"));
    Proposals.Draft d = Proposals.draft(List.of(OPS), live,
        result(null, Map.of("detect.phiThreshold@sensor-a", "9.3", "detect.phiThreshold@sensor-c", "10")));
    assertEquals(Map.of(
        "battery.minPct", new Param("number", "15"),
        "detect.phiThreshold@sensor-a", new Param("number", "9.3"),
        "detect.phiThreshold@sensor-c", new Param("number", "10"),
        Proposals.MINED_KEYS, new Param("string", "detect.phiThreshold@sensor-a,detect.phiThreshold@sensor-c")),
        d.parameters());
  }

  @Test
  void anOperatorParameterOfTheSameNameIsOverriddenOnlyWhileMined() {
    // the operator set it by hand: the miner's value wins, and it is listed as mined from then on
    Proposals.Draft d = Proposals.draft(List.of(OPS), Map.of("x", new Param("number", "1")),
        result(null, Map.of("x", "2")));
    assertEquals(new Param("number", "2"), d.parameters().get("x"));
    assertEquals(new Param("string", "x"), d.parameters().get(Proposals.MINED_KEYS));
  }

  @Test
  void aDraftEqualToLiveIsRecognised() {
    Map<String, Param> live = Map.of("detect.phiThreshold@sensor-a", new Param("number", "9.3"),
        Proposals.MINED_KEYS, new Param("string", "detect.phiThreshold@sensor-a"));
    MiningResult same = result("package fogwise.mined;\n// old\n", Map.of("detect.phiThreshold@sensor-a", "9.3"));
    List<RuleFile> files = List.of(OLD_MINED, OPS);
    assertTrue(Proposals.draft(files, live, same).sameAs(files, live));
    MiningResult other = result("package fogwise.mined;\n// old\n", Map.of("detect.phiThreshold@sensor-a", "9.4"));
    assertFalse(Proposals.draft(files, live, other).sameAs(files, live));
  }

  @Test
  void publishableNeedsRulesOrParametersAndNoRefusals() {
    assertFalse(new MiningResult(0, 0, 0, null, Map.of(), List.of("x"), List.of()).publishable());
    assertFalse(new MiningResult(0, 0, 0, "drl", Map.of(), List.of(), List.of("too little data: 3 devices"))
        .publishable());
    assertTrue(new MiningResult(0, 0, 0, null, Map.of("a", "1"), List.of(), List.of()).publishable());
  }

  @Test
  void publishModesParse() {
    assertEquals(Proposals.Mode.AUTO, Proposals.Mode.parse("auto"));
    assertEquals(Proposals.Mode.PROPOSE, Proposals.Mode.parse(" Propose "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Proposals.Mode.parse("yolo"));
    assertTrue(e.getMessage().contains("'propose' or 'auto'"), e.getMessage());
  }

  @Test
  void aCandidateMustBeAboveItsBase() {
    PolicyBundle b = new PolicyBundle("global", 2, "fogwise-miner", 0, List.of(), Map.of(), null, null, null);
    assertEquals("global v2 (base v1)", new Candidate("global", 1, 0, 0, 0, List.of(), List.of(), b).describe());
    assertThrows(IllegalArgumentException.class, () -> new Candidate("global", 2, 0, 0, 0, List.of(), List.of(), b));
    assertThrows(IllegalArgumentException.class, () -> new Candidate("gw.gw-1", 1, 0, 0, 0, List.of(), List.of(), b));
    assertNull(new Candidate("global", 1, 0, 0, 0, null, null, b).bundle().sha256());
  }
}
