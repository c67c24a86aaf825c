package io.fogwise.gateway.core;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.DeviceState;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's service requests (apply, delete, get, list, move) and rules' moves: each
 * checked against live state and answered with what changed or why nothing did.
 */
final class ServiceRequests {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceRequests.class);

  private final EngineState s;
  private final Reads reads;

  ServiceRequests(EngineState s, Reads reads) {
    this.s = s;
    this.reads = reads;
  }

  ServiceResponse handle(ServiceRequest req) {
    switch (req.op()) {
      case APPLY -> {
        ServiceSpec spec = req.spec();
        ServiceSpec before = s.desired.spec(spec.name());
        if (spec.equals(before)) {
          return ServiceResponse.ok(List.of(spec)).withOutcome("unchanged");
        }
        String unrunnable = unrunnableKind(spec);
        if (unrunnable != null) {
          return ServiceResponse.error("kind", unrunnable);
        }
        s.desired.apply(spec);
        s.dirtyServices.add(spec.name());
        s.reconciler.succeeded(spec.name()); // a changed spec is tried afresh, without the old back-off
        LOG.info("service {} applied: {} x{} placement {}", spec.name(), spec.kind(), spec.replicas(), spec.placement());
        s.emit(AdaptationEvent.Type.SERVICE_APPLIED, null, spec.name(), 0, null,
            "service " + spec.name() + " " + (before == null ? "created" : "configured") + " (" + spec.replicas()
                + " replicas)", Map.of());
        return ServiceResponse.ok(List.of(spec)).withOutcome(before == null ? "created" : "configured");
      }
      case DELETE -> {
        ServiceSpec spec = s.desired.spec(req.name());
        if (spec == null || !s.desired.delete(req.name())) {
          return unknown(req.name());
        }
        s.dirtyServices.add(req.name());
        s.emit(AdaptationEvent.Type.SERVICE_DELETED, null, req.name(), 0, null, "service " + req.name() + " deleted",
            Map.of());
        return ServiceResponse.ok(List.of(spec));
      }
      case GET -> {
        ServiceSpec spec = s.desired.spec(req.name());
        return spec == null ? unknown(req.name()) : ServiceResponse.ok(List.of(spec));
      }
      case LIST -> {
        return ServiceResponse.ok(List.copyOf(s.desired.specs()));
      }
      case MOVE -> {
        return move(req.name(), req.toLayer(), req.toDevice(), true);
      }
      default -> throw new IllegalStateException("unhandled op " + req.op());
    }
  }

  /**
   * Why no device of this gateway can run {@code spec}'s kind, or null if one can (or some device
   * does not say what it runs). The kinds come from the devices' heartbeats, so a device with a
   * new container image makes its kind acceptable.
   */
  private String unrunnableKind(ServiceSpec spec) {
    java.util.Set<String> offered = reads.offeredKinds();
    String kind = spec.instanceKind();
    if (offered.isEmpty() || offered.contains(kind)) {
      return null;
    }
    return "no device of gateway " + s.gatewayId + " runs kind '" + kind + "'" + (spec.kind() == null
        ? " (a spec with only an image needs an agent with --runtime docker)" : "") + "; its devices offer: "
        + String.join(", ", offered) + " (an agent with --runtime docker offers the kinds of its --image options)";
  }

  private static ServiceResponse unknown(String name) {
    return ServiceResponse.error("name", "no service named '" + name + "'");
  }

  /**
   * Moves {@code name} to a layer or to a device, if some alive device can take it; the
   * reconciler does the move. An {@code operator}'s move to a named device overrides an
   * automatic exclusion from it (and says so); a rule's move does not.
   */
  ServiceResponse move(String name, Layer toLayer, String toDevice, boolean operator) {
    ServiceSpec spec = s.desired.spec(name);
    String note = null;
    long now = s.clock.millis();
    if (spec == null) {
      return unknown(name);
    }
    if (s.reconciler.migration(name) != null) {
      return ServiceResponse.error("name", "service '" + name + "' is already being moved");
    }
    String already = alreadyThere(spec, toLayer, toDevice);
    if (already != null) {
      return ServiceResponse.ok(List.of(spec)).withOutcome("unchanged").withNote(already);
    }
    String target;
    if (toLayer != null) {
      ServiceSpec moved = spec.withPlacement(new ServiceSpec.Placement(toLayer, spec.placement().labels()));
      boolean possible = s.registry.all().stream().anyMatch(d -> d.getState() == DeviceState.ALIVE
          && moved.placement().admits(d.getLayer(), d.getLabels()) && !s.desired.isExcluded(name, d.getId(), now)
          && (s.registry.kinds(d.getId()).isEmpty() || s.registry.kinds(d.getId()).contains(spec.instanceKind())));
      if (!possible) {
        return ServiceResponse.error("toLayer", "no alive device in layer " + toLayer + " admits service '" + name
            + "'" + (spec.placement().labels().isEmpty() ? "" : " (labels " + spec.placement().labels() + ")"));
      }
      s.desired.apply(moved);
      s.desired.prefer(name, null);
      target = "layer " + toLayer;
    } else {
      Device d = s.registry.get(toDevice);
      if (d == null || d.getState() != DeviceState.ALIVE) {
        return ServiceResponse.error("toDevice", "device '" + toDevice + "' is " + (d == null ? "unknown" : "lost"));
      }
      if (d.isQuarantined()) {
        return ServiceResponse.error("toDevice", "device '" + toDevice + "' is quarantined");
      }
      if (!spec.placement().admits(d.getLayer(), d.getLabels())) {
        return ServiceResponse.error("toDevice", "device '" + d.getId() + "' (" + d.getLayer() + " " + d.getLabels()
            + ") does not satisfy the placement of '" + name + "' (" + (spec.placement().layer() == null ? "any layer"
            : spec.placement().layer()) + " " + spec.placement().labels() + "); move it to that layer with toLayer first");
      }
      java.util.List<String> kinds = s.registry.kinds(d.getId());
      if (!kinds.isEmpty() && !kinds.contains(spec.instanceKind())) {
        return ServiceResponse.error("toDevice", "device '" + d.getId() + "' does not run kind '" + spec.instanceKind()
            + "'; it offers: " + String.join(", ", kinds));
      }
      if (operator && s.desired.unexclude(name, d.getId())) {
        // an operator who names the device knows better than an automatic exclusion
        note = "overrides the automatic exclusion of " + name + " from " + d.getId();
        s.emit(AdaptationEvent.Type.EXCLUSION_LIFTED, d.getId(), name, 0, null, "the operator moved " + name + " to "
            + d.getId() + ": " + note, Map.of("cause", "operator"));
      } else if (s.desired.isExcluded(name, d.getId(), now)) {
        return ServiceResponse.error("toDevice", "service '" + name + "' is excluded from device '" + d.getId() + "'");
      }
      s.desired.prefer(name, d.getId());
      target = "device " + d.getId();
    }
    s.dirtyServices.add(name);
    LOG.info("service {} to be moved to {}{}", name, target, note == null ? "" : " (" + note + ")");
    s.emit(AdaptationEvent.Type.SERVICE_APPLIED, null, name, 0, null, "service " + name + " to be moved to " + target
        + (note == null ? "" : " (" + note + ")"), Map.of("move", target));
    ServiceResponse ok = ServiceResponse.ok(List.of(s.desired.spec(name))).withOutcome("moving");
    return note == null ? ok : ok.withNote(note);
  }

  /**
   * Where {@code spec} already is, if a move to {@code toLayer} or {@code toDevice} would change
   * nothing: the spec asks for that layer (or prefers that device) and every instance runs there.
   */
  private String alreadyThere(ServiceSpec spec, Layer toLayer, String toDevice) {
    List<io.fogwise.gateway.core.reconcile.Placement> mine = s.reconciler.placements().stream()
        .filter(p -> p.service().equals(spec.name())).toList();
    if (mine.size() < spec.replicas()) {
      return null;
    }
    List<String> where = new java.util.ArrayList<>();
    for (io.fogwise.gateway.core.reconcile.Placement p : mine) {
      Device d = s.registry.get(p.deviceId());
      boolean there = toLayer != null ? d != null && d.getLayer() == toLayer : p.deviceId().equals(toDevice);
      if (!there || p.state() != io.fogwise.gateway.core.reconcile.Placement.State.RUNNING) {
        return null;
      }
      where.add(p.deviceId());
    }
    if (toLayer != null && spec.placement().layer() != toLayer) {
      return null;
    }
    if (toDevice != null && !toDevice.equals(s.desired.preferred(spec.name())) && spec.replicas() > 1) {
      return null;
    }
    return spec.name() + " already runs " + (toLayer != null ? "in layer " + toLayer : "on device " + toDevice)
        + " (on " + String.join(", ", where) + "); nothing to move";
  }
}
