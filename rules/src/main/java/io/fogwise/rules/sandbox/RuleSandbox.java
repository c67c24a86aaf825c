package io.fogwise.rules.sandbox;

import com.github.javaparser.JavaParser;
import com.github.javaparser.ParseResult;
import com.github.javaparser.ParserConfiguration;
import com.github.javaparser.Position;
import com.github.javaparser.Problem;
import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.stmt.BlockStmt;
import com.github.javaparser.ast.stmt.Statement;
import io.fogwise.rules.source.RuleError;
import io.fogwise.rules.source.RuleSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.drools.drl.ast.descr.AbstractClassTypeDeclarationDescr;
import org.drools.drl.ast.descr.AccumulateDescr;
import org.drools.drl.ast.descr.AnnotationDescr;
import org.drools.drl.ast.descr.AttributeDescr;
import org.drools.drl.ast.descr.BaseDescr;
import org.drools.drl.ast.descr.BehaviorDescr;
import org.drools.drl.ast.descr.CollectDescr;
import org.drools.drl.ast.descr.ConditionalBranchDescr;
import org.drools.drl.ast.descr.ConditionalElementDescr;
import org.drools.drl.ast.descr.EnumDeclarationDescr;
import org.drools.drl.ast.descr.EnumLiteralDescr;
import org.drools.drl.ast.descr.EvalDescr;
import org.drools.drl.ast.descr.ExprConstraintDescr;
import org.drools.drl.ast.descr.FromDescr;
import org.drools.drl.ast.descr.FunctionDescr;
import org.drools.drl.ast.descr.FunctionImportDescr;
import org.drools.drl.ast.descr.GlobalDescr;
import org.drools.drl.ast.descr.ImportDescr;
import org.drools.drl.ast.descr.NamedConsequenceDescr;
import org.drools.drl.ast.descr.PackageDescr;
import org.drools.drl.ast.descr.PatternDescr;
import org.drools.drl.ast.descr.RuleDescr;
import org.drools.drl.ast.descr.QualifiedName;
import org.drools.drl.ast.descr.TypeDeclarationDescr;
import org.drools.drl.ast.descr.TypeFieldDescr;
import org.drools.drl.ast.descr.WindowDeclarationDescr;
import org.drools.drl.parser.DrlParser;
import org.drools.drl.parser.DroolsError;
import org.drools.drl.parser.DroolsParserException;
import org.drools.drl.parser.ParserError;
import org.drools.mvel.parser.DrlxParser;
import org.drools.mvel.parser.ast.expr.DrlxExpression;

/**
 * Checks rule files before they are compiled: a rule's right-hand side may call only
 * {@code actions.*} and read facts, conditions may only read facts, and a file may not declare
 * functions. The check runs on the parsed rules (Drools' DRL parser for the file, JavaParser for
 * each right-hand side), never on text patterns, and reports each forbidden construct at its exact
 * file, line and column.
 *
 * <p>It also instruments the rules for the wall-time {@link Budget}: every loop body in a
 * right-hand side starts with {@code Budget.check()}, inserted on the same line so compiler
 * line numbers stay those of the author's file.
 */
public final class RuleSandbox {
  /** What is inserted at the top of every loop body. */
  static final String CHECK_CALL = Budget.class.getName() + ".check();";

  private RuleSandbox() {}

  /**
   * The outcome of {@link #prepare}.
   *
   * @param errors every forbidden construct and DRL syntax error, in file order; empty if the
   *     rule set may be compiled
   * @param instrumented the sources to compile (loop bodies check the budget), same names and
   *     order as the input; meaningful only when {@code errors} is empty
   * @param checked every condition expression the sandbox checked, {@linkplain #normalize
   *     normalized}: what compiled rules may evaluate as expressions
   * @param ruleNames package-qualified names of the rules ({@code my.pkg.Rule name})
   */
  public record Prepared(List<RuleError> errors, List<RuleSource> instrumented, Set<String> checked,
      Set<String> ruleNames) {
    public Prepared {
      errors = List.copyOf(errors);
      instrumented = List.copyOf(instrumented);
      checked = Set.copyOf(checked);
      ruleNames = Set.copyOf(ruleNames);
    }
  }

