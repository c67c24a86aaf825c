/**
 * Who may do what on the bus: Fogwise's operator, its two accounts (the fleet and the NATS
 * system account), one user per device, gateway, cloud service and operator with least-privilege
 * permissions per {@link io.fogwise.identity.Role}, a per-gateway scoped key for the short-lived
 * credentials of hosted instances, the certificate authority for TLS, and revocation pushed to a
 * running hub. {@link io.fogwise.identity.IdentityHome} is the door.
 */
package io.fogwise.identity;
