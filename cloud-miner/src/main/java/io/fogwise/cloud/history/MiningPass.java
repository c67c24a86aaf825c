package io.fogwise.cloud.history;

/** One mining pass over a snapshot of the history; run by the leading miner instance only. */
@FunctionalInterface
public interface MiningPass {
  /** Mines {@code history}; may take seconds. */
  MiningOutcome mine(History history);

  /** The pass of a miner that has no mining configured: it says so. */
  static MiningPass none() {
    return history -> () -> "no miner configured";
  }
}
