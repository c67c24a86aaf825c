package io.fogwise.rules.host;

import io.fogwise.protocol.time.Clock;
import io.fogwise.rules.Action;
import io.fogwise.rules.Actions;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.Tick;
import io.fogwise.rules.sandbox.Budget;
import io.fogwise.rules.sandbox.BudgetExceeded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.kie.api.KieServices;
import org.kie.api.event.rule.AfterMatchFiredEvent;
import org.kie.api.event.rule.BeforeMatchFiredEvent;
import org.kie.api.event.rule.DefaultAgendaEventListener;
import org.kie.api.runtime.KieSession;
import org.kie.api.runtime.KieSessionConfiguration;
import org.kie.api.runtime.conf.ClockTypeOption;
import org.kie.api.runtime.rule.FactHandle;
import org.kie.api.time.SessionPseudoClock;

/**
 * Runs one {@link RuleSet} over the gateway's facts. Drools' clock is a pseudo clock driven by
 * the injected {@link Clock}, so rule time windows are as deterministic as the clock. Facts
 * are kept by a key and inserted or updated in place. Not thread-safe: all calls come from the
 * gateway's decision thread.
 */
public final class RuleHost implements AutoCloseable {
  /** Default maximum rule firings per evaluation cycle. */
  public static final int DEFAULT_FIRING_BUDGET = 10_000;

  /** Default wall time one evaluation cycle may take before looping rules are stopped. */
  public static final Duration DEFAULT_WALL_TIME_BUDGET = Duration.ofMillis(200);

  /**
   * Default bytes one evaluation cycle may allocate. A normal cycle allocates kilobytes (all 10k
   * devices timing out at once, a few megabytes); 64 MiB is far above that and far below a
   * gateway's heap, so a rule building strings in a loop is stopped long before it starves the
   * failure detector of memory.
   */
  public static final long DEFAULT_ALLOCATION_BUDGET_BYTES = 64L * 1024 * 1024;

  /**
   * Failed firings after which a cycle gives up: each failure consumes its activation, so the
   * others due get their turn; past this many the cycle's budgets are spent anyway.
   */
  private static final int MAX_FAILED_FIRINGS = 16;

  private final RuleSet rules;
  private final Clock clock;
  private final int firingBudget;
  private final long wallTimeBudgetNanos;
  private final long allocationBudgetBytes;
  private int firedThisCycle;
  private int firingStartIndex;
  private long firingAllocatedAtStart;
  private String heaviestRule;
  private long heaviestRuleBytes;
  private final KieSession session;
  private final SessionPseudoClock sessionClock;
  private final RecordingActions actions = new RecordingActions();
  private final Map<Object, FactHandle> handles = new HashMap<>();
  private final Tick tick;
  private final FactHandle tickHandle;
  private long clockBaseMillis;

