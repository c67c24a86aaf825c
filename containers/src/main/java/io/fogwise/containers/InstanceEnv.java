package io.fogwise.containers;

/**
 * The environment an instance container is configured by: what the agent (the {@code docker}
 * runtime) or the gateway (the {@code swarm} adapter) sets, and what the image's entry point
 * ({@code io.fogwise.edge.container.InstanceMain}, {@code fogwise instance}) reads. The same
 * names as the CLI's where they mean the same thing.
 *
 * <p>The control endpoint ({@link #CONTROL_PORT}) is how the agent probes the instance's health
 * and hands it over: HTTP on 127.0.0.1 of the container's (host) network, every request carrying
 * {@code Authorization: Bearer <FW_CONTROL_TOKEN>}:
 * <ul>
 *   <li>{@code GET /health} → {@code {"state":"RUNNING|RESTARTING|STANDBY","restarts":n,"outputs":n|null}}</li>
 *   <li>{@code POST /handover} → {@code {"next":n|null}} (stops output, keeps running)</li>
 *   <li>{@code POST /activate?number=N} → {@code {"changed":true|false}}</li>
 *   <li>{@code POST /renew} with the new {@code .creds} text as body → 204</li>
 * </ul>
 */
public final class InstanceEnv {
  /** The hub: {@code nats://} or {@code tls://host:port}. */
  public static final String NATS_URL = "FW_NATS_URL";
  /** The gateway the instance's device reports to (the same name as everywhere else). */
  public static final String GATEWAY = "FW_GATEWAY_ID";
  /**
   * The name {@link #GATEWAY} had before: still set beside it, so an image built before the
   * rename runs, and still read (with a warning) when {@link #GATEWAY} is absent.
   */
  public static final String GATEWAY_DEPRECATED = "FW_GATEWAY";
  /** The device the instance runs on. */
  public static final String DEVICE = "FW_DEVICE_ID";
  /** The service name. */
  public static final String SERVICE = "FW_SERVICE";
  /** The service kind (publisher, subscriber, ...). */
  public static final String KIND = "FW_KIND";
  /** The instance's epoch. */
  public static final String EPOCH = "FW_EPOCH";
  /** The service configuration, a JSON object of strings. */
  public static final String CONFIG = "FW_CONFIG";
  /** {@code true}: start idle until activated (a planned move's successor). */
  public static final String STANDBY = "FW_STANDBY";
  /** The control endpoint's port on 127.0.0.1; absent or 0: no endpoint (no hand-over, no probe). */
  public static final String CONTROL_PORT = "FW_CONTROL_PORT";
  /** The bearer token the control endpoint requires. */
  public static final String CONTROL_TOKEN = "FW_CONTROL_TOKEN";
  /** The instance's own NATS credentials, the {@code .creds} text. */
  public static final String CREDS = "FW_INSTANCE_CREDS";
  /** The same, as a file (a Swarm secret under /run/secrets). */
  public static final String CREDS_FILE = "FW_INSTANCE_CREDS_FILE";
  /** The CA certificate (PEM) file that signs the hub's TLS certificate. */
  public static final String CA = "FW_CA";
  /**
   * {@code true}: a warm spare — the JVM boots and waits on its control endpoint for {@code POST
   * /assign} with the instance's variables (a JSON object); only {@link #CONTROL_PORT} and {@link
   * #CONTROL_TOKEN} (and the CA's mount) are needed up front.
   */
  public static final String SPARE = "FW_SPARE";
  /** {@code true}: the hub runs without authentication (development only). */
  public static final String INSECURE = "FW_INSECURE";

  private InstanceEnv() {}
}