  private static final java.util.regex.Pattern INTEGER = java.util.regex.Pattern.compile("-?\\d+");
  /** Drools' duration syntax: {@code 500}, {@code 500ms}, {@code 2s}, {@code 1h30m}. */
  private static final String DURATION_TEXT = "(?:\\d+|(?:\\d+(?:ms|[dhms]))+)";
  private static final java.util.regex.Pattern DURATION = java.util.regex.Pattern.compile("(?i)" + DURATION_TEXT);
  private static final java.util.regex.Pattern INTERVAL_TIMER =
      java.util.regex.Pattern.compile("(?i)(?:int:)?\\s*" + DURATION_TEXT + "(?:\\s+" + DURATION_TEXT + ")?");
  private static final java.util.regex.Pattern CRON_TIMER = java.util.regex.Pattern.compile("cron:[0-9A-Za-z*/?,#\\-\\s]+");
  /** Drools' default date format, dd-MMM-yyyy, optionally with a time. */
  private static final java.util.regex.Pattern DATE =
      java.util.regex.Pattern.compile("\\d{1,2}-[A-Za-z]{3}-\\d{4}(?:\\s+\\d{1,2}:\\d{2}(?::\\d{2})?)?");
  private static final java.util.regex.Pattern IDENTIFIER = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  /** A number, string, boolean or null literal. */
  private static final java.util.regex.Pattern LITERAL = java.util.regex.Pattern.compile(
      "-?\\d+(?:\\.\\d+)?[lLdDfF]?|\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|true|false|null");

  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("\\b(\\d+(?:\\.\\d+)?)[lLdDfF]?\\b");
  private static final java.util.regex.Pattern BINDING_PREFIX =
      java.util.regex.Pattern.compile("\\$[A-Za-z_][A-Za-z0-9_]*\\.");

  /**
   * How checked expressions are compared with the ones compiled rules evaluate: whitespace only
   * where it separates two words ({@code a*b} and {@code a * b} are the same), and every decimal
   * literal in its shortest form without a type suffix ({@code 7.0079400} and {@code 7.00794},
   * {@code 70} and {@code 70.0} are the same), because the compiler writes literals back that way.
   */
  public static String normalize(String text) {
    java.util.regex.Matcher m = NUMBER.matcher(text.strip());
    StringBuilder numbers = new StringBuilder();
    while (m.find()) {
      String n = new java.math.BigDecimal(m.group(1)).stripTrailingZeros().toPlainString();
      m.appendReplacement(numbers, java.util.regex.Matcher.quoteReplacement(n));
    }
    m.appendTail(numbers);
    StringBuilder out = new StringBuilder(numbers.length());
    boolean pendingSpace = false;
    for (int i = 0; i < numbers.length(); i++) {
      char c = numbers.charAt(i);
      if (Character.isWhitespace(c)) {
        pendingSpace = true;
        continue;
      }
      if (pendingSpace && out.length() > 0 && word(out.charAt(out.length() - 1)) && word(c)) {
        out.append(' ');
      }
      pendingSpace = false;
      out.append(c);
    }
    return out.toString();
  }

  private static boolean word(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$';
  }

  /**
   * Adds {@code condition} and every sub-expression of it, each also without its {@code $binding.}
   * prefixes (the compiler evaluates {@code $s.limit * 1000} as {@code limit * 1000} on
   * {@code $s}): all of it passed the sandbox, node by node.
   */
  private static void addChecked(String condition, Expression parsed, Set<String> checked) {
    checked.add(normalize(condition));
    Text source = new Text(condition);
    for (Expression e : parsed.findAll(Expression.class)) {
      // The node's own text, where the parser kept its position (nodes without one are not
      // added: a compiled expression that needs them is then compiled by the gateway instead).
      String text = e.getRange().map(r -> {
        int from = source.offset(r.begin.line, r.begin.column);
        int to = source.offset(r.end.line, r.end.column) + 1;
        return from < to && to <= condition.length() ? condition.substring(from, to) : null;
      }).orElse(null);
      if (text != null) {
        checked.add(normalize(text));
        checked.add(normalize(BINDING_PREFIX.matcher(text).replaceAll("")));
      }
    }
  }

