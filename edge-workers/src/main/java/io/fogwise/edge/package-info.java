/**
 * The edge agent: one process per device that heartbeats to its gateway, reports telemetry,
 * and starts, stops and hands over the services the gateway places on it.
 *
 * <p>The doors are {@link io.fogwise.edge.EdgeAgent#start(AgentConfig)}, {@link
 * io.fogwise.edge.AgentConfig}, and the service SPI ({@link io.fogwise.edge.ServiceFactory},
 * {@link io.fogwise.edge.HostedService}, {@link io.fogwise.edge.ServiceContext}, and the optional
 * {@link io.fogwise.edge.Handover} for planned migration).
 */
package io.fogwise.edge;
