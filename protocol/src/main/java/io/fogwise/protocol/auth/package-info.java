/**
 * How a component proves who it is to the hub: a NATS credentials file (user JWT and nkey seed)
 * and the certificate authority that signed the hub's TLS certificate. {@link
 * io.fogwise.protocol.auth.NatsAuth} is applied to every connection by {@link
 * io.fogwise.protocol.NatsOptions}.
 */
package io.fogwise.protocol.auth;