  /** The public classes of the fact model, as the sandbox sees them. */
  public static java.util.Set<Class<?>> factModel() {
    return AllowList.modelClasses();
  }

  /** Every forbidden construct in {@code sources}, with file, line and column; empty if all are allowed. */
  public static List<RuleError> check(List<RuleSource> sources) {
    return prepare(sources).errors();
  }

  /** Checks {@code sources} as one rule set and instruments them for the wall-time budget. */
  public static Prepared prepare(List<RuleSource> sources) {
    return prepare(sources, true);
  }

  /**
   * Checks everything but the right-hand sides, which are Java and reach a gateway compiled
   * (their bytecode is checked instead); {@code instrumented} is then the sources unchanged.
   * What a gateway runs before it loads compiled rules.
   */
  public static Prepared checkConditions(List<RuleSource> sources) {
    return prepare(sources, false);
  }

  private static Prepared prepare(List<RuleSource> sources, boolean consequences) {
    Objects.requireNonNull(sources, "sources");
    List<RuleError> errors = new ArrayList<>();
    List<PackageDescr> packages = new ArrayList<>();
    Set<String> declared = new HashSet<>();
    for (RuleSource s : sources) {
      PackageDescr pkg = parse(s, errors);
      packages.add(pkg);
      if (pkg != null) {
        for (TypeDeclarationDescr t : pkg.getTypeDeclarations()) {
          declared.add(t.getTypeName());
          if (pkg.getName() != null && !pkg.getName().isEmpty()) {
            declared.add(pkg.getName() + "." + t.getTypeName());
          }
        }
      }
    }
    List<RuleSource> instrumented = new ArrayList<>();
    Set<String> checked = new HashSet<>();
    Set<String> ruleNames = new HashSet<>();
    for (int i = 0; i < sources.size(); i++) {
      RuleSource s = sources.get(i);
      PackageDescr pkg = packages.get(i);
      if (pkg == null) {
        instrumented.add(s);
        continue;
      }
      String drl = new FileCheck(s, pkg, declared, errors, checked, consequences).run();
      instrumented.add(new RuleSource(s.fileName(), drl));
      pkg.getRules().forEach(r -> ruleNames.add(pkg.getName() + "." + r.getName()));
    }
    return new Prepared(errors, instrumented, checked, ruleNames);
  }

  private static PackageDescr parse(RuleSource s, List<RuleError> errors) {
    DrlParser parser = new DrlParser();
    PackageDescr pkg;
    try {
      pkg = parser.parse(false, s.drl());
    } catch (DroolsParserException e) {
      errors.add(new RuleError(s.fileName(), Math.max(0, e.getLineNumber()), e.getColumn() + 1, e.getMessage()));
      return null;
    }
    if (parser.hasErrors() || pkg == null) {
      for (DroolsError e : parser.getErrors()) {
        if (e instanceof ParserError pe) {
          String msg = pe.getMessage().replaceFirst("^\\[ERR \\d+\\] Line \\d+:\\d+ ", "");
          errors.add(new RuleError(s.fileName(), pe.getRow(), pe.getCol() + 1, msg));
        } else {
          errors.add(new RuleError(s.fileName(), 0, 0, e.getMessage()));
        }
      }
      if (parser.getErrors().isEmpty()) {
        errors.add(new RuleError(s.fileName(), 0, 0, "not a rule file"));
      }
      return null;
    }
    return pkg;
  }

