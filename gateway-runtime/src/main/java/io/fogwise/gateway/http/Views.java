package io.fogwise.gateway.http;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.rules.model.DeviceState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the HTTP API that are not protocol messages. Each is an immutable copy
 * taken on the decision thread, so it can be serialized on the event loop.
 */
final class Views {
  private Views() {}

  /** One device as the registry sees it. */
  record DeviceView(
      String id,
      Layer layer,
      String deviceClass,
      Map<String, String> labels,
      DeviceState state,
      double phi,
      long silenceMs,
      Double cpuLoad,
      Double temperatureC,
      Double batteryPct,
      int instances,
      List<String> kinds) {

    static DeviceView of(io.fogwise.rules.model.Device d, List<String> kinds) {
      return new DeviceView(d.getId(), d.getLayer(), d.getDeviceClass(), Map.copyOf(d.getLabels()), d.getState(),
          d.getPhi(), d.getSilenceMs(), d.getCpuLoad(), d.getTemperatureC(), d.getBatteryPct(), d.getInstances(),
          List.copyOf(kinds));
    }
  }

  /** One placed instance of a service. */
  record PlacementView(String service, String deviceId, long epoch, Placement.State state) {}

  /** A declared service and where its instances are. */
  record ServiceView(ServiceSpec spec, List<PlacementView> placements) {}

  /** The body of {@code POST /services/{name}/move}: exactly one of the two. */
  record MoveRequest(Layer toLayer, String toDevice) {}

  /** Every device, by id. Runs on the decision thread. */
  static List<DeviceView> devices(GatewayEngine engine) {
    return engine.registry().all().stream()
        .map(d -> DeviceView.of(d, engine.registry().kinds(d.getId())))
        .sorted(Comparator.comparing(DeviceView::id))
        .toList();
  }

  /** Every declared service with its placements, by name. Runs on the decision thread. */
  static List<ServiceView> services(GatewayEngine engine) {
    List<Placement> placements = engine.placements();
    List<ServiceView> out = new ArrayList<>();
    for (ServiceSpec spec : engine.handle(ServiceRequest.list()).services()) {
      List<PlacementView> mine = placements.stream()
          .filter(p -> p.service().equals(spec.name()))
          .map(p -> new PlacementView(p.service(), p.deviceId(), p.epoch(), p.state()))
          .toList();
      out.add(new ServiceView(spec, mine));
    }
    out.sort(Comparator.comparing(v -> v.spec().name()));
    return out;
  }
}
