package io.fogwise.edge;

/**
 * A hosted service that holds NATS credentials of its own outside the agent (a container): the
 * agent passes a RENEW's new credentials on to it.
 */
public interface RenewableService {

  /**
   * Hands the instance {@code credentials} ({@code .creds} text) to use from its next (re)connect.
   *
   * @throws IllegalStateException when the instance cannot take them now (the RENEW's error reply)
   */
  void renew(String credentials);
}
