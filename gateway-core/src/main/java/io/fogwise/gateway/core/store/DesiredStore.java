package io.fogwise.gateway.core.store;

import java.util.Optional;

/** Where a gateway keeps its {@link DesiredSnapshot}. */
public interface DesiredStore {

  /** The last saved snapshot, if any. */
  Optional<DesiredSnapshot> load() throws Exception;

  /** Saves {@code snapshot}, replacing the previous one. */
  void save(DesiredSnapshot snapshot) throws Exception;

  /** A store that keeps nothing (tests, or a gateway that should start afresh). */
  static DesiredStore none() {
    return NoStore.INSTANCE;
  }

}

final class NoStore implements DesiredStore {
  static final NoStore INSTANCE = new NoStore();

  @Override
  public Optional<DesiredSnapshot> load() {
    return Optional.empty();
  }

  @Override
  public void save(DesiredSnapshot snapshot) {}
}
