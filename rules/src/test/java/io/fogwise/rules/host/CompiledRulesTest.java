package io.fogwise.rules.host;

import io.fogwise.rules.source.RuleSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kie.api.KieBase;
import org.kie.api.KieServices;
import org.kie.api.builder.KieBuilder;
import org.kie.api.builder.KieFileSystem;
import org.kie.api.builder.Message;

/** Compiled rule sets: export, load, and every check loading makes. */
class CompiledRulesTest {
  private static RuleSet packs;
  private static byte[] compiled;

  @BeforeAll
  static void compile() throws Exception {
    packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
    compiled = packs.exportCompiled();
  }

  @Test
  void loadsTheSameRules() throws Exception {
    RuleSet loaded = RuleSet.load("global v0", RuleSet.builtInPacks(), compiled);
    assertEquals(packs.ruleNames(), loaded.ruleNames());
    assertEquals(RuleSet.builtInPacks(), loaded.sources());
    assertTrue(compiled.length < 200_000, "compressed: " + compiled.length + " bytes");
  }

  @Test
  void refusesBytesThatAreNotCompiledRules() {
    RuleArtifactException e = assertThrows(RuleArtifactException.class,
        () -> RuleSet.load("x", RuleSet.builtInPacks(), "not gzip".getBytes()));
    assertTrue(e.getMessage().contains("not gzip"), e.getMessage());
    byte[] truncated = java.util.Arrays.copyOf(compiled, compiled.length / 2);
    assertThrows(RuleArtifactException.class, () -> RuleSet.load("x", RuleSet.builtInPacks(), truncated));
  }

