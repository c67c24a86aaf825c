package io.fogwise.cli;

import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.host.RuleError;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.host.RuleSource;
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
    subcommands = {RulesCommand.Check.class})
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

    private static List<Path> expand(Path p) throws IOException {
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
}
