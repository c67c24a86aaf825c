package io.fogwise.rules.sandbox;

import io.fogwise.rules.Actions;
import io.fogwise.rules.model.Device;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a rule may call. Method names are allowed by name, whatever the receiver: the receivers a
 * rule can reach are facts, the values their getters return and strings, because nothing else
 * can be named or created (see {@link RhsChecker}).
 */
final class AllowList {
  static final String MODEL_PACKAGE = Device.class.getPackageName();

  /** Methods of {@link Actions}, read by reflection so new actions are allowed without edits here. */
  static final Set<String> ACTIONS = publicMethodNames(Actions.class, false);

  /** Never allowed, whatever declares them: reflection, threads, processes, class loading. */
  static final Set<String> DENIED =
      Set.of("getClass", "forName", "getDeclaredMethod", "getDeclaredMethods", "getMethod", "getMethods",
          "getDeclaredField", "getDeclaredFields", "getField", "getFields", "getDeclaredConstructor",
          "getDeclaredConstructors", "getConstructor", "getConstructors", "newInstance", "invoke",
          "setAccessible", "getClassLoader", "getContextClassLoader", "loadClass", "wait", "notify",
          "notifyAll", "exec", "exit", "halt", "getRuntime", "load", "loadLibrary", "start", "run",
          "interrupt", "currentThread", "getDeclaringClass", "finalize", "clone");

  /** Read-only methods of strings, boxed numbers, enums, maps and sets that facts return. */
  static final Set<String> VALUE_METHODS =
      Set.of("equals", "hashCode", "toString", "length", "isEmpty", "isBlank", "startsWith", "endsWith",
          "contains", "indexOf", "lastIndexOf", "charAt", "substring", "toLowerCase", "toUpperCase", "trim",
          "strip", "compareTo", "compareToIgnoreCase", "equalsIgnoreCase", "intValue", "longValue",
          "doubleValue", "floatValue", "booleanValue", "name", "ordinal", "append", "size", "get",
          "getOrDefault", "containsKey", "containsValue", "keySet", "values", "entrySet", "getKey",
          "getValue");

  /** Public, non-mutating method names of the fact model (getters and queries such as {@code excludes}). */
  static final Set<String> MODEL_METHODS = modelMethodNames();

  /** Static methods rules may call, by class. */
  private static final Map<String, Set<String>> STATIC_METHODS = staticMethods();

  private AllowList() {}

  static boolean instanceMethod(String name) {
    return !DENIED.contains(name) && (VALUE_METHODS.contains(name) || MODEL_METHODS.contains(name));
  }

  /**
   * Whether {@code type} may be named as the receiver of a static call or static field read
   * (enum constants of any enum, e.g. {@code Layer.EDGE}).
   */
  static boolean staticType(Class<?> type) {
    return isModel(type) || type.isEnum() || STATIC_METHODS.containsKey(type.getName());
  }

  static boolean staticMethod(Class<?> type, String name) {
    if (DENIED.contains(name)) {
      return false;
    }
    if (isModel(type)) {
      return Arrays.stream(type.getMethods())
          .anyMatch(m -> Modifier.isStatic(m.getModifiers()) && m.getName().equals(name)
              && !name.startsWith("set"));
    }
    if (type.isEnum() && (name.equals("valueOf") || name.equals("values"))) {
      return true;
    }
    Set<String> names = STATIC_METHODS.get(type.getName());
    return names != null && (names.contains(name) || names.contains("*"));
  }

  /** Types a rule may create with {@code new}. */
  static boolean creatable(Class<?> type) {
    return isModel(type) || type == String.class || type == StringBuilder.class;
  }

  static boolean isModel(Class<?> type) {
    Class<?> top = type;
    while (top.getEnclosingClass() != null) {
      top = top.getEnclosingClass();
    }
    return top.getPackageName().equals(MODEL_PACKAGE) && Modifier.isPublic(type.getModifiers());
  }

  private static Map<String, Set<String>> staticMethods() {
    Set<String> numbers = Set.of("valueOf", "parseLong", "parseInt", "parseDouble", "parseFloat", "toString",
        "compare", "min", "max", "sum", "signum", "isNaN", "isInfinite", "isFinite");
    Map<String, Set<String>> m = new HashMap<>();
    m.put("java.lang.Math", Set.of("*"));
    m.put("java.lang.String", Set.of("format", "valueOf", "join"));
    for (Class<?> c : new Class<?>[] {Long.class, Integer.class, Double.class, Float.class, Short.class, Byte.class}) {
      m.put(c.getName(), numbers);
    }
    m.put("java.lang.Boolean", Set.of("valueOf", "parseBoolean", "toString", "compare"));
    m.put("java.lang.Character", Set.of("isDigit", "isLetter", "isLetterOrDigit", "isWhitespace", "toUpperCase",
        "toLowerCase", "valueOf", "toString"));
    m.put("java.util.Objects", Set.of("equals", "hash", "hashCode", "toString", "isNull", "nonNull",
        "requireNonNullElse"));
    return Map.copyOf(m);
  }

  private static Set<String> modelMethodNames() {
    Set<String> names = new TreeSet<>();
    for (Class<?> c : modelClasses()) {
      names.addAll(publicMethodNames(c, true));
    }
    names.removeIf(n -> n.startsWith("set") || DENIED.contains(n));
    return Set.copyOf(names);
  }

  private static Set<String> publicMethodNames(Class<?> type, boolean declaredOnly) {
    Set<String> names = new HashSet<>();
    for (Method m : declaredOnly ? type.getDeclaredMethods() : type.getMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()) {
        names.add(m.getName());
      }
    }
    return names;
  }

  /** Public classes of the model package, found where {@link Device} was loaded from (directory or jar). */
  static Set<Class<?>> modelClasses() {
    Set<Class<?>> out = new HashSet<>();
    out.add(Device.class);
    CodeSource cs = Device.class.getProtectionDomain().getCodeSource();
    if (cs == null) {
      return out;
    }
    String dir = MODEL_PACKAGE.replace('.', '/');
    try {
      URI uri = cs.getLocation().toURI();
      Path root = Path.of(uri);
      if (Files.isDirectory(root)) {
        collect(root.resolve(dir), out);
      } else {
        URI jar = URI.create("jar:" + uri);
        FileSystem fs;
        boolean opened = false;
        try {
          fs = FileSystems.getFileSystem(jar);
        } catch (FileSystemNotFoundException e) {
          fs = FileSystems.newFileSystem(jar, Map.of());
          opened = true;
        }
        try {
          collect(fs.getPath(dir), out);
        } finally {
          if (opened) {
            fs.close();
          }
        }
      }
    } catch (IOException | URISyntaxException | RuntimeException e) {
      // Fall back to the classes named here: the sandbox then allows fewer methods, never more.
    }
    return out;
  }

  private static void collect(Path dir, Set<Class<?>> out) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String file = f.getFileName().toString();
        if (file.endsWith(".class")) {
          String name = MODEL_PACKAGE + "." + file.substring(0, file.length() - ".class".length());
          try {
            Class<?> c = Class.forName(name, false, Device.class.getClassLoader());
            if (Modifier.isPublic(c.getModifiers())) {
              out.add(c);
            }
          } catch (ClassNotFoundException | LinkageError e) {
            // not loadable: not something a rule can use either
          }
        }
      }
    }
  }
}
