package io.fogwise.rules.sandbox;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves type names the way a rule file sees them: its imports, its package, types declared
 * in the rule set, then {@code java.lang}. Classes are looked up without being initialised.
 */
final class Types {
  /**
   * A type at the start of a dotted name.
   *
   * @param type the class, or null for a type declared in DRL
   * @param declared whether it is a DRL-declared type
   * @param consumed how many leading names of the chain name the type
   */
  record Resolved(Class<?> type, boolean declared, int consumed) {}

  private final Map<String, String> imports;
  private final List<String> wildcardPackages;
  private final String drlPackage;
  private final Set<String> declaredTypes;
  private final ClassLoader loader = Types.class.getClassLoader();

  Types(Map<String, String> imports, List<String> wildcardPackages, String drlPackage, Set<String> declaredTypes) {
    this.imports = imports;
    this.wildcardPackages = wildcardPackages;
    this.drlPackage = drlPackage;
    this.declaredTypes = declaredTypes;
  }

  /** The type named by the shortest prefix of {@code chain} (then its nested types), or null. */
  Resolved resolve(List<String> chain) {
    for (int i = 1; i <= chain.size(); i++) {
      Resolved r;
      if (i == 1) {
        String simple = chain.get(0);
        if (declaredTypes.contains(simple) && !imports.containsKey(simple)) {
          return new Resolved(null, true, 1);
        }
        Class<?> c = simple(simple);
        r = c == null ? null : new Resolved(c, false, 1);
      } else {
        String fqn = String.join(".", chain.subList(0, i));
        if (declaredTypes.contains(fqn)) {
          return new Resolved(null, true, i);
        }
        Class<?> c = load(fqn);
        r = c == null ? null : new Resolved(c, false, i);
      }
      if (r != null) {
        Class<?> c = r.type();
        int n = i;
        while (n < chain.size()) {
          Class<?> nested = load(c.getName() + "$" + chain.get(n));
          if (nested == null) {
            break;
          }
          c = nested;
          n++;
        }
        return new Resolved(c, false, n);
      }
    }
    return null;
  }

  private Class<?> simple(String name) {
    String imported = imports.get(name);
    if (imported != null) {
      Class<?> c = load(imported);
      return c != null ? c : loadNested(imported);
    }
    if (!drlPackage.isEmpty()) {
      Class<?> c = load(drlPackage + "." + name);
      if (c != null) {
        return c;
      }
    }
    for (String p : wildcardPackages) {
      Class<?> c = load(p + "." + name);
      if (c == null) {
        c = load(p + "$" + name);
      }
      if (c != null) {
        return c;
      }
    }
    return load("java.lang." + name);
  }

  /** {@code a.b.Outer.Inner} as {@code a.b.Outer$Inner}. */
  private Class<?> loadNested(String dotted) {
    String name = dotted;
    for (int i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.')) {
      name = name.substring(0, i) + "$" + name.substring(i + 1);
      Class<?> c = load(name);
      if (c != null) {
        return c;
      }
    }
    return null;
  }

  private Class<?> load(String name) {
    if (name.isEmpty() || !name.matches("[\\p{javaJavaIdentifierPart}.$]+")) {
      return null;
    }
    try {
      return Class.forName(name, false, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
  }
}
