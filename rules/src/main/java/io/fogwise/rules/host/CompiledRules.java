package io.fogwise.rules.host;

import io.fogwise.rules.source.RuleSource;
import io.fogwise.rules.Action;
import io.fogwise.rules.Actions;
import io.fogwise.rules.sandbox.Budget;
import io.fogwise.rules.sandbox.RuleSandbox;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.drools.base.common.DroolsObjectInputStream;
import org.drools.base.common.DroolsObjectOutputStream;
import org.drools.base.definitions.InternalKnowledgePackage;
import org.drools.base.rule.DialectRuntimeData;
import org.drools.core.rule.JavaDialectRuntimeData;
import org.kie.api.definition.KiePackage;

/**
 * A rule set's compiled form: its Drools packages (rule network definitions, constraint
 * expressions and the bytecode of the consequences), serialized and gzipped, so that a gateway
 * can load in tens of milliseconds what takes hundreds to compile.
 *
 * <p>Loading checks, before any of it runs: the bytes inflate to at most {@link #MAX_INFLATED}
 * bytes; only Drools, MVEL, Fogwise and core JDK value classes are deserialized (an {@link
 * ObjectInputFilter}); every class the consequences' bytecode names is on an allow-list (no
 * I/O, reflection, threads, processes or class loading); every MVEL expression they evaluate is a
 * condition of the sources that the sandbox checked (and the sources pass it); and the packages
 * hold exactly the rules of the sources they claim to be compiled from. Compiled code is only as trustworthy as whoever
 * compiled it: callers verify a signature first (see {@code PolicyArtifacts}).
 */
final class CompiledRules {
  /** Largest inflated size accepted. */
  static final int MAX_INFLATED = 32 * 1024 * 1024;

  /** Classes the deserialization may instantiate (the JDK ones are value and collection types). */
  private static final ObjectInputFilter FILTER = ObjectInputFilter.Config.createFilter(
      "maxdepth=200;maxrefs=2000000;maxarray=" + MAX_INFLATED + ";"
          + "org.drools.**;org.kie.**;org.mvel2.**;io.fogwise.**;"
          + "java.lang.*;java.util.*;java.util.concurrent.*;java.util.concurrent.atomic.*;java.util.concurrent.locks.*;java.util.regex.*;"
          + "java.math.*;java.time.*;java.lang.invoke.SerializedLambda;!*");

  /** Internal-name prefixes compiled rule code may refer to. */
  private static final List<String> ALLOWED_PREFIXES = List.of(
      "io/fogwise/rules/model/", "io/fogwise/protocol/", "org/drools/", "org/kie/", "org/mvel2/",
      "java/util/", "java/math/", "java/time/");

  /** Allowed prefixes that are nevertheless off limits. */
  private static final List<String> DENIED_PREFIXES = List.of(
      "java/util/concurrent/", "java/util/zip/", "java/util/jar/", "java/util/logging/", "java/util/prefs/",
      "java/util/ServiceLoader", "java/util/Timer", "org/drools/util/ClassUtils", "org/drools/wiring/",
      "org/kie/api/KieServices", "org/kie/internal/utils/", "org/mvel2/optimizers/",
      "org/drools/base/common/DroolsObjectInputStream");

  /** Exactly allowed classes outside the prefixes. */
  private static final Set<String> ALLOWED_CLASSES = Set.of(
      "java/lang/Object", "java/lang/String", "java/lang/StringBuilder", "java/lang/CharSequence",
      "java/lang/Number", "java/lang/Integer", "java/lang/Long", "java/lang/Double", "java/lang/Float",
      "java/lang/Short", "java/lang/Byte", "java/lang/Boolean", "java/lang/Character", "java/lang/Math",
      "java/lang/Enum", "java/lang/Comparable", "java/lang/Iterable", "java/lang/Cloneable",
      "java/lang/Throwable", "java/lang/Exception", "java/lang/RuntimeException", "java/lang/Error",
      "java/lang/IllegalStateException", "java/lang/IllegalArgumentException", "java/lang/NullPointerException",
      "java/lang/ClassCastException", "java/lang/Override", "java/lang/Deprecated", "java/lang/SuppressWarnings",
      "java/lang/Class", "java/lang/Void", "java/io/Serializable", "java/io/Externalizable",
      "java/lang/invoke/StringConcatFactory", "java/lang/invoke/MethodHandles$Lookup", "java/lang/invoke/MethodHandles",
      "java/lang/invoke/MethodType", "java/lang/invoke/CallSite", "java/lang/invoke/MethodHandle",
      "io/fogwise/rules/Actions", "io/fogwise/rules/sandbox/Budget", "io/fogwise/rules/sandbox/BudgetExceeded");