  /**
   * @param firingBudget maximum rule firings per evaluation cycle
   * @param wallTimeBudget how long loops in right-hand sides may run per cycle (sandbox budget)
   * @param allocationBudgetBytes how many bytes one cycle may allocate: loops in right-hand sides
   *     are stopped once it is spent, and a cycle that allocated more is reported
   */
  public RuleHost(RuleSet rules, Clock clock, int firingBudget, Duration wallTimeBudget, long allocationBudgetBytes) {
    this.rules = Objects.requireNonNull(rules, "rules");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (firingBudget < 1) {
      throw new IllegalArgumentException("firingBudget must be >= 1, got " + firingBudget);
    }
    Objects.requireNonNull(wallTimeBudget, "wallTimeBudget");
    if (wallTimeBudget.isNegative() || wallTimeBudget.isZero()) {
      throw new IllegalArgumentException("wallTimeBudget must be positive, got " + wallTimeBudget);
    }
    if (allocationBudgetBytes < 1) {
      throw new IllegalArgumentException("allocationBudgetBytes must be >= 1, got " + allocationBudgetBytes);
    }
    this.firingBudget = firingBudget;
    this.wallTimeBudgetNanos = wallTimeBudget.toNanos();
    this.allocationBudgetBytes = allocationBudgetBytes;
    KieSessionConfiguration conf = KieServices.Factory.get().newKieSessionConfiguration();
    conf.setOption(ClockTypeOption.PSEUDO);
    this.session = rules.kieBase().newKieSession(conf, null);
    this.sessionClock = session.getSessionClock();
    this.clockBaseMillis = clock.millis();
    session.setGlobal("actions", actions);
    session.addEventListener(
        new DefaultAgendaEventListener() {
          @Override
          public void beforeMatchFired(BeforeMatchFiredEvent event) {
            actions.currentRule = event.getMatch().getRule().getName();
            firedThisCycle++;
            firingStartIndex = actions.recorded.size();
            firingAllocatedAtStart = Budget.allocatedBytes();
          }

          @Override
          public void afterMatchFired(AfterMatchFiredEvent event) {
            long bytes = Budget.allocatedBytes() - firingAllocatedAtStart;
            if (bytes > heaviestRuleBytes) {
              heaviestRuleBytes = bytes;
              heaviestRule = actions.currentRule;
            }
            actions.currentRule = null; // what throws between firings is the network's, not this rule's
          }
        });
    this.tick = new Tick(clock.millis());
    this.tickHandle = session.insert(tick);
  }

  public RuleHost(RuleSet rules, Clock clock, int firingBudget, Duration wallTimeBudget) {
    this(rules, clock, firingBudget, wallTimeBudget, DEFAULT_ALLOCATION_BUDGET_BYTES);
  }

  public RuleHost(RuleSet rules, Clock clock, int firingBudget) {
    this(rules, clock, firingBudget, DEFAULT_WALL_TIME_BUDGET);
  }

  public RuleHost(RuleSet rules, Clock clock) {
    this(rules, clock, DEFAULT_FIRING_BUDGET);
  }

