package io.fogwise.gateway.lease;

/**
 * Another live process holds the gateway id; the message says which and what to do, in one line.
 */
public final class LeaseHeldException extends Exception {
  private final transient GatewayLease holder;

  LeaseHeldException(String message, GatewayLease holder) {
    super(message, null, false, false);
    this.holder = holder;
  }

  /** The lease as read from the store, or null when its value did not parse. */
  public GatewayLease holder() {
    return holder;
  }
}