  /** Line and column arithmetic on one text; lines and columns are 1-based. */
  static final class Text {
    private final String text;
    private final int[] lineStarts;

    Text(String text) {
      this.text = text;
      List<Integer> starts = new ArrayList<>();
      starts.add(0);
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\n' || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
          starts.add(i + 1);
        }
      }
      lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    String text() {
      return text;
    }

    int offset(int line, int column) {
      int l = Math.max(1, Math.min(line, lineStarts.length));
      return Math.min(text.length(), lineStarts[l - 1] + Math.max(1, column) - 1);
    }

    int line(int offset) {
      int lo = 0;
      int hi = lineStarts.length - 1;
      while (lo < hi) {
        int mid = (lo + hi + 1) >>> 1;
        if (lineStarts[mid] <= offset) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      return lo + 1;
    }

    int column(int offset) {
      return offset - lineStarts[line(offset) - 1] + 1;
    }
  }

  /** Checks and instruments one file. */
  private static final class FileCheck {
    private final RuleSource source;
    private final String drl;
    private final Text text;
    private final PackageDescr pkg;
    private final List<RuleError> errors;
    private final Types types;
    private final Set<String> globals = new HashSet<>();
    private final List<int[]> insertAt = new ArrayList<>(); // {offset, sequence}
    private final List<String> insertText = new ArrayList<>();
    private final Set<String> checked;
    private final Set<String> declared;
    private final boolean consequences;
    private String rule = "";

    FileCheck(RuleSource source, PackageDescr pkg, Set<String> declared, List<RuleError> errors, Set<String> checked,
        boolean consequences) {
      this.checked = checked;
      this.declared = declared;
      this.consequences = consequences;
      this.source = source;
      this.drl = source.drl();
      this.text = new Text(drl);
      this.pkg = pkg;
      this.errors = errors;
      Map<String, String> imports = new HashMap<>();
      List<String> wildcards = new ArrayList<>();
      for (ImportDescr i : pkg.getImports()) {
        String target = i.getTarget().strip();
        if (target.endsWith(".*")) {
          wildcards.add(target.substring(0, target.length() - 2));
        } else {
          imports.put(target.substring(target.lastIndexOf('.') + 1), target);
        }
      }
      this.types = new Types(imports, wildcards, pkg.getName() == null ? "" : pkg.getName(), declared);
      for (GlobalDescr g : pkg.getGlobals()) {
        globals.add(g.getIdentifier());
      }
    }

    String run() {
      for (FunctionDescr f : pkg.getFunctions()) {
        error(f.getLine(), f.getColumn() + 1, "function " + f.getName() + "(): functions are not allowed in policy"
            + " (put the logic in Java, behind Actions or the fact model)");
      }
      for (FunctionImportDescr f : pkg.getFunctionImports()) {
        error(f.getLine(), f.getColumn() + 1, "import function " + f.getTarget() + ": functions are not allowed in policy");
      }
      pkg.getAccumulateImports().forEach(a -> error(a.getLine(), a.getColumn() + 1,
          "import accumulate " + a.getTarget() + ": custom accumulate functions are not allowed in policy"));
      declarations();
      for (AttributeDescr a : pkg.getAttributes()) {
        attribute(a, globals);
      }
      for (RuleDescr r : pkg.getRules()) {
        rule = (r.isQuery() ? "query \"" : "rule \"") + r.getName() + "\": ";
        if (!r.getNamedConsequences().isEmpty()) {
          error(r.getLine(), r.getColumn() + 1, "named consequences (then[...]) are not allowed in policy");
        }
        Set<String> bindings = new HashSet<>(globals);
        if (r.getLhs() != null) {
          collectBindings(r.getLhs(), bindings);
          lhs(r.getLhs(), bindings);
        }
        // after the conditions: salience and enabled expressions may read the rule's bindings
        for (AttributeDescr a : r.getAttributes().values()) {
          if (pkg.getAttributes().stream().noneMatch(p -> p == a)) { // the package's own are checked once, above
            attribute(a, bindings);
          }
        }
        if (!r.isQuery() && consequences) {
          consequence(r, bindings);
        }
      }
      return instrumented();
    }