  /** Inserts {@code fact} under {@code key}, or replaces the fact that key had. */
  public void put(Object key, Object fact) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fact, "fact");
    FactHandle h = handles.get(key);
    if (h == null) {
      handles.put(key, session.insert(fact));
    } else {
      session.update(h, fact);
    }
  }

  /** Inserts or updates a device fact, keyed by its id. */
  public void putDevice(Device d) {
    put("device:" + d.getId(), d);
  }

  /**
   * Inserts an event (a {@link io.fogwise.rules.model.Reading}, {@link
   * io.fogwise.rules.model.LatencyReading} or {@link io.fogwise.rules.model.Movement}); it stays
   * until it expires.
   */
  public void insertEvent(Object event) {
    session.insert(Objects.requireNonNull(event, "event"));
  }

  /** The rule clock's now, in the time base of {@link Tick} and of event {@code atMillis}. */
  public long nowMillis() {
    return clock.millis();
  }

  /** Removes the fact under {@code key}, if any. */
  public void remove(Object key) {
    FactHandle h = handles.remove(key);
    if (h != null) {
      session.delete(h);
    }
  }

  /** Whether a fact is held under {@code key}. */
  public boolean contains(Object key) {
    return handles.containsKey(key);
  }

  /**
   * Advances the rule clock to the injected clock's now and fires the rules, at most the
   * firing budget times. Nothing a rule does ends the evaluation abnormally: a right-hand side
   * still looping when the wall-time or allocation budget runs out is stopped, and anything a
   * rule throws — an exception, an {@code OutOfMemoryError}, a {@code StackOverflowError} — is
   * caught; the evaluation reports it, the actions of that one firing are dropped, and the
   * session stays usable. A cycle that allocated more than the allocation budget is reported too.
   */
  public Evaluation evaluate() {
    actions.recorded.clear();
    actions.currentRule = null;
    firedThisCycle = 0;
    firingStartIndex = 0;
    heaviestRule = null;
    heaviestRuleBytes = 0;
    boolean wallTime = false;
    boolean allocation = false;
    boolean thrown = false;
    String failure = null;
    int failedFirings = 0;
    // Sandbox budgets (io.fogwise.rules.sandbox): real elapsed time, not the rule clock, because
    // they guard the decision thread against a rule burning CPU; allocation as this thread's bytes.
    long allocatedAtStart = Budget.allocatedBytes();
    Budget.enter(System.nanoTime() + wallTimeBudgetNanos,
        allocatedAtStart < 0 ? Long.MAX_VALUE : allocatedAtStart + allocationBudgetBytes);
    try {
      long now = clock.millis();
      long delta = now - (clockBaseMillis + sessionClock.getCurrentTime());
      if (delta > 0) {
        sessionClock.advanceTime(delta, TimeUnit.MILLISECONDS);
      }
      tick.setNowMillis(now);
      session.update(tickHandle, tick);
      while (firedThisCycle < firingBudget) {
        try {
          session.fireAllRules(firingBudget - firedThisCycle);
          break;
        } catch (Throwable t) { // an Error from a rule must not end the decision loop: report, carry on
          Failed f = failedFiring(t);
          wallTime |= f.kind() == Failed.Kind.WALL_TIME;
          allocation |= f.kind() == Failed.Kind.ALLOCATION;
          thrown |= f.kind() == Failed.Kind.THROWN;
          failure = failure == null ? f.line() : failure;
          // The failed firing is consumed; fire what else is due, so a rule that fails every cycle
          // cannot starve the others (a failover must still happen). Bounded: budgets are spent.
          if (++failedFirings >= MAX_FAILED_FIRINGS) {
            break;
          }
        }
      }
    } catch (Throwable t) { // the clock fact's update: nothing a rule does may escape either
      thrown = true;
      failure = failure == null ? "the rule set threw " + rootCause(t) : failure;
    } finally {
      Budget.exit();
    }
    if (failedFirings > 1) {
      failure += " (" + failedFirings + " failed firings this cycle)";
    }
    int fired = firedThisCycle;
    long allocated = allocatedAtStart < 0 ? -1 : Budget.allocatedBytes() - allocatedAtStart;
    if (!allocation && allocated > allocationBudgetBytes) {
      allocation = true;
      String line = "the cycle allocated " + mib(allocated) + ", above the"
          + " allocation budget of " + mib(allocationBudgetBytes)
          + (heaviestRule == null ? "" : " (most in rule \"" + heaviestRule + "\": " + mib(heaviestRuleBytes) + ")");
      failure = failure == null ? line : failure + "; " + line;
    }
    List<Action> out = List.copyOf(actions.recorded);
    actions.recorded.clear();
    actions.currentRule = null;
    return new Evaluation(fired, out, fired >= firingBudget, wallTime, allocation, thrown, allocated, failure);
  }

  /** Why a firing failed, in one line. */
  private record Failed(Kind kind, String line) {
    enum Kind { WALL_TIME, ALLOCATION, THROWN }
  }

  /** Drops the failed firing's actions and says why it failed. */
  private Failed failedFiring(Throwable t) {
    if (actions.currentRule != null) {
      actions.recorded.subList(Math.min(firingStartIndex, actions.recorded.size()), actions.recorded.size()).clear();
    }
    String who = actions.currentRule == null ? "a condition" : "rule \"" + actions.currentRule + "\"";
    actions.currentRule = null;
    BudgetExceeded stopped = BudgetExceeded.in(t);
    if (stopped != null && stopped.allocation()) {
      return new Failed(Failed.Kind.ALLOCATION, who + " allocated more than the allocation budget of "
          + mib(allocationBudgetBytes) + " in one cycle and was stopped");
    } else if (stopped != null) {
      return new Failed(Failed.Kind.WALL_TIME, who + " ran past the wall-time budget of "
          + wallTimeBudgetNanos / 1_000_000L + " ms and was stopped");
    }
    return new Failed(Failed.Kind.THROWN, who + " threw " + rootCause(t));
  }

  private static String mib(long bytes) {
    return bytes >= 10L * 1024 * 1024 ? bytes / (1024 * 1024) + " MiB" : bytes / 1024 + " KiB";
  }

  /** The innermost cause, as {@code OutOfMemoryError: Java heap space}. */
  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** The rule set this host runs. */
  public RuleSet rules() {
    return rules;
  }

  /** Number of facts held (the clock fact excluded). */
  public int factCount() {
    return handles.size();
  }

  @Override
  public void close() {
    session.dispose();
  }

  /**
   * The outcome of one evaluation cycle.
   *
   * @param fired rule firings
   * @param actions what the rules decided, in firing order
   * @param budgetExceeded whether firing stopped at the budget (a rule loop, most likely)
   * @param wallTimeExceeded whether a right-hand side was stopped at the wall-time budget
   * @param allocationExceeded whether the cycle allocated more than the allocation budget (a loop
   *     was stopped at it, or the cycle was measured above it)
   * @param errorThrown whether a rule threw (an exception or an {@code Error} such as
   *     {@code OutOfMemoryError}); the session was kept and carries on
   * @param allocatedBytes bytes the cycle allocated on the decision thread, or -1 if the JVM
   *     cannot measure it
   * @param failure one line saying which rule failed and why, or null
   */
  public record Evaluation(int fired, List<Action> actions, boolean budgetExceeded, boolean wallTimeExceeded,
      boolean allocationExceeded, boolean errorThrown, long allocatedBytes, String failure) {
    public Evaluation(int fired, List<Action> actions, boolean budgetExceeded) {
      this(fired, actions, budgetExceeded, false, false, false, -1, null);
    }

    /** Whether the cycle exceeded a budget or a rule threw: what a health gate rolls back for. */
    public boolean failed() {
      return budgetExceeded || wallTimeExceeded || allocationExceeded || errorThrown;
    }
  }

  /** The {@code actions} global: records what rules decide, with the deciding rule's name. */
  static final class RecordingActions implements Actions {
    final List<Action> recorded = new ArrayList<>();
    String currentRule;

    @Override
    public void declareLost(Device device, String reason) {
      recorded.add(new Action.DeclareLost(device.getId(), device.getPhi(), reason, currentRule));
    }

    @Override
    public void exclude(String service, String deviceId, String reason) {
      recorded.add(new Action.Exclude(service, deviceId, reason, currentRule));
    }

    @Override
    public void quarantine(Device device, String reason) {
      recorded.add(new Action.Quarantine(device.getId(), reason, currentRule));
    }

    @Override
    public void release(Device device, String reason) {
      recorded.add(new Action.Release(device.getId(), reason, currentRule));
    }

    @Override
    public void migrate(String service, io.fogwise.protocol.Layer layer, String reason) {
      recorded.add(new Action.Migrate(service, layer, null, reason, currentRule));
    }

    @Override
    public void migrateTo(String service, String deviceId, String reason) {
      recorded.add(new Action.Migrate(service, null, deviceId, reason, currentRule));
    }

    @Override
    public void setReplicas(String service, int replicas, String reason) {
      recorded.add(new Action.SetReplicas(service, replicas, reason, currentRule));
    }

    @Override
    public void restart(io.fogwise.rules.model.Instance instance, String reason) {
      recorded.add(new Action.Restart(instance.getService(), instance.getDeviceId(), instance.getEpoch(), reason,
          currentRule));
    }

    @Override
    public void setParameter(String key, String value, String reason) {
      recorded.add(new Action.SetParameter(key, value, reason, currentRule));
    }

    @Override
    public void alert(String message) {
      recorded.add(new Action.Alert(message, currentRule));
    }
  }
}
