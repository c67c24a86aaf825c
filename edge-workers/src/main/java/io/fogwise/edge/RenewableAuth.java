package io.fogwise.edge;

import io.fogwise.protocol.auth.Credentials;
import io.nats.client.AuthHandler;
import io.nats.client.Nats;
import java.util.Objects;

/**
 * The authentication of an instance's own connection, whose credentials the gateway renews
 * (RENEW) before they expire: every (re)connect signs with the newest.
 */
final class RenewableAuth implements AuthHandler {
  private volatile AuthHandler current;
  private volatile Credentials credentials;

  RenewableAuth(Credentials initial) {
    renew(initial);
  }

  /** Uses {@code next} from the next (re)connect on. */
  void renew(Credentials next) {
    Objects.requireNonNull(next, "next");
    this.credentials = next;
    this.current = Nats.staticCredentials(next.jwt().toCharArray(), next.seed());
  }

  /** The credentials in use. */
  Credentials credentials() {
    return credentials;
  }

  @Override
  public byte[] sign(byte[] nonce) {
    return current.sign(nonce);
  }

  @Override
  public char[] getID() {
    return current.getID();
  }

  @Override
  public char[] getJWT() {
    return current.getJWT();
  }
}
