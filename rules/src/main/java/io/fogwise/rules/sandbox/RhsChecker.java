package io.fogwise.rules.sandbox;

import com.github.javaparser.Position;
import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.body.VariableDeclarator;
import com.github.javaparser.ast.expr.ArrayAccessExpr;
import com.github.javaparser.ast.expr.ArrayCreationExpr;
import com.github.javaparser.ast.expr.ArrayInitializerExpr;
import com.github.javaparser.ast.expr.AssignExpr;
import com.github.javaparser.ast.expr.BinaryExpr;
import com.github.javaparser.ast.expr.CastExpr;
import com.github.javaparser.ast.expr.ClassExpr;
import com.github.javaparser.ast.expr.ConditionalExpr;
import com.github.javaparser.ast.expr.EnclosedExpr;
import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.expr.FieldAccessExpr;
import com.github.javaparser.ast.expr.InstanceOfExpr;
import com.github.javaparser.ast.expr.IntegerLiteralExpr;
import com.github.javaparser.ast.expr.LambdaExpr;
import com.github.javaparser.ast.expr.LiteralExpr;
import com.github.javaparser.ast.expr.MethodCallExpr;
import com.github.javaparser.ast.expr.MethodReferenceExpr;
import com.github.javaparser.ast.expr.NameExpr;
import com.github.javaparser.ast.expr.ObjectCreationExpr;
import com.github.javaparser.ast.expr.TypePatternExpr;
import com.github.javaparser.ast.expr.StringLiteralExpr;
import com.github.javaparser.ast.expr.SuperExpr;
import com.github.javaparser.ast.expr.SwitchExpr;
import com.github.javaparser.ast.expr.TextBlockLiteralExpr;
import com.github.javaparser.ast.expr.ThisExpr;
import com.github.javaparser.ast.expr.UnaryExpr;
import com.github.javaparser.ast.expr.VariableDeclarationExpr;
import com.github.javaparser.ast.nodeTypes.NodeWithArguments;
import com.github.javaparser.ast.nodeTypes.NodeWithOptionalScope;
import com.github.javaparser.ast.nodeTypes.NodeWithSimpleName;
import com.github.javaparser.ast.stmt.BlockStmt;
import com.github.javaparser.ast.stmt.BreakStmt;
import com.github.javaparser.ast.stmt.ContinueStmt;
import com.github.javaparser.ast.stmt.DoStmt;
import com.github.javaparser.ast.stmt.EmptyStmt;
import com.github.javaparser.ast.stmt.ExpressionStmt;
import com.github.javaparser.ast.stmt.ForEachStmt;
import com.github.javaparser.ast.stmt.ForStmt;
import com.github.javaparser.ast.stmt.IfStmt;
import com.github.javaparser.ast.stmt.LabeledStmt;
import com.github.javaparser.ast.stmt.LocalClassDeclarationStmt;
import com.github.javaparser.ast.stmt.LocalRecordDeclarationStmt;
import com.github.javaparser.ast.stmt.ReturnStmt;
import com.github.javaparser.ast.stmt.Statement;
import com.github.javaparser.ast.stmt.SwitchEntry;
import com.github.javaparser.ast.stmt.SwitchStmt;
import com.github.javaparser.ast.stmt.SynchronizedStmt;
import com.github.javaparser.ast.stmt.ThrowStmt;
import com.github.javaparser.ast.stmt.TryStmt;
import com.github.javaparser.ast.stmt.WhileStmt;
import com.github.javaparser.ast.stmt.YieldStmt;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Walks a parsed right-hand side (a Java block) or condition (a DRL expression) and reports every
 * construct outside the allow-list. Statements and expressions are allow-listed by kind, calls by
 * receiver and method name, {@code new} by type. Conditions ({@code lhs}) get the same call and
 * creation rules, but unknown names there are fact properties, not types.
 */
final class RhsChecker {
  /** Where a construct is reported. */
  interface Reporter {
    void report(Position at, String message);
  }

