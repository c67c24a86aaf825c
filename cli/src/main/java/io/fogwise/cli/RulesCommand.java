package io.fogwise.cli;

import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.source.RuleError;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fogwise rules check}: compiles rule files as one rule set, sandbox included, the way a
 * gateway would before applying them. Exit codes: 0 the set compiles, 1 errors (each printed as
 * {@code file:line:col: message}), 2 unreadable input.
 */
@Command(name = "rules", mixinStandardHelpOptions = true,
    description = "Work with rule files (DRL).",
    subcommands = {RulesCommand.Check.class, RulesCommand.Test.class, RulesKeygenCommand.class,
        RulesPushCommand.class, RulesStatusCommand.class, RulesHistoryCommand.class, RulesRollbackCommand.class,
        RulesRepairCommand.class, RulesDiffCommand.class, RulesApproveCommand.class})
final class RulesCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Compile FILEs (.drl files, or directories of them) as one rule set, with the rule sandbox:",
          "a right-hand side may call only actions.* and read facts.",
          "Prints file:line:col: message per error. Exit codes: 0 ok, 1 errors, 2 unreadable input."})
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Rule files or directories of .drl files.")
    List<Path> files;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        return check(out, err);
      } finally {
        out.flush();
        err.flush();
      }
    }

    private int check(PrintWriter out, PrintWriter err) {
      // rule file name (as the compiler reports it) -> the path as the user gave it
      Map<String, Path> given = new LinkedHashMap<>();
      List<RuleSource> sources = new ArrayList<>();
      for (Path p : files) {
        List<Path> drls;
        try {
          drls = expand(p);
        } catch (IOException e) {
          err.println("fogwise rules check: cannot read " + p + ": " + e.getMessage());
          return 2;
        }
        if (drls.isEmpty()) {
          err.println("fogwise rules check: " + p + (Files.isDirectory(p) ? " holds no .drl files" : " is not a .drl file"));
          return 2;
        }
        for (Path f : drls) {
          String name = f.getFileName().toString();
          Path other = given.putIfAbsent(name, f);
          if (other != null) {
            err.println("fogwise rules check: " + f + " and " + other + " have the same name; a rule set needs distinct"
                + " file names");
            return 2;
          }
          try {
            sources.add(new RuleSource(name, Files.readString(f, StandardCharsets.UTF_8)));
          } catch (IOException e) {
            err.println("fogwise rules check: cannot read " + f + ": " + e.getMessage());
            return 2;
          } catch (IllegalArgumentException e) {
            err.println("fogwise rules check: " + f + ": " + e.getMessage());
            return 2;
          }
        }
      }
      try {
        RuleSet set = RuleSet.compile("rules check", sources);
        out.println("ok: " + set.ruleNames().size() + " rules in " + files(sources.size()));
        return 0;
      } catch (RuleCompilationException e) {
        for (RuleError r : e.errors()) {
          Path path = given.get(r.file());
          err.println((path == null ? r.file() : path.toString()) + ":" + r.line() + ":" + r.column() + ": " + r.message());
        }
        int n = e.errors().size();
        err.println(n + (n == 1 ? " error" : " errors") + " in " + files(sources.size()));
        return 1;
      }
    }

    private static String files(int n) {
      return n + (n == 1 ? " file" : " files");
    }

    static List<Path> expand(Path p) throws IOException {
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          return s.filter(f -> f.getFileName().toString().endsWith(".drl") && Files.isRegularFile(f)).sorted().toList();
        }
      }
      if (!Files.exists(p)) {
        throw new IOException("no such file");
      }
      return p.getFileName().toString().endsWith(".drl") ? List.of(p) : List.of();
    }
  }

  @Command(name = "test", mixinStandardHelpOptions = true,
      description = {"Run scenario files (.yaml, or directories of them) against the built-in packs plus your rules.",
          "Prints a pass/fail table and, for each failure, expected and actual actions side by side.",
          "Exit codes: 0 all passed, 1 a scenario failed, 2 unreadable scenarios or rules that do not compile."})
  static final class Test implements Callable<Integer> {
    private static final String ENGINE_LOG_LEVEL = "org.slf4j.simpleLogger.log.io.fogwise.gateway.core";
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Scenario files or directories of them.")
    List<Path> scenarios;

    @picocli.CommandLine.Option(names = "--rules", paramLabel = "FILE",
        description = "Rule files or directories added to the built-in packs (a file named like a pack replaces it).")
    List<Path> rules = new ArrayList<>();

    @picocli.CommandLine.Option(names = "--no-builtin", description = "Do not include the built-in packs.")
    boolean noBuiltin;

    @picocli.CommandLine.Option(names = "--junit", paramLabel = "FILE", description = "Also write JUnit XML results here.")
    Path junit;

    @Override
    public Integer call() throws Exception {
      // scenarios run the gateway's engine, which logs every decision at INFO for an operator;
      // here the pass/fail table is the output (a user's -D setting still wins)
      if (System.getProperty(ENGINE_LOG_LEVEL) == null) {
        System.setProperty(ENGINE_LOG_LEVEL, "warn");
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        return test(out, err);
      } finally {
        out.flush();
        err.flush();
      }
    }

    private int test(PrintWriter out, PrintWriter err) throws Exception {
      Map<String, RuleSource> sources = new LinkedHashMap<>();
      if (!noBuiltin) {
        RuleSet.builtInPacks().forEach(s -> sources.put(s.fileName(), s));
      }
      for (Path p : rules) {
        List<Path> drls;
        try {
          drls = Check.expand(p);
        } catch (IOException e) {
          err.println("fogwise rules test: cannot read " + p + ": " + e.getMessage());
          return 2;
        }
        for (Path f : drls) {
          sources.put(f.getFileName().toString(), new RuleSource(f.getFileName().toString(),
              Files.readString(f, StandardCharsets.UTF_8)));
        }
      }
      if (sources.isEmpty()) {
        err.println("fogwise rules test: no rules to test (--no-builtin without --rules)");
        return 2;
      }
      RuleSet set;
      try {
        set = RuleSet.compile("rules test", List.copyOf(sources.values()));
      } catch (RuleCompilationException e) {
        e.errors().forEach(r -> err.println(r));
        err.println("fogwise rules test: the rules do not compile; no scenario was run");
        return 2;
      }
      List<io.fogwise.gateway.core.scenario.Scenario> loaded = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (Path dir : scenarios) {
        List<Path> found;
        try {
          found = io.fogwise.gateway.core.scenario.ScenarioFiles.find(dir);
        } catch (IOException e) {
          problems.add(dir + ": cannot read: " + e.getMessage());
          continue;
        }
        if (found.isEmpty()) {
          problems.add(dir + ": no scenario files (.yaml, .yml)");
        }
        for (Path f : found) {
          try {
            loaded.add(io.fogwise.gateway.core.scenario.ScenarioFiles.load(f));
          } catch (io.fogwise.gateway.core.scenario.ScenarioFileException e) {
            problems.add(e.getMessage());
          }
        }
      }
      if (!problems.isEmpty()) {
        problems.forEach(err::println);
        err.println("fogwise rules test: " + problems.size() + " unreadable scenario file(s); no scenario was run");
        return 2;
      }
      io.fogwise.gateway.core.scenario.ScenarioRunner runner = new io.fogwise.gateway.core.scenario.ScenarioRunner(set);
      List<io.fogwise.gateway.core.scenario.ScenarioResult> results = new ArrayList<>();
      out.printf("%-6s %-70s %8s  %s%n", "RESULT", "SCENARIO", "TIME", "FILE");
      for (io.fogwise.gateway.core.scenario.Scenario s : loaded) {
        io.fogwise.gateway.core.scenario.ScenarioResult r = runner.run(s);
        results.add(r);
        out.printf("%-6s %-70s %6d ms  %s%n", r.passed() ? "pass" : "FAIL", abbreviate(s.name(), 70), r.wallMillis(),
            s.source());
      }
      long failed = results.stream().filter(r -> !r.passed()).count();
      for (io.fogwise.gateway.core.scenario.ScenarioResult r : results) {
        if (!r.passed()) {
          out.println();
          out.print(r.report());
        }
      }
      out.println();
      out.println((results.size() - failed) + " passed, " + failed + " failed, " + results.size() + " scenarios, "
          + set.ruleNames().size() + " rules");
      if (junit != null) {
        writeJunit(junit, results);
        out.println("JUnit XML written to " + junit);
      }
      return failed == 0 ? 0 : 1;
    }

    private static String abbreviate(String s, int n) {
      return s.length() <= n ? s : s.substring(0, n - 3) + "...";
    }

    private static void writeJunit(Path file, List<io.fogwise.gateway.core.scenario.ScenarioResult> results) throws IOException {
      StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
      long failures = results.stream().filter(r -> !r.passed()).count();
      double total = results.stream().mapToLong(io.fogwise.gateway.core.scenario.ScenarioResult::wallMillis).sum() / 1000.0;
      sb.append(String.format(java.util.Locale.ROOT, "<testsuite name=\"fogwise rules test\" tests=\"%d\" failures=\"%d\""
          + " errors=\"0\" skipped=\"0\" time=\"%.3f\">%n", results.size(), failures, total));
      for (io.fogwise.gateway.core.scenario.ScenarioResult r : results) {
        String source = r.scenario().source() == null ? "" : r.scenario().source();
        sb.append(String.format(java.util.Locale.ROOT, "  <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"",
            xml(source), xml(r.scenario().name()), r.wallMillis() / 1000.0));
        if (r.passed()) {
          sb.append("/>\n");
        } else {
          sb.append(">\n    <failure message=\"").append(xml(r.missing().size() + " missing, " + r.forbidden().size()
              + " forbidden")).append("\">").append(xml(r.report())).append("</failure>\n  </testcase>\n");
        }
      }
      sb.append("</testsuite>\n");
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private static String xml(String s) {
      return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
  }
}