  @Test
  void refusesToDeserializeClassesOutsideTheFilter() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(new GZIPOutputStream(bytes))) {
      out.writeObject(new ArrayList<>(List.of(new java.io.File("/etc/passwd"))));
    }
    RuleArtifactException e = assertThrows(RuleArtifactException.class,
        () -> RuleSet.load("x", RuleSet.builtInPacks(), bytes.toByteArray()));
    assertTrue(e.getMessage().contains("cannot deserialize") && e.getMessage().contains("REJECTED"),
        e.getMessage());
  }

  @Test
  void refusesCompiledRulesThatAreNotThoseOfTheSources() {
    List<RuleSource> renamed = new ArrayList<>();
    for (RuleSource s : RuleSet.builtInPacks()) {
      renamed.add(s.fileName().equals("failover.drl")
          ? new RuleSource(s.fileName(), s.drl().replaceFirst("rule \"", "rule \"Renamed: ")) : s);
    }
    RuleArtifactException e = assertThrows(RuleArtifactException.class, () -> RuleSet.load("x", renamed, compiled));
    assertTrue(e.getMessage().contains("compiled only") && e.getMessage().contains("Renamed: "), e.getMessage());
  }

  @Test
  void refusesConditionsTheSourcesDoNotHave() {
    List<RuleSource> fewer = new ArrayList<>(RuleSet.builtInPacks());
    fewer.remove(0);
    RuleArtifactException e = assertThrows(RuleArtifactException.class, () -> RuleSet.load("x", fewer, compiled));
    assertTrue(e.getMessage().contains("which is not a condition the sandbox checked"), e.getMessage());
  }

  @Test
  void refusesAConstraintOutsideTheSandboxBehindBenignSources() {
    // Forged: compiled without the sandbox, claiming sources whose rule has the same name.
    String evil = """
        package forged
        import io.fogwise.rules.model.Device
        rule "Looks harmless"
        when
            Device( id == System.getProperty("user.home") )
        then
        end
        """;
    String benign = evil.replace("System.getProperty(\"user.home\")", "\"gw-1\"");
    byte[] forged = CompiledRules.export(compileUnchecked(evil).getKiePackages());
    RuleArtifactException e = assertThrows(RuleArtifactException.class,
        () -> RuleSet.load("x", List.of(new RuleSource("forged.drl", benign)), forged));
    assertTrue(e.getMessage().contains("System.getProperty") && e.getMessage().contains("not a condition"),
        e.getMessage());
    // and with the evil text as the claimed source, the sandbox refuses the source itself
    RuleArtifactException e2 = assertThrows(RuleArtifactException.class,
        () -> RuleSet.load("x", List.of(new RuleSource("forged.drl", evil)), forged));
    assertTrue(e2.getMessage().contains("break the sandbox"), e2.getMessage());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "salience ( System.getProperty(\"user.home\") == null ? 1 : 2 )",
      "enabled ( System.getProperty(\"user.home\") != null )"})
  void refusesAnAttributeExpressionOutsideTheSandboxBehindBenignSources(String attribute) {
    // Forged: an attribute expression Drools evaluates (MVEL), compiled without the sandbox,
    // claiming sources whose attribute is a plain literal.
    String evil = """
        package forged
        import io.fogwise.rules.model.Device
        rule "Looks harmless" %s
        when
            Device( id == "gw-1" )
        then
        end
        """.formatted(attribute);
    String benign = evil.replace(attribute, attribute.startsWith("salience") ? "salience 1" : "enabled true");
    byte[] forged = CompiledRules.export(compileUnchecked(evil).getKiePackages());
    RuleArtifactException e = assertThrows(RuleArtifactException.class,
        () -> RuleSet.load("x", List.of(new RuleSource("forged.drl", benign)), forged));
    assertTrue(e.getMessage().contains("System.getProperty") && e.getMessage().contains("not a condition"),
        e.getMessage());
    // claiming the evil text instead, the sandbox refuses the source's attribute itself
    RuleArtifactException e2 = assertThrows(RuleArtifactException.class,
        () -> RuleSet.load("x", List.of(new RuleSource("forged.drl", evil)), forged));
    assertTrue(e2.getMessage().contains("break the sandbox") && e2.getMessage().contains("not allowed in a rule's "
        + attribute.substring(0, attribute.indexOf(' '))), e2.getMessage());
  }

  @Test
  void refusesConsequencesThatReachOutsideTheAllowList() throws Exception {
    // Compiled without the sandbox (as a forged artifact would be): the bytecode check stops it.
    String drl = """
        package evil
        import io.fogwise.rules.model.Device
        rule "delete a file"
        when
            Device()
        then
            new java.io.File("/tmp/fogwise-evil").delete();
        end
        """;
    List<RuleSource> sources = List.of(new RuleSource("evil.drl", drl));
    byte[] forged = CompiledRules.export(compileUnchecked(drl).getKiePackages());
    RuleArtifactException e = assertThrows(RuleArtifactException.class, () -> RuleSet.load("x", sources, forged));
    assertTrue(e.getMessage().contains("refers to java.io.File"), e.getMessage());
  }

  @Test
  void allowList() {
    Set<String> own = Set.of("io/fogwise/packs/failover/Rule_x_Consequence");
    assertTrue(CompiledRules.allowed("io/fogwise/packs/failover/Rule_x_Consequence", own));
    assertFalse(CompiledRules.allowed("io/fogwise/packs/failover/NotDefinedHere", own));
    assertFalse(CompiledRules.allowed("io/fogwise/packs/other/Rule_x", own));
    assertTrue(CompiledRules.allowed("io/fogwise/rules/model/Device", own));
    assertTrue(CompiledRules.allowed("java/util/Map", own));
    assertTrue(CompiledRules.allowed("java/lang/String", own));
    for (String denied : Set.of("java/lang/Runtime", "java/lang/System", "java/lang/Thread", "java/lang/ProcessBuilder",
        "java/lang/reflect/Method", "java/lang/ClassLoader", "java/io/File", "java/net/Socket", "java/nio/file/Files",
        "java/util/concurrent/Executors", "sun/misc/Unsafe", "io/fogwise/policy/PolicyStore")) {
      assertFalse(CompiledRules.allowed(denied, own), denied);
    }
  }

  @Test
  void fingerprintNamesTheDroolsVersion() {
    assertTrue(RuleSet.runtimeFingerprint().matches("drools-10\\.[0-9.]+[^/]*/[0-9a-f]{16}"),
        RuleSet.runtimeFingerprint());
  }

  private static KieBase compileUnchecked(String drl) {
    KieServices ks = KieServices.Factory.get();
    KieFileSystem kfs = ks.newKieFileSystem();
    kfs.write("src/main/resources/" + (drl.contains("package forged") ? "forged" : "evil") + ".drl", drl);
    KieBuilder b = ks.newKieBuilder(kfs).buildAll();
    assertFalse(b.getResults().hasMessages(Message.Level.ERROR), b.getResults().toString());
    return ks.newKieContainer(ks.getRepository().getDefaultReleaseId()).getKieBase();
  }
}