  private final Types types;
  private final RuleSandbox.Text source;
  private final Set<String> variables;
  private final Set<String> locals = new HashSet<>();
  private final boolean lhs;
  private final String where;
  private final Reporter reporter;
  private final List<Statement> loopBodies = new ArrayList<>();

  RhsChecker(Types types, RuleSandbox.Text source, Set<String> variables, boolean lhs, Reporter reporter) {
    this(types, source, variables, lhs, null, reporter);
  }

  /**
   * @param where where the checked code is, for messages ({@code "a rule's salience (only reading
   *     facts)"}); null for a rule's conditions or right-hand side
   */
  RhsChecker(Types types, RuleSandbox.Text source, Set<String> variables, boolean lhs, String where,
      Reporter reporter) {
    this.types = types;
    this.source = source;
    this.variables = new HashSet<>(variables);
    this.lhs = lhs;
    this.where = where;
    this.reporter = reporter;
  }

  /** Loop bodies seen by {@link #block}, outer loops first. */
  List<Statement> loopBodies() {
    return loopBodies;
  }

  void block(BlockStmt block) {
    block.findAll(VariableDeclarator.class).forEach(v -> locals.add(v.getNameAsString()));
    block.findAll(TypePatternExpr.class).forEach(p -> locals.add(p.getNameAsString()));
    variables.addAll(locals);
    stmt(block);
  }

  void expression(Expression e) {
    expr(e);
  }

  private void reject(Node at, String what) {
    reporter.report(at.getBegin().orElse(Position.HOME), what + (where != null ? ", not allowed in " + where : lhs
        ? ", not allowed in a rule's conditions (only reading facts)"
        : ", not allowed in a rule's right-hand side (only actions.* and reading facts)"));
  }

  private void stmt(Statement s) {
    if (s instanceof BlockStmt b) {
      b.getStatements().forEach(this::stmt);
    } else if (s instanceof ExpressionStmt e) {
      expr(e.getExpression());
    } else if (s instanceof IfStmt i) {
      expr(i.getCondition());
      stmt(i.getThenStmt());
      i.getElseStmt().ifPresent(this::stmt);
    } else if (s instanceof WhileStmt w) {
      loopBodies.add(w.getBody());
      expr(w.getCondition());
      stmt(w.getBody());
    } else if (s instanceof DoStmt d) {
      loopBodies.add(d.getBody());
      stmt(d.getBody());
      expr(d.getCondition());
    } else if (s instanceof ForStmt f) {
      loopBodies.add(f.getBody());
      f.getInitialization().forEach(this::expr);
      f.getCompare().ifPresent(this::expr);
      f.getUpdate().forEach(this::expr);
      stmt(f.getBody());
    } else if (s instanceof ForEachStmt f) {
      loopBodies.add(f.getBody());
      expr(f.getVariable());
      expr(f.getIterable());
      stmt(f.getBody());
    } else if (s instanceof BreakStmt || s instanceof ContinueStmt || s instanceof EmptyStmt) {
      // fine
    } else if (s instanceof ReturnStmt r) {
      r.getExpression().ifPresent(this::expr);
    } else if (s instanceof YieldStmt y) {
      expr(y.getExpression());
    } else if (s instanceof LabeledStmt l) {
      stmt(l.getStatement());
    } else if (s instanceof SwitchStmt sw) {
      expr(sw.getSelector());
      sw.getEntries().forEach(this::entry);
    } else if (s instanceof TryStmt) {
      reject(s, "uses try/catch (it could swallow the wall-time budget)");
    } else if (s instanceof SynchronizedStmt) {
      reject(s, "uses synchronized");
    } else if (s instanceof ThrowStmt) {
      reject(s, "throws an exception");
    } else if (s instanceof LocalClassDeclarationStmt || s instanceof LocalRecordDeclarationStmt) {
      reject(s, "declares a class");
    } else {
      reject(s, "uses a " + s.getClass().getSimpleName().replace("Stmt", " statement"));
    }
  }

  private void entry(SwitchEntry e) {
    e.getLabels().forEach(this::expr);
    e.getGuard().ifPresent(this::expr);
    e.getStatements().forEach(this::stmt);
  }

