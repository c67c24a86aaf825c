package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.required;

/**
 * An operator's request on {@code fw.gw.<gatewayId>.svc}; answered with a {@link ServiceResponse}.
 *
 * @param op what to do
 * @param spec the spec to apply (APPLY)
 * @param name the service concerned (DELETE, GET)
 */
public record ServiceRequest(Op op, ServiceSpec spec, String name) {
  public ServiceRequest {
    required(op, "op");
    if (op == Op.APPLY) {
      required(spec, "spec");
    }
    if (op == Op.DELETE || op == Op.GET) {
      Checks.id(name, "name");
    }
  }

  /** The operations. */
  public enum Op {
    APPLY,
    DELETE,
    GET,
    LIST
  }

  public static ServiceRequest apply(ServiceSpec spec) {
    return new ServiceRequest(Op.APPLY, spec, null);
  }

  public static ServiceRequest delete(String name) {
    return new ServiceRequest(Op.DELETE, null, name);
  }

  public static ServiceRequest list() {
    return new ServiceRequest(Op.LIST, null, null);
  }
}
