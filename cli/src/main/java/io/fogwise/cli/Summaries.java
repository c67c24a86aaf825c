package io.fogwise.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;

/**
 * The command lists of {@code --help}: each subcommand with the first whole sentence of its
 * description, wrapped, never a description line cut where its source line happened to end.
 */
final class Summaries {
  /** Width of the help text. */
  static final int WIDTH = 100;

  private Summaries() {}

  /** Installs the list on {@code cl} and every subcommand below it. */
  static void install(CommandLine cl) {
    cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Summaries::commandList);
    cl.setUsageHelpWidth(WIDTH);
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (sub.getParent() == cl) {
        install(sub);
      }
    }
  }

  static String commandList(Help help) {
    Map<String, Help> subs = help.subcommands();
    if (subs.isEmpty()) {
      return "";
    }
    List<String[]> rows = new ArrayList<>();
    java.util.Set<CommandLine.Model.CommandSpec> seen = new java.util.HashSet<>();
    int nameWidth = 0;
    for (Help h : subs.values()) {
      CommandLine.Model.CommandSpec spec = h.commandSpec();
      if (!seen.add(spec) || spec.usageMessage().hidden()) {
        continue; // an alias is listed with its command
      }
      String names = String.join(", ", spec.names());
      nameWidth = Math.max(nameWidth, names.length());
      String[] text = spec.usageMessage().header().length > 0 ? spec.usageMessage().header()
          : spec.usageMessage().description();
      rows.add(new String[] {names, firstSentence(String.join(" ", text))});
    }
    int indent = 2 + Math.min(nameWidth, 24) + 2;
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      String head = "  " + row[0];
      List<String> lines = wrap(row[1], WIDTH - indent);
      if (head.length() + 2 > indent) {
        sb.append(head).append(System.lineSeparator());
        head = "";
      }
      for (String line : lines) {
        sb.append(String.format("%-" + indent + "s", head)).append(line).append(System.lineSeparator());
        head = "";
      }
      if (lines.isEmpty()) {
        sb.append(head).append(System.lineSeparator());
      }
    }
    return sb.toString();
  }

  /** The text up to and including its first full stop outside brackets, or all of it. */
  static String firstSentence(String text) {
    String t = text.replaceAll("\\s+", " ").strip();
    int depth = 0;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '(' || c == '[') {
        depth++;
      } else if ((c == ')' || c == ']') && depth > 0) {
        depth--;
      } else if (c == '.' && depth == 0 && (i + 1 == t.length() || t.charAt(i + 1) == ' ')
          && !abbreviation(t, i)) {
        return t.substring(0, i + 1);
      }
    }
    return t;
  }

  private static boolean abbreviation(String t, int dot) {
    return t.startsWith("e.g", dot - 3) || t.startsWith("i.e", dot - 3) || t.startsWith("etc", dot - 3);
  }

  static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (word.isEmpty()) {
        continue;
      }
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() == 0 ? "" : " ").append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
