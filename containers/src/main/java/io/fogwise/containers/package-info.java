/**
 * What every Fogwise part that drives a Docker engine shares: the client ({@link
 * io.fogwise.containers.DockerClients}, docker-java with the httpclient5 transport, API 1.41 for
 * Debian's engine), the labels Fogwise puts on what it creates ({@link io.fogwise.containers.Labels}),
 * the environment an instance container is configured by ({@link io.fogwise.containers.InstanceEnv})
 * and the default image of each service kind ({@link io.fogwise.containers.Images}).
 */
package io.fogwise.containers;
