package io.fogwise.cloud.history;

/** What a mining pass found and did, for the operator. */
public interface MiningOutcome {
  /** One or a few lines a user reads: what was found, what was published or proposed, or why nothing. */
  String summary();
}