    /**
     * A rule (or package) attribute. Drools evaluates {@code salience} and {@code enabled} as
     * expressions, so those are checked like conditions (and recorded as checked, for compiled
     * artifacts); every other attribute must be a literal Drools only parses (names, dates,
     * durations, cron text), and attributes the sandbox does not know are refused.
     */
    private void attribute(AttributeDescr a, Set<String> vars) {
      String name = a.getName();
      String value = a.getValue() == null ? "" : a.getValue().strip();
      int line = a.getLine();
      int column = a.getColumn() + 1;
      switch (name) {
        case "dialect" -> {
          if (!"java".equals(value)) {
            error(line, column, "dialect \"" + value + "\" is not allowed in policy; right-hand sides are Java");
          }
        }
        case "salience" -> {
          if (!INTEGER.matcher(value).matches()) {
            attributeExpression(a, name, vars);
          }
        }
        case "enabled" -> {
          if (!value.equals("true") && !value.equals("false")) {
            attributeExpression(a, name, vars);
          }
        }
        case "no-loop", "lock-on-active", "auto-focus" -> {
          if (!value.equals("true") && !value.equals("false")) {
            error(line, column, name + " (" + value + "): only true or false is allowed in policy");
          }
        }
        // names: text Drools never evaluates
        case "agenda-group", "activation-group", "ruleflow-group", "calendars" -> { }
        case "date-effective", "date-expires" -> {
          if (!DATE.matcher(value).matches()) {
            error(line, column, name + " \"" + value + "\": only a date such as 1-Jan-2027 or 1-Jan-2027 08:00 is"
                + " allowed in policy");
          }
        }
        case "duration" -> {
          if (!DURATION.matcher(value).matches()) {
            error(line, column, "duration (" + value + "): only a literal duration such as 500ms or 2s is allowed"
                + " in policy, not an expression");
          }
        }
        case "timer" -> {
          if (!INTERVAL_TIMER.matcher(value).matches() && !CRON_TIMER.matcher(value).matches()) {
            error(line, column, "timer (" + value + "): only timer (int: 30s [5s]) or timer (cron: ...) with literal"
                + " values is allowed in policy, not an expression");
          }
        }
        default -> error(line, column, "attribute " + name + " is not allowed in policy");
      }
    }

    /** A {@code salience} or {@code enabled} expression: checked like a condition, with the rule's bindings. */
    private void attributeExpression(AttributeDescr a, String name, Set<String> vars) {
      condition(a, a.getValue(), vars, "a rule's " + name + " (only reading facts)");
    }

