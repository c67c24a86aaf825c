package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.nonNegative;

/**
 * The paper's application message on {@code fw.data.<app>.<channel>}: a publisher's message
 * number and its local time, from which subscribers compute end-to-end latency.
 *
 * @param publisherId the device hosting the publisher instance
 * @param service the publishing service
 * @param epoch the publisher instance's epoch; a higher epoch supersedes a lower one
 * @param number message number within the epoch, from 0 unless handed over
 * @param epochNanos publisher wall time in nanoseconds since the Unix epoch
 */
public record AppMessage(String publisherId, String service, long epoch, long number, long epochNanos) {
  public AppMessage {
    id(publisherId, "publisherId");
    id(service, "service");
    nonNegative(epoch, "epoch");
    nonNegative(number, "number");
    nonNegative(epochNanos, "epochNanos");
  }
}
