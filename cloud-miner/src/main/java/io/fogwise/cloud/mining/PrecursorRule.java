package io.fogwise.cloud.mining;

import java.util.List;

/**
 * A tree path that became a rule.
 *
 * @param number its number in the generated file, from 1
 * @param conditions the path's tests, one per feature and direction
 * @param support training windows on the path that died within the horizon
 * @param matched training windows on the path
 * @param confidence support / matched
 * @param validationDevices held-out devices the path matched
 * @param validationDied of those, how many died within the horizon
 * @param validationLeadMs median time from the first match to the loss on held-out data
 */
public record PrecursorRule(int number, List<Condition> conditions, int support, int matched, double confidence,
    int validationDevices, int validationDied, long validationLeadMs) {
  public PrecursorRule {
    conditions = List.copyOf(conditions);
  }

  PrecursorRule numbered(int n) {
    return new PrecursorRule(n, conditions, support, matched, confidence, validationDevices, validationDied,
        validationLeadMs);
  }

  /** The rule's name in DRL. */
  public String name() {
    return "mined: failure precursor " + number;
  }
}