  private CompiledRules() {}

  /** The compiled form of {@code packages}. */
  static byte[] export(Iterable<KiePackage> packages) {
    List<KiePackage> list = new ArrayList<>();
    packages.forEach(list::add);
    list.sort(Comparator.comparing(KiePackage::getName));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new DroolsObjectOutputStream(new GZIPOutputStream(bytes))) {
      out.writeObject(list);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize the compiled rules", e);
    }
    return bytes.toByteArray();
  }

  /**
   * The packages in {@code compiled}, checked against {@code sources}.
   *
   * @throws RuleArtifactException if they cannot be read or fail a check
   */
  static List<KiePackage> read(byte[] compiled, List<RuleSource> sources, ClassLoader loader)
      throws RuleArtifactException {
    byte[] raw = inflate(compiled);
    Object read;
    String[] refused = new String[1];
    Set<String> expressions = new TreeSet<>();
    try (ObjectInputStream in = new ExpressionCollectingStream(new ByteArrayInputStream(raw), loader, expressions)) {
      in.setObjectInputFilter(info -> {
        ObjectInputFilter.Status st = FILTER.checkInput(info);
        if (st == ObjectInputFilter.Status.REJECTED && refused[0] == null) {
          refused[0] = info.serialClass() != null ? "class " + info.serialClass().getName()
              : "depth " + info.depth() + ", references " + info.references() + ", array length " + info.arrayLength();
        }
        return st;
      });
      read = in.readObject();
    } catch (IOException | ClassNotFoundException | RuntimeException e) {
      throw new RuleArtifactException("cannot deserialize the compiled rules: " + e
          + (refused[0] == null ? "" : " (refused: " + refused[0] + ")"));
    }
    if (!(read instanceof List<?> items)) {
      throw new RuleArtifactException("the compiled rules are not a list of packages");
    }
    List<KiePackage> packages = new ArrayList<>();
    for (Object o : items) {
      if (!(o instanceof InternalKnowledgePackage p)) {
        throw new RuleArtifactException("the compiled rules hold a " + (o == null ? "null" : o.getClass().getName())
            + " where a package belongs");
      }
      checkBytecode(p);
      packages.add(p);
    }
    RuleSandbox.Prepared checked = RuleSandbox.checkConditions(sources);
    checkExpressions(expressions, checked);
    Set<String> compiledRules = new TreeSet<>();
    packages.forEach(p -> p.getRules().forEach(r -> compiledRules.add(p.getName() + "." + r.getName())));
    Set<String> sourceRules = new TreeSet<>(checked.ruleNames());
    if (!compiledRules.equals(sourceRules)) {
      Set<String> extra = new TreeSet<>(compiledRules);
      extra.removeAll(sourceRules);
      Set<String> missing = new TreeSet<>(sourceRules);
      missing.removeAll(compiledRules);
      throw new RuleArtifactException("the compiled rules are not those of the sources (compiled only: " + extra
          + ", sources only: " + missing + ")");
    }
    return packages;
  }

  /**
   * Every MVEL expression the packages evaluate (constraints, {@code from} sources, accumulate
   * arguments, binding readers, {@code salience} and {@code enabled} attributes, timers) must be a condition of the sources, or a sub-expression of one,
   * that the sandbox checked (compared {@linkplain RuleSandbox#normalize normalized}); and the
   * sources' conditions must pass the sandbox. MVEL is data in the packages, not bytecode, so
   * this is what keeps it inside the sandbox.
   */
  private static void checkExpressions(Set<String> expressions, RuleSandbox.Prepared prepared)
      throws RuleArtifactException {
    if (!prepared.errors().isEmpty()) {
      throw new RuleArtifactException("the sources break the sandbox: " + prepared.errors().get(0));
    }
    for (String e : expressions) {
      if (!prepared.checked().contains(RuleSandbox.normalize(e))) {
        String shown = RuleSandbox.normalize(e);
        throw new RuleArtifactException("the compiled rules evaluate '" + (shown.length() > 120
            ? shown.substring(0, 120) + "..." : shown) + "', which is not a condition the sandbox checked");
      }
    }
  }

  /** Deserializes with the Drools stream and notes the text of every MVEL expression read. */
  private static final class ExpressionCollectingStream extends DroolsObjectInputStream {
    private final Set<String> expressions;

    ExpressionCollectingStream(InputStream in, ClassLoader loader, Set<String> expressions) throws IOException {
      super(in, loader);
      this.expressions = expressions;
      enableResolveObject(true);
    }

    @Override
    protected Object resolveObject(Object obj) throws IOException {
      if (obj instanceof org.drools.mvel.expr.MVELCompilationUnit unit) {
        note(unit.getExpression());
      } else if (obj instanceof org.drools.mvel.MVELConstraint c) {
        note(c.getExpression());
      } else if (obj instanceof org.drools.mvel.extractors.MVELClassFieldReader r) {
        note(r.getExpression()); // bindings and accessors written as expressions
      }
      return obj;
    }

    private void note(String expression) {
      if (expression != null && !expression.isBlank()) {
        expressions.add(expression);
      }
    }
  }

  private static void checkBytecode(InternalKnowledgePackage p) throws RuleArtifactException {
    DialectRuntimeData data = p.getDialectRuntimeRegistry() == null ? null
        : p.getDialectRuntimeRegistry().getDialectData("java");
    if (data == null) {
      return;
    }
    if (!(data instanceof JavaDialectRuntimeData java)) {
      throw new RuleArtifactException("package " + p.getName() + " has unexpected Java dialect data "
          + data.getClass().getName());
    }
    // The classes the package itself defines (consequences, invokers, declared types) may name each other.
    Set<String> own = new TreeSet<>();
    for (String name : java.getStore().keySet()) {
      own.add(internalName(name));
    }
    for (Map.Entry<String, byte[]> e : java.getStore().entrySet()) {
      Set<String> refs;
      try {
        refs = ClassReferences.of(e.getValue());
      } catch (IOException ex) {
        throw new RuleArtifactException("compiled class " + e.getKey() + " is malformed: " + ex.getMessage());
      }
      for (String ref : refs) {
        if (!allowed(ref, own)) {
          throw new RuleArtifactException("compiled class " + internalName(e.getKey()).replace('/', '.')
              + " refers to " + ref.replace('/', '.') + ", which rules may not use");
        }
      }
    }
  }

  /** {@code a/b/C.class} or {@code a.b.C} as {@code a/b/C}. */
  private static String internalName(String storeKey) {
    String n = storeKey.endsWith(".class") ? storeKey.substring(0, storeKey.length() - 6) : storeKey;
    return n.replace('.', '/');
  }

  /** Whether compiled rule code defining the classes {@code own} (internal names) may name {@code ref}. */
  static boolean allowed(String ref, Set<String> own) {
    if (own.contains(ref)) {
      return true;
    }
    if (ALLOWED_CLASSES.contains(ref)) {
      return true;
    }
    for (String d : DENIED_PREFIXES) {
      if (ref.startsWith(d)) {
        return false;
      }
    }
    for (String a : ALLOWED_PREFIXES) {
      if (ref.startsWith(a)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] inflate(byte[] compiled) throws RuleArtifactException {
    if (compiled == null || compiled.length == 0) {
      throw new RuleArtifactException("no compiled rules");
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compiled))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(compiled.length * 4);
      byte[] buf = new byte[16 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > MAX_INFLATED) {
          throw new RuleArtifactException("the compiled rules inflate to more than " + MAX_INFLATED + " bytes");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new RuleArtifactException("the compiled rules are not gzip data: " + e.getMessage());
    }
  }

  /**
   * What compiled rules depend on: the Drools version and the bytecode of the fact model,
   * {@code Actions} and the sandbox's budget. Compiled rules load only where this is the same.
   */
  static String runtimeFingerprint() {
    return Fingerprint.VALUE;
  }

  private static final class Fingerprint {
    static final String VALUE = compute();

    private static String compute() {
      try {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        String drools = droolsVersion();
        sha.update(drools.getBytes(StandardCharsets.UTF_8));
        Set<Class<?>> classes = new java.util.TreeSet<>(Comparator.comparing(Class::getName));
        classes.addAll(RuleSandbox.factModel());
        classes.add(Actions.class);
        classes.add(Action.class);
        classes.add(Budget.class);
        for (Class<?> c : classes) {
          sha.update(c.getName().getBytes(StandardCharsets.UTF_8));
          try (InputStream in = c.getResourceAsStream("/" + c.getName().replace('.', '/') + ".class")) {
            if (in != null) {
              sha.update(in.readAllBytes());
            }
          }
        }
        return "drools-" + drools + "/" + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
      } catch (NoSuchAlgorithmException | IOException e) {
        throw new IllegalStateException("cannot fingerprint the rule runtime", e);
      }
    }

    private static String droolsVersion() {
      try (InputStream in = CompiledRules.class.getClassLoader()
          .getResourceAsStream("META-INF/maven/org.drools/drools-core/pom.properties")) {
        if (in == null) {
          return "unknown";
        }
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "unknown");
      } catch (IOException e) {
        return "unknown";
      }
    }
  }
}
