package io.fogwise.edge;

/**
 * A {@link ServiceFactory} whose instances run as containers rather than in the agent's JVM: it
 * gets what the START carried (the instance's credentials, image, limits) with the context. The
 * agent opens no NATS connection for such an instance: the container opens its own.
 */
public interface ContainerFactory extends ServiceFactory {

  /**
   * A new, not yet running instance; quick and non-blocking apart from a check that its image
   * exists. An {@link IllegalArgumentException} becomes the START's error reply.
   */
  HostedService create(ServiceContext context, InstanceLaunch launch);

  @Override
  default HostedService create(ServiceContext context) {
    throw new IllegalArgumentException("kind '" + context.kind() + "' runs as a container and needs the START's settings");
  }
}
