/**
 * The paper's two services, hosted by an {@link io.fogwise.edge.EdgeAgent}: a rate-driven
 * {@link io.fogwise.edge.services.Publisher} and a {@link io.fogwise.edge.services.Subscriber}
 * that measures loss, duplicates and end-to-end latency per publishing service.
 */
package io.fogwise.edge.services;
