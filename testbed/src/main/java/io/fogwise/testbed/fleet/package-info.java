/**
 * The fleet simulator of the cloud pattern miner's benchmark (issue 16): fleets of devices with
 * hidden failure modes, harmless look-alikes, sudden crashes, heartbeat jitter and telemetry
 * noise, generated deterministically from committed parameters ({@link
 * io.fogwise.testbed.fleet.FleetParameters}) and published to a real hub as a fleet and its
 * gateways would ({@link io.fogwise.testbed.fleet.FleetPublisher}). The labels stay in the
 * {@link io.fogwise.testbed.fleet.FleetTrace} for scoring; nothing published carries them.
 */
package io.fogwise.testbed.fleet;
