package io.fogwise.gateway.orchestrator;

import io.fogwise.identity.InstanceSigner;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.Subjects;
import java.time.Duration;
import java.util.Objects;

/** Adds a hosted instance's own NATS credentials to the START command that creates it. */
public interface InstanceCredentials {

  /** For a hub without authentication ({@code --insecure}): START goes out without credentials. */
  static InstanceCredentials none() {
    return command -> command;
  }

  /**
   * Credentials signed by this gateway's scoped instance key, valid for {@code ttl}: the
   * service's name and data application are in the JWT, and the key's template turns them
   * into the only subjects the instance may use. A service without an {@code app} in its
   * configuration gets {@link Subjects#DEFAULT_APP}'s, the one the built-in publisher and
   * subscriber then use (without it they would be refused every message).
   */
  static InstanceCredentials signedBy(InstanceSigner signer, Duration ttl) {
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(ttl, "ttl");
    return command -> command.withCredentials(
        signer.issue(command.service(), app(command), command.epoch(), ttl).format());
  }

  /** The data application the instance of {@code command} uses. */
  private static String app(Command command) {
    String app = command.config().get("app");
    return app == null || app.isBlank() ? Subjects.DEFAULT_APP : app.trim();
  }

  /**
   * {@code command} (a START) with credentials attached.
   *
   * @throws RuntimeException saying why the credentials cannot be issued
   */
  Command attach(Command command);
}
