package io.fogwise.edge;

import io.nats.client.Connection;
import java.time.Duration;

/**
 * Optional capability of a {@link HostedService} whose NATS traffic can move to another server
 * without losing a message (a hub move, {@code fogwise hub move}): make-before-break, in two
 * steps the agent takes on its control thread while {@link HostedService#run()} may be running.
 *
 * <ol>
 *   <li>{@link #attach}: the service starts taking traffic on the new connection as well
 *       (subscribing there too, dropping the second copy of each message that arrives both ways);
 *   <li>{@link #detach}: it stops using the old connection: nothing is published on it after
 *       this returns, its subscriptions there are closed, and everything it sends goes to the new
 *       one. The agent then closes the old connection.
 * </ol>
 *
 * The two servers must carry the application's data between them (a leaf node, or a cluster)
 * until every instance has detached, so that a publisher and a subscriber on different servers
 * still reach each other during the move.
 */
public interface HubMove {

  /**
   * Starts taking traffic on {@code next} too. Returns once traffic arrives there, or after
   * {@code timeout} if none does (a service with nothing to receive returns at once).
   *
   * @throws UnsupportedOperationException if this configuration cannot move (the answer says why)
   */
  void attach(Connection next, Duration timeout) throws Exception;

  /** Stops using the connection it used before {@link #attach}; from now on only {@code next} is used. */
  void detach() throws Exception;
}
