package io.fogwise.policy;

import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.drools.drl.ast.descr.PackageDescr;
import org.drools.drl.ast.descr.RuleDescr;
import org.drools.drl.parser.DrlParser;
import org.drools.drl.parser.DroolsParserException;

/**
 * What a gateway runs: the global bundle (or the built-in packs as {@code global v0}) combined
 * with the gateway's own bundle. A gateway-scope rule replaces a global rule of the same name,
 * a gateway-scope file replaces a global file of the same name, and parameters merge key by
 * key with the gateway scope winning.
 *
 * @param globalVersion the global version (0 = built-in packs)
 * @param gatewayScope the gateway's scope, e.g. {@code gw.gw-1}
 * @param gatewayVersion the gateway-scope version (0 = none)
 * @param sources the rule files to compile
 * @param parameters merged parameter values
 */
public record EffectivePolicy(long globalVersion, String gatewayScope, long gatewayVersion, List<RuleSource> sources,
    Map<String, String> parameters) {

  /** {@code global v3 + gw.gw-1 v1}, or {@code global v3}. */
  public String label() {
    return "global v" + globalVersion + (gatewayVersion > 0 ? " + " + gatewayScope + " v" + gatewayVersion : "");
  }

  /**
   * Combines the bundles.
   *
   * @param global the live global bundle, or null for the built-in packs
   * @param gatewayScope {@code gw.<gatewayId>}
   * @param gateway the live gateway-scope bundle, or null
   */
  public static EffectivePolicy compose(PolicyBundle global, String gatewayScope, PolicyBundle gateway) {
    return compose(RuleSet.builtInPacks(), global, gatewayScope, gateway);
  }

  /** As {@link #compose(PolicyBundle, String, PolicyBundle)}, with {@code builtIn} as {@code global v0}. */
  public static EffectivePolicy compose(List<RuleSource> builtIn, PolicyBundle global, String gatewayScope,
      PolicyBundle gateway) {
    Map<String, String> files = new LinkedHashMap<>();
    if (global == null) {
      builtIn.forEach(s -> files.put(s.fileName(), s.drl()));
    } else {
      global.sources().forEach(f -> files.put(f.fileName(), f.drl()));
    }
    Map<String, String> params = new TreeMap<>();
    if (global != null) {
      params.putAll(global.parameterValues());
    }
    if (gateway != null) {
      Set<String> overridden = new HashSet<>();
      for (PolicyBundle.RuleFile f : gateway.sources()) {
        overridden.addAll(ruleNames(f.drl()));
      }
      for (Map.Entry<String, String> e : files.entrySet()) {
        e.setValue(without(e.getValue(), overridden));
      }
      gateway.sources().forEach(f -> files.put(f.fileName(), f.drl()));
      params.putAll(gateway.parameterValues());
    }
    List<RuleSource> sources = new ArrayList<>();
    files.forEach((name, drl) -> sources.add(new RuleSource(name, drl)));
    return new EffectivePolicy(global == null ? 0 : global.version(), gatewayScope,
        gateway == null ? 0 : gateway.version(), List.copyOf(sources), Map.copyOf(params));
  }

  private static Set<String> ruleNames(String drl) {
    Set<String> names = new HashSet<>();
    PackageDescr pkg = parse(drl);
    if (pkg != null) {
      pkg.getRules().forEach(r -> names.add(r.getName()));
    }
    return names;
  }

  /** {@code drl} with the named rules blanked out, keeping every other character's line and column. */
  static String without(String drl, Set<String> names) {
    if (names.isEmpty()) {
      return drl;
    }
    PackageDescr pkg = parse(drl);
    if (pkg == null) {
      return drl; // the compiler will report it
    }
    StringBuilder sb = new StringBuilder(drl);
    for (RuleDescr r : pkg.getRules()) {
      if (names.contains(r.getName()) && r.getStartCharacter() >= 0 && r.getEndCharacter() > r.getStartCharacter()) {
        int end = Math.min(sb.length(), r.getEndCharacter());
        for (int i = r.getStartCharacter(); i < end; i++) {
          if (sb.charAt(i) != '\n') {
            sb.setCharAt(i, ' ');
          }
        }
      }
    }
    return sb.toString();
  }

  private static PackageDescr parse(String drl) {
    DrlParser parser = new DrlParser();
    try {
      PackageDescr pkg = parser.parse(false, drl);
      return parser.hasErrors() ? null : pkg;
    } catch (DroolsParserException e) {
      return null;
    }
  }
}
