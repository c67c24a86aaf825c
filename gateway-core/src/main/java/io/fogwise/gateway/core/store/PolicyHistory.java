package io.fogwise.gateway.core.store;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a gateway remembers of policy across restarts, per scope: the version it runs (the
 * highest it applied and kept — after an automatic rollback, the one it went back to) and the
 * versions it rejected or rolled back. A version below the one it runs is never applied, and a
 * rejected one never again, whatever the live pointer says. Part of the durable snapshot; used
 * on the decision thread only.
 */
public final class PolicyHistory {
  private final Map<String, Long> applied = new TreeMap<>();
  private final Map<String, TreeSet<Long>> rejected = new TreeMap<>();
  private long changes;

  /** Counts changes, so the owner knows when to save. */
  public long changes() {
    return changes;
  }

  /** The version of {@code scope} this gateway runs, 0 for none (built-in packs only). */
  public long applied(String scope) {
    return applied.getOrDefault(scope, 0L);
  }

  /** The version run per scope (scopes running none are absent). */
  public Map<String, Long> applied() {
    return Map.copyOf(applied);
  }

  /** Rejected versions per scope, ascending. */
  public Map<String, List<Long>> rejected() {
    Map<String, List<Long>> m = new TreeMap<>();
    rejected.forEach((scope, versions) -> m.put(scope, List.copyOf(versions)));
    return m;
  }

  /** Records that {@code scope} now runs {@code version} (0: none); true if that is a change. */
  public boolean setApplied(String scope, long version) {
    Long before = version <= 0 ? applied.remove(scope) : applied.put(scope, version);
    boolean changed = before == null ? version > 0 : before != version;
    if (changed) {
      changes++;
    }
    return changed;
  }

  /** Records a rejected version; true if it was not recorded before. */
  public boolean markRejected(String scope, long version) {
    boolean added = rejected.computeIfAbsent(scope, k -> new TreeSet<>()).add(version);
    if (added) {
      changes++;
    }
    return added;
  }

  /** Whether {@code version} of {@code scope} was rejected before. */
  public boolean isRejected(String scope, long version) {
    TreeSet<Long> s = rejected.get(scope);
    return s != null && s.contains(version);
  }

  /** Takes in what a snapshot saved (adds to what is known; a higher applied version wins). */
  public void restore(Map<String, Long> savedApplied, Map<String, List<Long>> savedRejected) {
    savedApplied.forEach((scope, v) -> applied.merge(scope, v, Math::max));
    savedRejected.forEach((scope, versions) -> rejected.computeIfAbsent(scope, k -> new TreeSet<>()).addAll(versions));
  }
}
