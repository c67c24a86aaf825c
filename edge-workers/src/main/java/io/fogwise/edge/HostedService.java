package io.fogwise.edge;

/**
 * A long-running service instance hosted by an {@link EdgeAgent}.
 *
 * <p>The agent calls {@link #run()} on a thread of its own. {@code run()} does the work until
 * {@link ServiceContext#isStopping()} becomes true, then cleans up and returns; waiting should
 * be done with {@link ServiceContext#awaitStop(java.time.Duration)} so that a stop request
 * ends the wait at once (the agent also interrupts the thread if it does not return within a
 * grace period).
 *
 * <p>If {@code run()} throws, or returns without being asked to stop, the agent counts a crash
 * and calls {@code run()} again on the same object after an exponential back-off. State kept
 * in fields (such as a publisher's next message number) therefore survives a crash.
 */
@FunctionalInterface
public interface HostedService {

  /** Runs until the context says stop; throwing means the instance crashed. */
  void run() throws Exception;
}
