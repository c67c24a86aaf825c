package io.fogwise.gateway.orchestrator;

import io.fogwise.identity.InstanceSigner;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.Subjects;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The credentials of the instances a gateway starts: attached to each START, and renewed with a
 * RENEW command while the instance runs when they expire.
 */
public interface InstanceCredentials {

  /** For a hub without authentication ({@code --insecure}): START goes out without credentials. */
  static InstanceCredentials none() {
    return new InstanceCredentials() {
      @Override
      public Command attach(Command command) {
        return command;
      }

      @Override
      public String fresh(String service, String app, long epoch) {
        throw new IllegalStateException("no instance credentials on a hub without authentication");
      }

      @Override
      public Optional<Duration> renewAfter() {
        return Optional.empty();
      }
    };
  }

  /**
   * Credentials signed by this gateway's scoped instance key, valid for {@code ttl}
   * ({@link Duration#ZERO}: no expiry) and renewed when half of it has passed: the service's
   * name and data application are in the JWT, and the key's template turns them into the only
   * subjects the instance may use. A service without an {@code app} in its configuration gets
   * {@link Subjects#DEFAULT_APP}'s, the one the built-in publisher and subscriber then use
   * (without it they would be refused every message).
   */
  static InstanceCredentials signedBy(InstanceSigner signer, Duration ttl) {
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || (!ttl.isZero() && ttl.toSeconds() < 2)) {
      throw new IllegalArgumentException("instance credential lifetime must be 0 (no expiry) or at least 2 s, got " + ttl);
    }
    return new InstanceCredentials() {
      @Override
      public Command attach(Command command) {
        return command.withCredentials(fresh(command.service(), command.config().get("app"), command.epoch()));
      }

      @Override
      public String fresh(String service, String app, long epoch) {
        return signer.issue(service, app == null || app.isBlank() ? Subjects.DEFAULT_APP : app.trim(), epoch, ttl)
            .format();
      }

      @Override
      public Optional<Duration> renewAfter() {
        return ttl.isZero() ? Optional.empty() : Optional.of(ttl.dividedBy(2));
      }
    };
  }

  /**
   * {@code command} (a START) with credentials attached.
   *
   * @throws RuntimeException saying why the credentials cannot be issued
   */
  Command attach(Command command);

  /** New credentials ({@code .creds} text) for epoch {@code epoch} of {@code service}. */
  String fresh(String service, String app, long epoch);

  /** How old credentials may get before they are renewed; empty when they do not expire. */
  Optional<Duration> renewAfter();
}
