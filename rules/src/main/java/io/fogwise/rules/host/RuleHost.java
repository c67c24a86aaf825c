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
import org.kie.api.event.rule.BeforeMatchFiredEvent;
import org.kie.api.event.rule.DefaultAgendaEventListener;
import org.kie.api.runtime.KieSession;
import org.kie.api.runtime.KieSessionConfiguration;
import org.kie.api.runtime.conf.ClockTypeOption;
import org.kie.api.runtime.rule.ConsequenceException;
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

  private final RuleSet rules;
  private final Clock clock;
  private final int firingBudget;
  private final long wallTimeBudgetNanos;
  private int firedThisCycle;
  private int firingStartIndex;
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
   */
  public RuleHost(RuleSet rules, Clock clock, int firingBudget, Duration wallTimeBudget) {
    this.rules = Objects.requireNonNull(rules, "rules");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (firingBudget < 1) {
      throw new IllegalArgumentException("firingBudget must be >= 1, got " + firingBudget);
    }
    Objects.requireNonNull(wallTimeBudget, "wallTimeBudget");
    if (wallTimeBudget.isNegative() || wallTimeBudget.isZero()) {
      throw new IllegalArgumentException("wallTimeBudget must be positive, got " + wallTimeBudget);
    }
    this.firingBudget = firingBudget;
    this.wallTimeBudgetNanos = wallTimeBudget.toNanos();
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
          }
        });
    this.tick = new Tick(clock.millis());
    this.tickHandle = session.insert(tick);
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
   * firing budget times. A right-hand side still looping when the wall-time budget runs out is
   * stopped: the evaluation reports it, the actions of that one firing are dropped, and the
   * session stays usable.
   */
  public Evaluation evaluate() {
    long now = clock.millis();
    long delta = now - (clockBaseMillis + sessionClock.getCurrentTime());
    if (delta > 0) {
      sessionClock.advanceTime(delta, TimeUnit.MILLISECONDS);
    }
    tick.setNowMillis(now);
    session.update(tickHandle, tick);
    actions.recorded.clear();
    // Sandbox wall-time budget (io.fogwise.rules.sandbox): real elapsed time, not the rule
    // clock, because it guards the decision thread against a rule burning CPU.
    firedThisCycle = 0;
    String failure = null;
    int fired;
    Budget.enter(System.nanoTime() + wallTimeBudgetNanos);
    try {
      fired = session.fireAllRules(firingBudget);
    } catch (ConsequenceException e) {
      if (BudgetExceeded.in(e) == null) {
        throw e;
      }
      fired = firedThisCycle;
      actions.recorded.subList(Math.min(firingStartIndex, actions.recorded.size()), actions.recorded.size()).clear();
      failure = "rule \"" + actions.currentRule + "\" ran past the wall-time budget of "
          + wallTimeBudgetNanos / 1_000_000L + " ms and was stopped";
    } finally {
      Budget.exit();
    }
    List<Action> out = List.copyOf(actions.recorded);
    actions.recorded.clear();
    actions.currentRule = null;
    return new Evaluation(fired, out, fired >= firingBudget, failure != null, failure);
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
   * @param failure one line saying which rule was stopped and why, or null
   */
  public record Evaluation(
      int fired, List<Action> actions, boolean budgetExceeded, boolean wallTimeExceeded, String failure) {
    public Evaluation(int fired, List<Action> actions, boolean budgetExceeded) {
      this(fired, actions, budgetExceeded, false, null);
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
