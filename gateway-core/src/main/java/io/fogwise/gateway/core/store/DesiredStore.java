package io.fogwise.gateway.core.store;

import java.util.Optional;

/** Where a gateway keeps its {@link DesiredSnapshot} and the policy bundles it runs. */
public interface DesiredStore {

  /**
   * What {@link #load()} found.
   *
   * @param snapshot the last saved snapshot, if there is one that parses
   * @param setAside when the saved snapshot did not parse: where it was copied and why (the
   *     gateway starts without it and reports this), else empty
   */
  record Loaded(Optional<DesiredSnapshot> snapshot, Optional<String> setAside) {
    /** Nothing saved. */
    public static final Loaded NOTHING = new Loaded(Optional.empty(), Optional.empty());
  }

  /**
   * The last saved snapshot. One that does not parse is never a reason not to start: it is
   * copied aside, removed, and described in {@link Loaded#setAside()}.
   */
  Loaded load() throws Exception;

  /** Saves {@code snapshot}, replacing the previous one. */
  void save(DesiredSnapshot snapshot) throws Exception;

  /**
   * Keeps the encoded, signed bundle {@code scope} runs now, so the gateway can restore it when
   * the policy bucket no longer has it (deleted, purged, pointer moved). Nothing keeps nothing.
   */
  default void savePolicy(String scope, byte[] bundle) throws Exception {}

  /** The bundle saved for {@code scope}, if any. */
  default Optional<byte[]> loadPolicy(String scope) throws Exception {
    return Optional.empty();
  }

  /** A store that keeps nothing (tests, or a gateway that should start afresh). */
  static DesiredStore none() {
    return NoStore.INSTANCE;
  }

}

final class NoStore implements DesiredStore {
  static final NoStore INSTANCE = new NoStore();

  @Override
  public Loaded load() {
    return Loaded.NOTHING;
  }

  @Override
  public void save(DesiredSnapshot snapshot) {}
}
