package io.fogwise.gateway.core.health;

import io.fogwise.protocol.AdaptationEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conditions a user must know about that do not stop the gateway — durable state that did not
 * parse and was set aside, a policy pointer that is missing, unreadable or behind what the
 * gateway runs, a deleted policy bucket. Each is kept under a key until cleared, shown in the
 * gateway's status and {@code /health}, and reported once when it appears (and when it is
 * cleared) to a {@link Listener}: the gateway turns that into an adaptation event and a metric.
 * Thread-safe: problems are found on NATS, worker and decision threads alike.
 */
public final class Problems {
  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

  /** What is told about each problem. */
  public interface Listener {
    /** A problem appeared or changed. */
    void reported(Problem p);

    /** A problem is gone. */
    void cleared(Problem p, String how);
  }

  /**
   * One problem.
   *
   * @param key what it is about, e.g. {@code policy.pointer.global}; a new report under the
   *     same key replaces the old one
   * @param kind its metric label, e.g. {@code policy_pointer}, {@code state_set_aside}
   * @param type the adaptation event it is reported as
   * @param message one line a user understands: what, what the gateway does, what to do
   * @param details further facts for the event
   */
  public record Problem(String key, String kind, AdaptationEvent.Type type, String message,
      Map<String, String> details) {
    public Problem {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(message, "message");
      details = details == null ? Map.of() : Map.copyOf(details);
    }
  }

  private final Map<String, Problem> current = new LinkedHashMap<>();
  private final List<Object[]> unheard = new ArrayList<>();
  private Listener listener;

  /** Records {@code p}; tells the listener if it is new or its message changed. */
  public void report(Problem p) {
    Listener l;
    synchronized (this) {
      Problem before = current.put(p.key(), p);
      if (before != null && before.message().equals(p.message())) {
        return;
      }
      l = listener;
      if (l == null) {
        unheard.add(new Object[] {p, null});
      }
    }
    LOG.warn("{}", p.message());
    if (l != null) {
      l.reported(p);
    }
  }

  /** Clears the problem under {@code key}, if any, saying {@code how} it went away. */
  public void clear(String key, String how) {
    Listener l;
    Problem p;
    synchronized (this) {
      p = current.remove(key);
      if (p == null) {
        return;
      }
      l = listener;
      if (l == null) {
        unheard.add(new Object[] {p, how});
      }
    }
    LOG.info("resolved: {}", how);
    if (l != null) {
      l.cleared(p, how);
    }
  }

  /** Whether a problem is recorded under {@code key}. */
  public synchronized boolean has(String key) {
    return current.containsKey(key);
  }

  /** The current problems' messages, oldest first. */
  public synchronized List<String> messages() {
    return current.values().stream().map(Problem::message).toList();
  }

  /** Sets the listener and tells it what was reported before it was set. */
  public void listen(Listener l) {
    List<Object[]> replay;
    synchronized (this) {
      listener = Objects.requireNonNull(l, "listener");
      replay = new ArrayList<>(unheard);
      unheard.clear();
    }
    for (Object[] r : replay) {
      if (r[1] == null) {
        l.reported((Problem) r[0]);
      } else {
        l.cleared((Problem) r[0], (String) r[1]);
      }
    }
  }
}
