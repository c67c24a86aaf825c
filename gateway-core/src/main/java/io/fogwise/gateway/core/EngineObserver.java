package io.fogwise.gateway.core;

import io.fogwise.rules.Action;

/**
 * Sees what the engine decides, as it decides it: the scenario kit records rule actions and
 * rule failures with it. Called on the decision thread; must not block.
 */
public interface EngineObserver {
  /** The rules returned {@code action} in a cycle (before it is applied). */
  default void actionDecided(Action action) {}

  /** A cycle's rules failed or exceeded a budget; {@code why} is one line. */
  default void ruleFailed(String why) {}

  /** An observer that sees nothing. */
  static EngineObserver none() {
    return new EngineObserver() { };
  }
}
