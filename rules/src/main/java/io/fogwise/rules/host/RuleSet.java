package io.fogwise.rules.host;

import io.fogwise.rules.source.RuleSource;
import io.fogwise.rules.source.RuleError;
import io.fogwise.rules.sandbox.RuleSandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.kie.api.KieBase;
import org.kie.api.KieBaseConfiguration;
import org.kie.api.KieServices;
import org.kie.api.builder.KieBuilder;
import org.kie.api.builder.KieFileSystem;
import org.kie.api.builder.Message;
import org.kie.api.builder.ReleaseId;
import org.kie.api.conf.EventProcessingOption;
import org.kie.api.runtime.KieContainer;

/**
 * A compiled, immutable set of rules (a Drools KieBase in stream mode). Compiling is slow
 * (hundreds of milliseconds): never do it on an event loop.
 */
public final class RuleSet {
  private static final AtomicLong COUNTER = new AtomicLong();
  private static final String PACKS = "packs/";

  private final KieBase kieBase;
  private final List<RuleSource> sources;
  private final String label;
  private final long compileMillis;

  private RuleSet(KieBase kieBase, List<RuleSource> sources, String label, long compileMillis) {
    this.kieBase = kieBase;
    this.sources = sources;
    this.label = label;
    this.compileMillis = compileMillis;
  }

  /**
   * Compiles {@code sources}.
   *
   * @param label how the set is reported, e.g. {@code global v0}
   * @throws RuleCompilationException listing every error with file, line and column
   */
  public static RuleSet compile(String label, List<RuleSource> sources) throws RuleCompilationException {
    Objects.requireNonNull(label, "label");
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a rule set needs at least one file");
    }
    Set<String> names = new HashSet<>();
    for (RuleSource s : sources) {
      if (!names.add(s.fileName())) {
        throw new IllegalArgumentException("duplicate rule file name '" + s.fileName() + "'");
      }
    }
    long start = System.nanoTime();
    // Sandbox: forbidden constructs fail the whole set before anything is compiled; what is
    // compiled is the loop-instrumented text (same line numbers), sources() keeps the author's.
    RuleSandbox.Prepared prepared = RuleSandbox.prepare(sources);
    if (!prepared.errors().isEmpty()) {
      throw new RuleCompilationException(prepared.errors());
    }
    KieServices ks = KieServices.Factory.get();
    ReleaseId rid = ks.newReleaseId("io.fogwise.rules", "ruleset-" + COUNTER.incrementAndGet(), "1.0.0");
    KieFileSystem kfs = ks.newKieFileSystem();
    kfs.generateAndWritePomXML(rid);
    for (RuleSource s : prepared.instrumented()) {
      kfs.write("src/main/resources/" + s.fileName(), s.drl());
    }
    KieBuilder builder = ks.newKieBuilder(kfs).buildAll();
    List<RuleError> errors = new ArrayList<>();
    for (Message m : builder.getResults().getMessages(Message.Level.ERROR)) {
      errors.add(new RuleError(fileOf(m.getPath()), m.getLine(), m.getColumn(), clean(m.getText())));
    }
    if (!errors.isEmpty()) {
      ks.getRepository().removeKieModule(rid);
      throw new RuleCompilationException(errors);
    }
    KieContainer container = ks.newKieContainer(rid);
    KieBaseConfiguration conf = ks.newKieBaseConfiguration();
    conf.setOption(EventProcessingOption.STREAM);
    KieBase kieBase = container.newKieBase(conf);
    ks.getRepository().removeKieModule(rid);
    long millis = (System.nanoTime() - start) / 1_000_000L;
    return new RuleSet(kieBase, List.copyOf(sources), label, millis);
  }

  /**
   * This set in compiled form, for {@link #load}: its packages serialized and gzipped. The
   * bytes depend on the {@linkplain #runtimeFingerprint() runtime}; load them only where it is
   * the same.
   */
  public byte[] exportCompiled() {
    return CompiledRules.export(kieBase.getKiePackages());
  }

  /**
   * A rule set from the compiled form {@link #exportCompiled} produced, without compiling: tens
   * of milliseconds instead of hundreds. The bytes are checked (size, deserialized classes, the
   * classes the consequences' bytecode refers to, and that they hold exactly the rules of {@code
   * sources}), but they are code: only load bytes whose signer you trust.
   *
   * @param sources the files the bytes were compiled from (reported by {@link #sources()})
   * @throws RuleArtifactException if the bytes cannot be read or fail a check
   */
  public static RuleSet load(String label, List<RuleSource> sources, byte[] compiled) throws RuleArtifactException {
    Objects.requireNonNull(label, "label");
    long start = System.nanoTime();
    List<org.kie.api.definition.KiePackage> packages =
        CompiledRules.read(compiled, sources, RuleSet.class.getClassLoader());
    KieServices ks = KieServices.Factory.get();
    KieBaseConfiguration conf = ks.newKieBaseConfiguration();
    conf.setOption(EventProcessingOption.STREAM);
    org.drools.kiesession.rulebase.InternalKnowledgeBase base =
        org.drools.kiesession.rulebase.KnowledgeBaseFactory.newKnowledgeBase(conf);
    try {
      base.addPackages(packages);
    } catch (RuntimeException e) {
      throw new RuleArtifactException("the compiled rules do not load here: " + e);
    }
    long millis = (System.nanoTime() - start) / 1_000_000L;
    return new RuleSet(base, List.copyOf(sources), label, millis);
  }

  /** What compiled rules depend on (Drools version, fact model bytecode): {@code drools-10.2.0/3f2a...}. */
  public static String runtimeFingerprint() {
    return CompiledRules.runtimeFingerprint();
  }

  /** The built-in packs (rules/src/main/resources/packs), as {@code global v0}. */
  public static List<RuleSource> builtInPacks() {
    List<RuleSource> out = new ArrayList<>();
    for (String name : read(PACKS + "index.txt").split("\\R")) {
      name = name.strip();
      if (!name.isEmpty() && !name.startsWith("#")) {
        out.add(new RuleSource(name, read(PACKS + name)));
      }
    }
    return out;
  }

  private static String read(String resource) {
    try (InputStream in = RuleSet.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String fileOf(String path) {
    if (path == null) {
      return "<unknown>";
    }
    int i = path.lastIndexOf('/');
    return i < 0 ? path : path.substring(i + 1);
  }

  private static String clean(String text) {
    return text == null ? "" : text.replaceAll("\\s+", " ").strip();
  }

  KieBase kieBase() {
    return kieBase;
  }

  /** The files the set was compiled from. */
  public List<RuleSource> sources() {
    return sources;
  }

  /** How the set is reported, e.g. {@code global v0}. */
  public String label() {
    return label;
  }

  /** Wall time the compilation took. */
  public long compileMillis() {
    return compileMillis;
  }

  /** Names of all rules in the set. */
  public List<String> ruleNames() {
    List<String> names = new ArrayList<>();
    kieBase.getKiePackages().forEach(p -> p.getRules().forEach(r -> names.add(r.getName())));
    names.sort(null);
    return names;
  }
}