    /**
     * What a package declares besides rules: only {@code global io.fogwise.rules.Actions actions}
     * (the one global the host sets); declared types whose annotations and field defaults are
     * literals (Drools evaluates {@code @timestamp}/{@code @duration} and field initializers as
     * expressions); windows whose patterns are checked like conditions; no rule units.
     */
    private void declarations() {
      if (pkg.getUnit() != null) {
        error(pkg.getUnit().getLine(), pkg.getUnit().getColumn() + 1, "unit " + pkg.getUnit().getTarget()
            + ": rule units are not allowed in policy");
      }
      for (GlobalDescr g : pkg.getGlobals()) {
        Types.Resolved r = types.resolve(List.of(g.getType().strip().split("\\.")));
        if (!g.getIdentifier().equals("actions") || r == null || r.type() != io.fogwise.rules.Actions.class) {
          error(g.getLine(), g.getColumn() + 1, "global " + g.getType() + " " + g.getIdentifier()
              + ": the only global in policy is io.fogwise.rules.Actions actions");
        }
      }
      for (AbstractClassTypeDeclarationDescr t : pkg.getClassAndEnumDeclarationDescrs()) {
        rule = "declare " + t.getTypeName() + ": ";
        for (QualifiedName sup : t.getSuperTypes()) {
          if (!declared.contains(sup.getName()) && !declared.contains(sup.getFullName())) {
            error(t.getLine(), t.getColumn() + 1, "extends " + sup.getFullName()
                + ": declared types may extend only types declared in policy");
          }
        }
        annotations(t, t.getAnnotations());
        for (TypeFieldDescr f : t.getFields().values()) {
          annotations(f, f.getAnnotations());
          if (f.getInitExpr() != null && !LITERAL.matcher(f.getInitExpr().strip()).matches()) {
            error(f.getLine(), f.getColumn() + 1, "field " + f.getFieldName() + " = " + f.getInitExpr().strip()
                + ": a field's default must be a literal in policy, not an expression");
          }
        }
        if (t instanceof EnumDeclarationDescr e) {
          for (EnumLiteralDescr l : e.getLiterals()) {
            for (String arg : l.getConstructorArgs()) {
              if (!LITERAL.matcher(arg.strip()).matches()) {
                error(l.getLine() > 0 ? l.getLine() : t.getLine(), (l.getLine() > 0 ? l.getColumn() : t.getColumn()) + 1,
                    "enum constant " + l.getName() + "(" + arg.strip() + "): arguments must be literals in policy");
              }
            }
          }
        }
      }
      for (WindowDeclarationDescr w : pkg.getWindowDeclarations()) {
        rule = "window " + w.getName() + ": ";
        Set<String> vars = new HashSet<>(globals);
        collectBindings(w.getPattern(), vars);
        lhs(w.getPattern(), vars);
      }
      rule = "";
    }

    /** Annotations on a declared type or field: known ones, with literal values. */
    private void annotations(BaseDescr on, java.util.Collection<AnnotationDescr> annotations) {
      for (AnnotationDescr a : annotations) {
        String value = a.getValueMap().isEmpty() ? "" : String.valueOf(a.getSingleValueAsString()).strip();
        boolean ok = switch (a.getName()) {
          case "role" -> value.equals("event") || value.equals("fact");
          case "timestamp", "duration" -> IDENTIFIER.matcher(value).matches(); // a field name, not an expression
          case "expires" -> value.equals("-1") || DURATION.matcher(value).matches();
          case "key", "propertyReactive", "classReactive" -> a.getValueMap().isEmpty();
          case "position" -> INTEGER.matcher(value).matches();
          default -> false;
        };
        if (!ok) {
          int line = a.getLine() > 0 ? a.getLine() : on.getLine();
          int column = (a.getLine() > 0 ? a.getColumn() : on.getColumn()) + 1;
          error(line, column, "@" + a.getName() + (value.isEmpty() ? "" : "(" + value + ")") + " is not allowed in"
              + " policy (allowed: @role(event|fact), @timestamp(field), @duration(field), @expires(10m), @key,"
              + " @position(n), @propertyReactive, @classReactive)");
        }
      }
    }

    private void error(int line, int column, String message) {
      errors.add(new RuleError(source.fileName(), line, column, rule + message));
    }

    private void errorAt(int offset, String message) {
      error(text.line(offset), text.column(offset), message);
    }

    private void collectBindings(BaseDescr d, Set<String> out) {
      if (d instanceof PatternDescr p) {
        if (p.getIdentifier() != null) {
          out.add(p.getIdentifier());
        }
        out.addAll(p.getAllBoundIdentifiers());
        p.getDescrs().forEach(c -> collectBindings(c, out));
        if (p.getSource() != null) {
          collectBindings(p.getSource(), out);
        }
      } else if (d instanceof AccumulateDescr a) {
        a.getFunctions().forEach(f -> {
          if (f.getBind() != null) {
            out.add(f.getBind());
          }
        });
        if (a.getInput() != null) {
          collectBindings(a.getInput(), out);
        }
      } else if (d instanceof CollectDescr c) {
        collectBindings(c.getInputPattern(), out);
      } else if (d instanceof ConditionalElementDescr ce) {
        ce.getDescrs().forEach(c -> collectBindings((BaseDescr) c, out));
      }
    }