  private void expr(Expression e) {
    if (e instanceof LiteralExpr) {
      return;
    }
    if (e instanceof NameExpr n) {
      if (isDroolsContext(n.getNameAsString())) {
        reject(n, "uses " + n.getNameAsString() + " (only " + n.getNameAsString() + ".getRule().getName() is allowed)");
      }
    } else if (e instanceof BinaryExpr b) {
      expr(b.getLeft());
      expr(b.getRight());
    } else if (e instanceof UnaryExpr u) {
      expr(u.getExpression());
    } else if (e instanceof EnclosedExpr en) {
      expr(en.getInner());
    } else if (e instanceof ConditionalExpr c) {
      expr(c.getCondition());
      expr(c.getThenExpr());
      expr(c.getElseExpr());
    } else if (e instanceof CastExpr c) {
      expr(c.getExpression());
    } else if (e instanceof InstanceOfExpr i) {
      expr(i.getExpression());
    } else if (e instanceof ArrayAccessExpr a) {
      expr(a.getName());
      expr(a.getIndex());
    } else if (e instanceof ArrayInitializerExpr a) {
      a.getValues().forEach(this::expr);
    } else if (e instanceof AssignExpr a) {
      if (!(a.getTarget() instanceof NameExpr t && locals.contains(t.getNameAsString()))) {
        reject(a, "assigns to " + src(a.getTarget()) + " (only local variables may be assigned)");
      }
      expr(a.getValue());
    } else if (e instanceof VariableDeclarationExpr v) {
      v.getVariables().forEach(d -> d.getInitializer().ifPresent(this::expr));
    } else if (e instanceof MethodCallExpr m) {
      call(m, m.getScope(), m.getNameAsString(), m.getArguments());
    } else if (e instanceof ObjectCreationExpr o) {
      create(o);
    } else if (e instanceof FieldAccessExpr f) {
      field(f);
    } else if (e instanceof SwitchExpr sw) {
      expr(sw.getSelector());
      sw.getEntries().forEach(this::entry);
    } else if (e instanceof ClassExpr c) {
      reject(c, "uses the class literal " + src(c));
    } else if (e instanceof LambdaExpr) {
      reject(e, "uses a lambda");
    } else if (e instanceof MethodReferenceExpr) {
      reject(e, "uses the method reference " + src(e));
    } else if (e instanceof ThisExpr || e instanceof SuperExpr) {
      reject(e, "uses " + src(e));
    } else if (e instanceof ArrayCreationExpr) {
      reject(e, "creates an array");
    } else if (lhs && e instanceof NodeWithArguments<?> a && e instanceof NodeWithSimpleName<?> n) {
      // DRL-only call forms such as the null-safe call a!.b()
      @SuppressWarnings("unchecked")
      Optional<Expression> scope = e instanceof NodeWithOptionalScope<?> s ? (Optional<Expression>) s.getScope() : Optional.empty();
      call(e, scope, n.getNameAsString(), a.getArguments());
    } else if (lhs) {
      // DRL-only operators (temporal, point-free, inline casts...): check what they contain
      for (Node child : e.getChildNodes()) {
        if (child instanceof Expression ce) {
          expr(ce);
        }
      }
    } else {
      reject(e, "uses " + e.getClass().getSimpleName());
    }
  }

