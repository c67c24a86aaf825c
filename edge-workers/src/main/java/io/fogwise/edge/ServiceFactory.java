package io.fogwise.edge;

/**
 * Creates the {@link HostedService} for one kind of service (publisher, subscriber, ...).
 *
 * <p>{@link #create(ServiceContext)} is called while the agent answers a START command, so it
 * must be quick and must not block: read and validate the configuration, allocate state, and
 * leave the work (subscribing, publishing) to {@link HostedService#run()}. An
 * {@link IllegalArgumentException} thrown here becomes the START command's error reply.
 */
@FunctionalInterface
public interface ServiceFactory {

  /** A new, not yet running service for {@code context}; validates the configuration. */
  HostedService create(ServiceContext context);
}