    private void lhs(BaseDescr d, Set<String> vars) {
      if (d instanceof PatternDescr p) {
        p.getDescrs().forEach(c -> lhs(c, vars));
        if (p.getSource() != null) {
          lhs(p.getSource(), vars);
        }
        p.getBehaviors().forEach(this::behavior);
      } else if (d instanceof ExprConstraintDescr c) {
        condition(c, c.getExpression(), vars);
      } else if (d instanceof EvalDescr e) {
        condition(e, String.valueOf(e.getContent()), vars);
      } else if (d instanceof FromDescr f) {
        condition(f, f.getDataSource().toString(), vars);
      } else if (d instanceof AccumulateDescr a) {
        if (a.getInitCode() != null || a.getActionCode() != null || a.getReverseCode() != null
            || a.getResultCode() != null) {
          error(a.getLine(), a.getColumn() + 1, "accumulate with inline code (init/action/result) is not allowed"
              + " in policy; use functions such as count(), sum(), max()");
        }
        for (AccumulateDescr.AccumulateFunctionCallDescr f : a.getFunctions()) {
          for (String param : f.getParams()) {
            condition(a, param, vars);
          }
        }
        if (a.getInput() != null) {
          lhs(a.getInput(), vars);
        }
      } else if (d instanceof CollectDescr c) {
        lhs(c.getInputPattern(), vars);
      } else if (d instanceof NamedConsequenceDescr || d instanceof ConditionalBranchDescr) {
        error(d.getLine(), d.getColumn() + 1, "named consequences (do[...], break[...]) are not allowed in policy");
      } else if (d instanceof ConditionalElementDescr ce) {
        ce.getDescrs().forEach(c -> lhs((BaseDescr) c, vars));
      }
    }

    /**
     * {@code over window:time(2m)} or {@code over window:length(100)}, literal only: a length
     * window keeps that many facts, so its size is an allocation.
     */
    private void behavior(BehaviorDescr b) {
      String params = String.join(", ", b.getParameters()).strip();
      boolean ok = "window".equals(b.getType()) && b.getParameters().size() == 1
          && ("time".equals(b.getSubType()) ? DURATION.matcher(params).matches()
              : "length".equals(b.getSubType()) && INTEGER.matcher(params).matches()
                  && params.length() <= 9 && Integer.parseInt(params) <= AllocationLimits.MAX_WINDOW_LENGTH);
      if (!ok) {
        error(b.getLine(), b.getColumn() + 1, "over " + b.getType() + ":" + b.getSubType() + "(" + params + "): only"
            + " window:time(<literal duration>) or window:length(<literal up to " + AllocationLimits.MAX_WINDOW_LENGTH
            + ">) is allowed in policy");
      }
    }

    /** Checks one condition expression, positioned where its text starts in the file. */
    private void condition(BaseDescr at, String expression, Set<String> vars) {
      condition(at, expression, vars, null);
    }

    /** Checks one expression like a condition; {@code where} names where it is for messages (null: conditions). */
    private void condition(BaseDescr at, String expression, Set<String> vars, String where) {
      if (expression == null || expression.isBlank()) {
        return;
      }
      int from = at.getLine() > 0 ? text.offset(at.getLine(), at.getColumn() + 1) : 0;
      int base = drl.indexOf(expression, from);
      if (base < 0) {
        base = from;
      }
      // Plain Java first (exact positions); DRL-only syntax (bindings, temporal operators, ...)
      // through Drools' own expression parser, whose nodes are reported at the condition's start.
      Expression parsed;
      ParseResult<Expression> java = javaParser().parseExpression(expression);
      if (java.isSuccessful() && java.getResult().isPresent()) {
        parsed = java.getResult().get();
      } else {
        try {
          DrlxExpression x = DrlxParser.parseExpression(DrlxParser.buildDrlxParserWithArguments(List.of()), expression);
          parsed = x.getExpr();
        } catch (RuntimeException e) {
          errorAt(base, "cannot check the condition '" + expression.strip() + "'");
          return;
        }
      }
      addChecked(expression, parsed, checked);
      Text exprText = new Text(expression);
      int b = base;
      new RhsChecker(types, exprText, vars, true, where,
          (p, message) -> errorAt(b + exprText.offset(p.line, p.column), message)).expression(parsed);
    }