  private void call(Expression node, Optional<Expression> scope, String name, List<Expression> args) {
    String argText = args.isEmpty() ? "()" : "(...)";
    if (scope.isEmpty()) {
      if (lhs ? AllowList.instanceMethod(name) : name.equals("insert") || name.equals("insertLogical")) {
        if (!lhs) {
          insert(node, name, args);
        } else {
          args.forEach(this::expr);
        }
      } else {
        reject(node, "calls " + name + argText + (lhs ? "" : " (functions are not allowed in policy)"));
        args.forEach(this::expr);
      }
      return;
    }
    Expression sc = scope.get();
    if (isRuleName(node, sc, name)) {
      return;
    }
    List<String> chain = nameChain(sc);
    if (chain != null) {
      String root = chain.get(0);
      if (isDroolsContext(root) && chain.size() == 1) {
        if (name.equals("insert") || name.equals("insertLogical")) {
          insert(node, root + "." + name, args);
        } else if (!(name.equals("getRule") && args.isEmpty() && isRuleName(node.getParentNode().orElse(null)))) {
          reject(node, "calls " + root + "." + name + argText + " (only " + root + ".getRule().getName() and "
              + root + ".insertLogical(new Fact(...)) are allowed)");
        }
        return;
      }
      if (root.equals("actions") && chain.size() == 1) {
        if (!AllowList.ACTIONS.contains(name)) {
          reject(node, "calls actions." + name + argText + ", which io.fogwise.rules.Actions does not declare");
        }
        args.forEach(this::expr);
        return;
      }
      if (!isVariable(root)) {
        Types.Resolved r = types.resolve(chain);
        if (r != null && r.consumed() == chain.size()) {
          if (!r.declared() && !AllowList.staticMethod(r.type(), name)) {
            reject(node, "calls " + src(sc) + "." + name + argText);
          } else if (r.type() == String.class && name.equals("format")) {
            format(node, args);
          }
          args.forEach(this::expr);
          return;
        }
        if (r != null && !r.declared() && !AllowList.staticType(r.type())) {
          reject(node, "reads " + src(sc));
          args.forEach(this::expr);
          return;
        }
        if (r == null && !lhs) {
          reject(node, "calls " + src(sc) + "." + name + argText);
          args.forEach(this::expr);
          return;
        }
      } else if (isDroolsContext(root)) {
        reject(node, "uses " + src(sc));
        return;
      }
      if (!AllowList.instanceMethod(name)) {
        reject(node, "calls " + src(sc) + "." + name + argText + reason(name));
      }
    } else {
      expr(sc);
      if (!AllowList.instanceMethod(name)) {
        Node at = node instanceof NodeWithSimpleName<?> n ? n.getName() : node;
        reject(at, "calls " + name + argText + reason(name));
      }
    }
    args.forEach(this::expr);
  }

  private static String reason(String name) {
    return switch (name) {
      case "getClass", "forName", "getDeclaredMethod", "getDeclaredMethods", "getMethod", "getMethods",
          "getDeclaredField", "getDeclaredFields", "getField", "getFields", "getDeclaredConstructor",
          "getConstructor", "newInstance", "invoke", "setAccessible" -> " (reflection)";
      default -> name.startsWith("set") ? " (facts change only through actions)" : "";
    };
  }

  private void insert(Expression node, String what, List<Expression> args) {
    if (args.size() == 1 && args.get(0) instanceof ObjectCreationExpr o) {
      create(o);
    } else {
      reject(node, "calls " + what + " with something other than new Fact(...) of " + AllowList.MODEL_PACKAGE);
      args.forEach(this::expr);
    }
  }

  /** {@code String.format}: a literal format whose widths and precisions stay under the limit. */
  private void format(Expression node, List<Expression> args) {
    Expression f = args.isEmpty() ? null : args.get(0);
    String text = f instanceof StringLiteralExpr sl ? sl.asString() : f instanceof TextBlockLiteralExpr tb ? tb.asString()
        : null;
    if (text == null) {
      reject(node, "calls String.format with a format that is not a string literal (a computed format could ask for"
          + " any width)");
    } else if (AllocationLimits.formatProblem(text) != null) {
      reject(f, "calls String.format: " + AllocationLimits.formatProblem(text));
    }
  }

