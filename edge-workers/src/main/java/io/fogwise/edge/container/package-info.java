/**
 * The {@code docker} runtime of an edge agent: its services run as containers on a Docker engine
 * (docker-java) instead of in its own JVM. {@link io.fogwise.edge.container.DockerRuntime} gives the
 * agent a container factory per kind; each instance is a
 * {@link io.fogwise.edge.container.ContainerService} that the agent hosts like any other service
 * (crash restarts with back-off, standby, hand-over), probing the container's control endpoint.
 */
package io.fogwise.edge.container;
