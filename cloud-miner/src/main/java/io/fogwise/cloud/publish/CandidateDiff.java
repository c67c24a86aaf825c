package io.fogwise.cloud.publish;

import io.fogwise.policy.PolicyBundle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What approving a {@link Candidate} would change against the live policy: a unified diff per
 * rule file, parameter changes, and the candidate's findings. What {@code fogwise rules diff}
 * prints (and returns as JSON).
 *
 * @param scope the scope
 * @param version the candidate's version
 * @param baseVersion the live version it was built on
 * @param liveVersion the live version now ({@code != baseVersion}: approving it would be refused)
 * @param author who signed it
 * @param keyId the key that signed it
 * @param createdAtMillis when it was proposed
 * @param fromMillis start of the data window mined
 * @param toMillis end of the data window mined
 * @param findings what the pass found
 * @param files the rule files that differ, by name
 * @param parameters the parameters that differ, by name
 */
public record CandidateDiff(String scope, long version, long baseVersion, long liveVersion, String author,
    String keyId, long createdAtMillis, long fromMillis, long toMillis, List<String> findings, List<FileChange> files,
    List<ParamChange> parameters) {

  /** Lines of context around each change, as {@code diff -u}. */
  public static final int CONTEXT = 3;
  /** Beyond this many line pairs a changed region is shown as all removed then all added (no alignment). */
  static final long MAX_ALIGN_CELLS = 4_000_000L;

  public CandidateDiff {
    findings = List.copyOf(findings);
    files = List.copyOf(files);
    parameters = List.copyOf(parameters);
  }

  /**
   * A rule file that differs.
   *
   * @param file its name
   * @param change {@code added}, {@code removed} or {@code changed}
   * @param diff unified diff of it
   */
  public record FileChange(String file, String change, String diff) {}

  /**
   * A parameter that differs.
   *
   * @param name its name
   * @param before the live value, null if it is new
   * @param after the candidate's value, null if it is removed
   */
  public record ParamChange(String name, String before, String after) {}

  /** Whether approving it now would be refused because the live version moved. */
  public boolean stale() {
    return liveVersion != baseVersion;
  }

  /** The difference between {@code c} and the live policy ({@code liveSources}, {@code liveParameters}). */
  public static CandidateDiff of(Candidate c, long liveVersion, List<PolicyBundle.RuleFile> liveSources,
      Map<String, PolicyBundle.Param> liveParameters) {
    Objects.requireNonNull(c, "candidate");
    Map<String, String> before = Proposals.byName(liveSources);
    Map<String, String> after = Proposals.byName(c.bundle().sources());
    TreeSet<String> names = new TreeSet<>(before.keySet());
    names.addAll(after.keySet());
    String liveLabel = c.scope() + " v" + liveVersion;
    String candLabel = "candidate v" + c.bundle().version();
    List<FileChange> files = new ArrayList<>();
    for (String name : names) {
      String a = before.get(name);
      String b = after.get(name);
      if (Objects.equals(a, b)) {
        continue;
      }
      String change = a == null ? "added" : b == null ? "removed" : "changed";
      files.add(new FileChange(name, change, unified(a == null ? "/dev/null" : liveLabel + "/" + name,
          b == null ? "/dev/null" : candLabel + "/" + name, a == null ? "" : a, b == null ? "" : b)));
    }
    Map<String, String> pa = values(liveParameters);
    Map<String, String> pb = values(c.bundle().parameters());
    TreeSet<String> keys = new TreeSet<>(pa.keySet());
    keys.addAll(pb.keySet());
    List<ParamChange> params = new ArrayList<>();
    for (String k : keys) {
      if (!Objects.equals(pa.get(k), pb.get(k))) {
        params.add(new ParamChange(k, pa.get(k), pb.get(k)));
      }
    }
    PolicyBundle b = c.bundle();
    return new CandidateDiff(c.scope(), b.version(), c.baseVersion(), liveVersion, b.author(), b.keyId(),
        c.createdAtMillis(), c.fromMillis(), c.toMillis(), c.findings(), files, params);
  }

  private static Map<String, String> values(Map<String, PolicyBundle.Param> params) {
    Map<String, String> m = new TreeMap<>();
    params.forEach((k, v) -> m.put(k, v.value()));
    return m;
  }

  /** The report {@code fogwise rules diff} prints. */
  public String text() {
    StringBuilder sb = new StringBuilder();
    sb.append("candidate ").append(scope).append(" v").append(version).append(" (base v").append(baseVersion)
        .append("; live v").append(liveVersion).append(") by ").append(author).append(", key ").append(keyId)
        .append(", proposed ").append(Instant.ofEpochMilli(createdAtMillis)).append('\n');
    sb.append("data window: ").append(Instant.ofEpochMilli(fromMillis)).append(" .. ")
        .append(Instant.ofEpochMilli(toMillis)).append('\n');
    if (stale()) {
      sb.append("warning: live is v").append(liveVersion).append(" but the candidate was made on v").append(baseVersion)
          .append(": 'fogwise rules approve' refuses it; 'fogwise cloud mine --now' makes a fresh one\n");
    }
    sb.append("findings:").append(findings.isEmpty() ? " none\n" : "\n");
    findings.forEach(f -> sb.append("  ").append(f).append('\n'));
    sb.append("rule files:").append(files.isEmpty() ? " unchanged\n" : "\n");
    files.forEach(f -> sb.append("  ").append(f.file()).append(": ").append(f.change()).append('\n'));
    sb.append("parameters:").append(parameters.isEmpty() ? " unchanged\n" : "\n");
    parameters.forEach(p -> sb.append("  ").append(p.name()).append(": ").append(p.before() == null ? "(none)" : p.before())
        .append(" -> ").append(p.after() == null ? "(removed)" : p.after()).append('\n'));
    for (FileChange f : files) {
      sb.append('\n').append(f.diff());
    }
    return sb.toString();
  }

  /**
   * A unified diff ({@code diff -u} format, {@value #CONTEXT} lines of context) of {@code a} and
   * {@code b}, headed {@code --- aName} and {@code +++ bName}; empty if they are equal.
   */
  public static String unified(String aName, String bName, String a, String b) {
    List<String> x = lines(a);
    List<String> y = lines(b);
    if (x.equals(y)) {
      return "";
    }
    List<Edit> edits = edits(x, y);
    StringBuilder sb = new StringBuilder();
    sb.append("--- ").append(aName).append('\n').append("+++ ").append(bName).append('\n');
    int i = 0;
    while (i < edits.size()) {
      // find the next change
      int first = i;
      while (first < edits.size() && edits.get(first).op == ' ') {
        first++;
      }
      if (first == edits.size()) {
        break;
      }
      int start = Math.max(i, first - CONTEXT);
      // extend the hunk while changes are within 2 * CONTEXT lines of each other
      int end = first;
      int lastChange = first;
      while (end < edits.size()) {
        if (edits.get(end).op != ' ') {
          lastChange = end;
        } else if (end - lastChange > 2 * CONTEXT) {
          break;
        }
        end++;
      }
      end = Math.min(edits.size(), lastChange + 1 + CONTEXT);
      int aStart = 0;
      int bStart = 0;
      for (int k = 0; k < start; k++) {
        aStart += edits.get(k).op != '+' ? 1 : 0;
        bStart += edits.get(k).op != '-' ? 1 : 0;
      }
      int aLen = 0;
      int bLen = 0;
      for (int k = start; k < end; k++) {
        aLen += edits.get(k).op != '+' ? 1 : 0;
        bLen += edits.get(k).op != '-' ? 1 : 0;
      }
      sb.append("@@ -").append(range(aStart, aLen)).append(" +").append(range(bStart, bLen)).append(" @@\n");
      for (int k = start; k < end; k++) {
        sb.append(edits.get(k).op).append(edits.get(k).line).append('\n');
      }
      i = end;
    }
    return sb.toString();
  }

  private static String range(int start, int len) {
    // diff -u: an empty range is shown at the line before it
    return len == 0 ? start + ",0" : len == 1 ? Integer.toString(start + 1) : (start + 1) + "," + len;
  }

  private record Edit(char op, String line) {}

  private static List<String> lines(String s) {
    if (s.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>(List.of(s.split("\n", -1)));
    if (out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1); // a final newline ends the last line, it does not start one
    }
    return out;
  }

  /** The shortest edit by longest common subsequence, after stripping the common head and tail. */
  private static List<Edit> edits(List<String> x, List<String> y) {
    int head = 0;
    while (head < x.size() && head < y.size() && x.get(head).equals(y.get(head))) {
      head++;
    }
    int tail = 0;
    while (tail < x.size() - head && tail < y.size() - head
        && x.get(x.size() - 1 - tail).equals(y.get(y.size() - 1 - tail))) {
      tail++;
    }
    List<Edit> out = new ArrayList<>();
    for (int k = 0; k < head; k++) {
      out.add(new Edit(' ', x.get(k)));
    }
    List<String> mx = x.subList(head, x.size() - tail);
    List<String> my = y.subList(head, y.size() - tail);
    int n = mx.size();
    int m = my.size();
    if ((long) n * m > MAX_ALIGN_CELLS) {
      mx.forEach(l -> out.add(new Edit('-', l)));
      my.forEach(l -> out.add(new Edit('+', l)));
    } else {
      int[][] lcs = new int[n + 1][m + 1];
      for (int i = n - 1; i >= 0; i--) {
        for (int j = m - 1; j >= 0; j--) {
          lcs[i][j] = mx.get(i).equals(my.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
      }
      int i = 0;
      int j = 0;
      while (i < n || j < m) {
        if (i < n && j < m && mx.get(i).equals(my.get(j))) {
          out.add(new Edit(' ', mx.get(i)));
          i++;
          j++;
        } else if (j < m && (i == n || lcs[i][j + 1] > lcs[i + 1][j])) {
          out.add(new Edit('+', my.get(j++)));
        } else {
          out.add(new Edit('-', mx.get(i++)));
        }
      }
    }
    for (int k = x.size() - tail; k < x.size(); k++) {
      out.add(new Edit(' ', x.get(k)));
    }
    return out;
  }
}
