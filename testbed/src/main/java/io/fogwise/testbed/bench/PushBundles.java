package io.fogwise.testbed.bench;

import io.fogwise.policy.PolicyBundle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The policy the push benchmark sends: 20 rules over Device, Service and LatencyReading facts
 * in four files of five. Every threshold depends on the push number, so each push compiles text
 * the gateway has never seen (no cache can make a push cheaper than a real one).
 */
final class PushBundles {
  static final int FILES = 4;
  static final int RULES_PER_FILE = 5;
  static final int RULES = FILES * RULES_PER_FILE;

  private PushBundles() {}

  /** The four files of push {@code n}. */
  static List<PolicyBundle.RuleFile> bundle(long n) {
    List<PolicyBundle.RuleFile> files = new ArrayList<>();
    files.add(hot(n));
    files.add(load(n));
    files.add(battery(n));
    files.add(latency(n));
    return files;
  }

  /**
   * Push {@code n}'s version of the first file only: as a gateway-scope bundle it replaces that
   * file of the global bundle by name, so the gateway still compiles 20 rules.
   */
  static PolicyBundle.RuleFile firstFile(long n) {
    return hot(n);
  }

  /** A fraction in [0, 1) that differs for every push number below a million. */
  private static String jitter(long n, int rule) {
    return String.format(Locale.ROOT, "%.6f", ((n * 7919 + rule) % 1_000_000) / 1_000_000.0);
  }

  private static PolicyBundle.RuleFile hot(long n) {
    StringBuilder drl = header("bench.hot", "io.fogwise.rules.model.Device");
    for (int i = 0; i < RULES_PER_FILE; i++) {
      String t = (60 + 5 * i) + jitter(n, i).substring(1);
      drl.append("rule \"Device hotter than ").append(t).append(" C raises alert ").append(i).append("\"\n")
          .append("when\n")
          .append("    $d : Device( temperatureC != null, temperatureC > ").append(t).append(" )\n")
          .append("then\n")
          .append("    actions.alert(\"device \" + $d.getId() + \" is above ").append(t).append(" C\");\n")
          .append("end\n\n");
    }
    return new PolicyBundle.RuleFile("bench-hot.drl", drl.toString());
  }

  private static PolicyBundle.RuleFile load(long n) {
    StringBuilder drl = header("bench.load", "io.fogwise.protocol.Layer", "io.fogwise.rules.model.Device",
        "io.fogwise.rules.model.DeviceState");
    String[] layers = {"EDGE", "FOG", "EDGE", "FOG", "EDGE"};
    for (int i = 0; i < RULES_PER_FILE; i++) {
      String t = "0." + (80 + 3 * i) + jitter(n, 10 + i).substring(2, 5);
      drl.append("rule \"Overloaded ").append(layers[i]).append(" device is quarantined ").append(i).append("\"\n")
          .append("when\n")
          .append("    $d : Device( state == DeviceState.ALIVE, layer == Layer.").append(layers[i])
          .append(", quarantined == false, cpuLoad != null, cpuLoad > ").append(t).append(" )\n")
          .append("then\n")
          .append("    actions.quarantine($d, \"cpu load \" + $d.getCpuLoad() + \" above ").append(t).append("\");\n")
          .append("end\n\n");
    }
    return new PolicyBundle.RuleFile("bench-load.drl", drl.toString());
  }

  private static PolicyBundle.RuleFile battery(long n) {
    StringBuilder drl = header("bench.battery", "io.fogwise.rules.model.Device", "io.fogwise.rules.model.Service");
    for (int i = 0; i < RULES_PER_FILE; i++) {
      String t = (5 + 2 * i) + jitter(n, 20 + i).substring(1);
      drl.append("rule \"Critical service leaves a device below ").append(t).append(" % battery ").append(i)
          .append("\"\n")
          .append("when\n")
          .append("    $d : Device( batteryPct != null, batteryPct < ").append(t).append(" )\n")
          .append("    $s : Service( critical, layer == $d.layer, excludes($d.id) == false )\n")
          .append("then\n")
          .append("    actions.exclude($s.getName(), $d.getId(), \"battery below ").append(t).append(" %\");\n")
          .append("end\n\n");
    }
    return new PolicyBundle.RuleFile("bench-battery.drl", drl.toString());
  }

  private static PolicyBundle.RuleFile latency(long n) {
    StringBuilder drl = header("bench.latency", "io.fogwise.protocol.Layer", "io.fogwise.rules.model.LatencyReading",
        "io.fogwise.rules.model.Service", "io.fogwise.rules.model.Tick");
    for (int i = 0; i < RULES_PER_FILE; i++) {
      long windowMs = 10_000 + 1000L * i + (n % 997);
      int breaches = 3 + i;
      drl.append("rule \"Slow cloud service moves to the fog after ").append(breaches).append(" breaches in ")
          .append(windowMs).append(" ms\"\n")
          .append("when\n")
          .append("    $t : Tick()\n")
          .append("    $s : Service( latencyObjectiveMs != null, layer == Layer.CLOUD )\n")
          .append("    $n : Number( intValue >= ").append(breaches).append(" ) from accumulate(\n")
          .append("        LatencyReading( service == $s.name, p99Micros > $s.latencyObjectiveMs * 1000,\n")
          .append("                        atMillis > $t.nowMillis - ").append(windowMs).append(" ),\n")
          .append("        count(1) )\n")
          .append("then\n")
          .append("    actions.migrate($s.getName(), Layer.FOG, $n + \" slow latency reports\");\n")
          .append("end\n\n");
    }
    return new PolicyBundle.RuleFile("bench-latency.drl", drl.toString());
  }

  private static StringBuilder header(String pkg, String... imports) {
    StringBuilder b = new StringBuilder("package ").append(pkg).append("\n\n");
    for (String i : imports) {
      b.append("import ").append(i).append(";\n");
    }
    return b.append("\nglobal io.fogwise.rules.Actions actions;\n\n");
  }
}
