package io.fogwise.gateway.orchestrator;

import io.fogwise.identity.InstanceSigner;
import io.fogwise.protocol.Command;
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
   * into the only subjects the instance may use.
   */
  static InstanceCredentials signedBy(InstanceSigner signer, Duration ttl) {
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(ttl, "ttl");
    return command -> command.withCredentials(
        signer.issue(command.service(), command.config().get("app"), command.epoch(), ttl).format());
  }

  /**
   * {@code command} (a START) with credentials attached.
   *
   * @throws RuntimeException saying why the credentials cannot be issued
   */
  Command attach(Command command);
}
