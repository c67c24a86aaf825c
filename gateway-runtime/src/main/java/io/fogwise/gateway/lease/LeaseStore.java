package io.fogwise.gateway.lease;

import java.util.Optional;

/** Where a lease lives, with compare-and-set writes (JetStream KV, or memory in tests). */
interface LeaseStore {

  /**
   * The stored lease and the revision to compare against.
   *
   * @param lease the lease, or null when the stored value does not parse
   * @param revision the revision of the stored value
   */
  record Versioned(GatewayLease lease, long revision) {}

  /** The current lease, empty when there is none (never written, or deleted). */
  Optional<Versioned> read() throws Exception;

  /** Writes {@code lease} if there is none; returns its revision. */
  long create(GatewayLease lease) throws Conflict, Exception;

  /** Writes {@code lease} if the stored revision is still {@code revision}; returns the new one. */
  long update(GatewayLease lease, long revision) throws Conflict, Exception;

  /**
   * A number above every epoch ever written here (the store's last revision), so a lease
   * created after the key was deleted by hand still gets a higher epoch than any before.
   */
  long epochFloor() throws Exception;

  /** Where, for messages: {@code KV bucket fw-desired-gw-1 key lease}. */
  String where();

  /** The compare-and-set failed: someone else wrote in between. */
  final class Conflict extends Exception {
    Conflict(String message) {
      super(message, null, false, false);
    }
  }
}
