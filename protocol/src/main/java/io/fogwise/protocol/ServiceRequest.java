package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.required;

/**
 * An operator's request on {@code fw.gw.<gatewayId>.svc}; answered with a {@link ServiceResponse}.
 *
 * @param op what to do
 * @param spec the spec to apply (APPLY)
 * @param name the service concerned (DELETE, GET, MOVE); for DESCRIBE, DEVICES and EVENTS an
 *     optional filter (one service, one device, events about that service or device)
 * @param toLayer MOVE: the layer to move to
 * @param toDevice MOVE: the device to move to
 */
public record ServiceRequest(Op op, ServiceSpec spec, String name, Layer toLayer, String toDevice) {
  public ServiceRequest {
    required(op, "op");
    if (op == Op.APPLY) {
      required(spec, "spec");
    }
    if (op == Op.DELETE || op == Op.GET || op == Op.MOVE) {
      Checks.id(name, "name");
    }
    if (op == Op.MOVE && (toLayer == null) == (toDevice == null)) {
      throw new ProtocolViolation(RejectReason.MISSING_FIELD, "toLayer", "MOVE needs exactly one of 'toLayer' or 'toDevice'");
    }
    if (name != null) {
      Checks.id(name, "name");
    }
    if (toDevice != null) {
      Checks.id(toDevice, "toDevice");
    }
  }

  /** The operations. */
  public enum Op {
    APPLY,
    DELETE,
    GET,
    LIST,
    /** Planned, make-before-break migration to a layer or a device. */
    MOVE,
    /** Services with where they run, whether they are ready and why not ({@link ServiceState}). */
    DESCRIBE,
    /** The gateway's devices ({@link DeviceSummary}). */
    DEVICES,
    /** The gateway's recent adaptation events, oldest first. */
    EVENTS,
    /** The gateway's status summary and its problems. */
    STATUS
  }

  /** A read: DESCRIBE, DEVICES, EVENTS or STATUS, about {@code name} or (null) everything. */
  public static ServiceRequest read(Op op, String name) {
    if (op != Op.DESCRIBE && op != Op.DEVICES && op != Op.EVENTS && op != Op.STATUS) {
      throw new IllegalArgumentException(op + " is not a read");
    }
    return new ServiceRequest(op, null, name, null, null);
  }

  public static ServiceRequest apply(ServiceSpec spec) {
    return new ServiceRequest(Op.APPLY, spec, null, null, null);
  }

  public static ServiceRequest delete(String name) {
    return new ServiceRequest(Op.DELETE, null, name, null, null);
  }

  public static ServiceRequest list() {
    return new ServiceRequest(Op.LIST, null, null, null, null);
  }

  public static ServiceRequest get(String name) {
    return new ServiceRequest(Op.GET, null, name, null, null);
  }

  public static ServiceRequest moveToLayer(String name, Layer layer) {
    return new ServiceRequest(Op.MOVE, null, name, layer, null);
  }

  public static ServiceRequest moveToDevice(String name, String deviceId) {
    return new ServiceRequest(Op.MOVE, null, name, null, deviceId);
  }
}