    private void consequence(RuleDescr r, Set<String> bindings) {
      Object c = r.getConsequence();
      if (!(c instanceof String body) || body.isBlank()) {
        return;
      }
      int thenAt = text.offset(r.getConsequenceLine(), r.getConsequencePattern() + 1);
      if (!drl.startsWith("then", thenAt)) {
        error(r.getLine(), r.getColumn() + 1, "cannot locate the right-hand side");
        return;
      }
      int start = thenAt + "then".length();
      int at = drl.indexOf(body, start);
      if (at < 0) {
        error(r.getConsequenceLine(), r.getConsequencePattern() + 1, "cannot locate the right-hand side");
        return;
      }
      // Parse "{" + the exact text after "then": block offset k >= 1 is file offset start + k - 1.
      String block = "{" + drl.substring(start, at + body.length()) + "\n}";
      Text blockText = new Text(block);
      ParseResult<BlockStmt> parsed = javaParser().parseBlock(block);
      if (parsed.getResult().isEmpty() || !parsed.isSuccessful()) {
        Problem p = parsed.getProblems().isEmpty() ? null : parsed.getProblems().get(0);
        int off = p == null ? start : p.getLocation().flatMap(l -> l.getBegin().getRange())
            .map(range -> start + blockText.offset(range.begin.line, range.begin.column) - 1).orElse(start);
        String why = p == null ? "" : ": " + p.getMessage().lines().findFirst().orElse("").strip();
        errorAt(Math.max(start, Math.min(off, at + body.length())), "right-hand side is not plain Java" + why);
        return;
      }
      RhsChecker checker = new RhsChecker(types, blockText, bindings, false,
          (p, message) -> errorAt(fileOffset(blockText, start, p), message));
      checker.block(parsed.getResult().get());
      for (Statement loopBody : checker.loopBodies()) {
        Position begin = loopBody.getBegin().orElseThrow();
        Position end = loopBody.getEnd().orElseThrow();
        if (loopBody instanceof BlockStmt) {
          insert(fileOffset(blockText, start, begin) + 1, CHECK_CALL);
        } else {
          insert(fileOffset(blockText, start, begin), "{ " + CHECK_CALL + " ");
          insert(fileOffset(blockText, start, end) + 1, " }");
        }
      }
    }

    private static int fileOffset(Text blockText, int start, Position p) {
      return start + blockText.offset(p.line, p.column) - 1;
    }

    private void insert(int offset, String what) {
      insertAt.add(new int[] {offset, insertAt.size()});
      insertText.add(what);
    }

    private String instrumented() {
      if (insertAt.isEmpty()) {
        return drl;
      }
      // From the end, so earlier offsets stay valid; at one offset an inner loop's " }" must end
      // up left of its outer loop's, so the outer (registered first) goes in first.
      List<int[]> order = new ArrayList<>(insertAt);
      order.sort(Comparator.<int[]>comparingInt(a -> -a[0]).thenComparingInt(a -> a[1]));
      StringBuilder sb = new StringBuilder(drl);
      for (int[] a : order) {
        sb.insert(a[0], insertText.get(a[1]));
      }
      return sb.toString();
    }
  }

  private static JavaParser javaParser() {
    return new JavaParser(new ParserConfiguration()
        .setLanguageLevel(ParserConfiguration.LanguageLevel.JAVA_17)
        .setTabSize(1)
        .setAttributeComments(false));
  }
}