  /**
   * {@code new StringBuilder(x)}: a string literal, a concatenation with one, or a capacity literal
   * up to the limit; an int expression could ask for gigabytes.
   */
  private void builderArgument(ObjectCreationExpr o) {
    if (o.getArguments().size() != 1) {
      return;
    }
    Expression a = o.getArguments().get(0);
    while (a instanceof EnclosedExpr en) {
      a = en.getInner();
    }
    boolean ok = a instanceof StringLiteralExpr || a instanceof TextBlockLiteralExpr
        || (a instanceof IntegerLiteralExpr i && !AllocationLimits.tooLarge(i.getValue().replace("_", ""),
            AllocationLimits.MAX_BUILDER_CAPACITY))
        || (a instanceof BinaryExpr b && b.getOperator() == BinaryExpr.Operator.PLUS
            && !b.findAll(StringLiteralExpr.class).isEmpty());
    if (!ok) {
      reject(o, "creates a StringBuilder with " + src(o.getArguments().get(0)) + " (only a string, or a capacity literal"
          + " up to " + AllocationLimits.MAX_BUILDER_CAPACITY + "; use new StringBuilder().append(...))");
    }
  }

  private void create(ObjectCreationExpr o) {
    String typeName = o.getType().getNameWithScope();
    if (o.getAnonymousClassBody().isPresent()) {
      reject(o, "declares an anonymous class (new " + typeName + "() {...})");
    } else if (o.getScope().isPresent()) {
      reject(o, "creates an inner object (" + src(o.getScope().get()) + ".new " + typeName + ")");
    } else {
      Types.Resolved r = types.resolve(List.of(typeName.split("\\.")));
      if (r == null || r.consumed() != typeName.split("\\.").length) {
        reject(o, "creates " + typeName + ", an unknown type");
      } else if (!r.declared() && !AllowList.creatable(r.type())) {
        reject(o, "creates " + r.type().getName() + " (new " + typeName + ")");
      } else if (r.type() == StringBuilder.class) {
        builderArgument(o);
      }
    }
    o.getArguments().forEach(this::expr);
  }

  private void field(FieldAccessExpr f) {
    List<String> chain = nameChain(f);
    if (chain == null) {
      expr(f.getScope());
      return;
    }
    String root = chain.get(0);
    if (isDroolsContext(root)) {
      reject(f, "uses " + src(f));
    } else if (!isVariable(root)) {
      Types.Resolved r = types.resolve(chain);
      if (r != null && !r.declared() && !AllowList.staticType(r.type())) {
        reject(f, "reads " + src(f));
      } else if (r == null && !lhs) {
        reject(f, "refers to " + src(f));
      }
    }
  }

  /** {@code drools.getRule().getName()} or {@code kcontext.getRule().getName()}. */
  private static boolean isRuleName(Expression node, Expression scope, String name) {
    return name.equals("getName")
        && node instanceof MethodCallExpr m && m.getArguments().isEmpty()
        && scope instanceof MethodCallExpr inner && inner.getNameAsString().equals("getRule")
        && inner.getArguments().isEmpty()
        && inner.getScope().filter(s -> s instanceof NameExpr n && isDroolsContext(n.getNameAsString())).isPresent();
  }

  private static boolean isRuleName(Node outer) {
    return outer instanceof MethodCallExpr m && m.getScope().isPresent()
        && isRuleName(m, m.getScope().get(), m.getNameAsString());
  }

  private static boolean isDroolsContext(String name) {
    return name.equals("drools") || name.equals("kcontext");
  }

  private boolean isVariable(String name) {
    return variables.contains(name) || name.startsWith("$");
  }

  /** The construct as the author wrote it (DRL-only nodes cannot be pretty-printed). */
  private String src(Node n) {
    if (n.getBegin().isEmpty() || n.getEnd().isEmpty()) {
      return n.getClass().getSimpleName();
    }
    Position b = n.getBegin().get();
    Position e = n.getEnd().get();
    int from = source.offset(b.line, b.column);
    int to = source.offset(e.line, e.column) + 1;
    return from < to ? source.text().substring(from, Math.min(to, source.text().length())) : n.getClass().getSimpleName();
  }

  /** {@code a.b.c} as names, or null if {@code e} is not a plain dotted name. */
  private static List<String> nameChain(Expression e) {
    List<String> out = new ArrayList<>();
    Expression cur = e;
    while (cur instanceof FieldAccessExpr f) {
      out.add(0, f.getNameAsString());
      cur = f.getScope();
    }
    if (!(cur instanceof NameExpr n)) {
      return null;
    }
    out.add(0, n.getNameAsString());
    return out;
  }
}
