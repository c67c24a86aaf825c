package io.fogwise.containers;

/**
 * The labels Fogwise puts on containers, Swarm services and Swarm nodes. Every adapter finds and
 * cleans up only what carries its own owner's label: an agent only its device's containers, a
 * gateway only its own Swarm services.
 */
public final class Labels {
  /** The device (agent) a container belongs to; on a Swarm node, the Fogwise device it is. */
  public static final String DEVICE = "fogwise.device";
  /** The Fogwise service an instance belongs to. */
  public static final String SERVICE = "fogwise.service";
  /** The instance's epoch (fencing: a container of an older epoch is stopped). */
  public static final String EPOCH = "fogwise.epoch";
  /** The gateway that created a Swarm service (and may remove it). */
  public static final String GATEWAY = "fogwise.gateway";
  /** The service kind the instance runs. */
  public static final String KIND = "fogwise.kind";
  /**
   * {@code true} on a warm spare: a booted instance container not yet assigned (its service and
   * epoch are in its name once it is; labels cannot change after creation).
   */
  public static final String SPARE = "fogwise.spare";
  /** The Swarm node label that holds a node's layer (CLOUD, FOG, EDGE), as in the paper. */
  public static final String LAYER = "layer";

  private Labels() {}
}
