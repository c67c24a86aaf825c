package io.fogwise.gateway.swarm;

import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.SwarmNodeState;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.fogwise.containers.Labels;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One poll of the Swarm turned into Fogwise terms: which nodes are devices, which instances run
 * where (one instance per Swarm service and epoch), and how far a wanted instance has got. Pure:
 * built from the engine's listings, so it is tested without an engine.
 */
final class Survey {
  private static final Logger LOG = LoggerFactory.getLogger(Survey.class);

  /** How far an instance has got. */
  enum Stage {
    /** A task of the epoch runs on the wanted device. */
    RUNNING,
    /** The latest task of the epoch failed or was rejected. */
    FAILED,
    /** No task of the epoch runs yet (pending, preparing, restarting). */
    WAITING,
    /** The Swarm service is gone. */
    GONE
  }

  /** An instance's stage and Swarm's own words about it. */
  record Progress(Stage stage, String message) {}

  final SwarmView view;
  private final Map<String, Service> services;
  private final Map<String, List<Task>> tasks;
  private final Map<String, String> deviceByNode;

  private Survey(SwarmView view, Map<String, Service> services, Map<String, List<Task>> tasks,
      Map<String, String> deviceByNode) {
    this.view = view;
    this.services = services;
    this.tasks = tasks;
    this.deviceByNode = deviceByNode;
  }

  /**
   * @param services this gateway's Swarm services
   * @param tasks their tasks
   * @param nodes every node of the Swarm
   */
  static Survey of(List<Service> services, List<Task> tasks, List<SwarmNode> nodes, long nowMillis) {
    Map<String, String> deviceByNode = new HashMap<>();
    Map<String, SwarmView.Device> devices = new TreeMap<>();
    for (SwarmNode n : nodes) {
      Map<String, String> labels = n.getSpec() == null || n.getSpec().getLabels() == null ? Map.of()
          : n.getSpec().getLabels();
      String device = labels.get(Labels.DEVICE);
      if (device == null || device.isBlank()) {
        continue;
      }
      deviceByNode.put(n.getId(), device);
      Map<String, String> rest = new TreeMap<>(labels);
      rest.remove(Labels.DEVICE);
      String layer = rest.remove(Labels.LAYER);
      boolean ready = n.getStatus() != null && n.getStatus().getState() == SwarmNodeState.READY;
      String host = n.getDescription() == null ? null : n.getDescription().getHostname();
      SwarmView.Device d = new SwarmView.Device(device, n.getId(), host, layer(layer), rest, ready);
      if (devices.putIfAbsent(device, d) != null) {
        LOG.warn("two Swarm nodes are labelled {}={}; the gateway reports only node {} as that device", Labels.DEVICE,
            device, devices.get(device).nodeId());
      }
    }
    Map<String, Service> byId = new HashMap<>();
    for (Service s : services) {
      byId.put(s.getId(), s);
    }
    Map<String, List<Task>> byService = new HashMap<>();
    for (Task t : tasks) {
      if (byId.containsKey(t.getServiceId())) {
        byService.computeIfAbsent(t.getServiceId(), k -> new ArrayList<>()).add(t);
      }
    }
    byService.values().forEach(l -> l.sort(Comparator.comparing(Survey::created)));

    Map<String, List<InstanceReport>> instances = new TreeMap<>();
    Map<String, String> waiting = new TreeMap<>();
    for (Service s : services) {
      List<Task> mine = byService.getOrDefault(s.getId(), List.of());
      Map<Long, List<Task>> byEpoch = new TreeMap<>();
      for (Task t : mine) {
        epochOf(t).ifPresent(e -> byEpoch.computeIfAbsent(e, k -> new ArrayList<>()).add(t));
      }
      for (Map.Entry<Long, List<Task>> e : byEpoch.entrySet()) {
        report(e.getKey(), e.getValue(), deviceByNode, instances);
      }
      Map<String, String> sl = labels(s);
      Optional<Long> epoch = parse(sl.get(Labels.EPOCH));
      String device = sl.get(Labels.DEVICE);
      if (epoch.isPresent() && device != null) {
        Progress p = progress(byEpoch.getOrDefault(epoch.get(), List.of()), device, deviceByNode);
        if (p.stage() != Stage.RUNNING) {
          waiting.put(sl.get(Labels.SERVICE) + "@" + device + "#" + epoch.get(), p.message());
        }
      }
    }
    instances.replaceAll((k, v) -> List.copyOf(v));
    return new Survey(new SwarmView(nowMillis, devices, instances, waiting), byId, byService, deviceByNode);
  }

  /** Where epoch {@code epoch} of Swarm service {@code serviceId} has got on {@code deviceId}. */
  Progress progress(String serviceId, long epoch, String deviceId) {
    if (!services.containsKey(serviceId)) {
      return new Progress(Stage.GONE, "the Swarm service was removed");
    }
    List<Task> ofEpoch = tasks.getOrDefault(serviceId, List.of()).stream()
        .filter(t -> epochOf(t).filter(e -> e == epoch).isPresent()).toList();
    return progress(ofEpoch, deviceId, deviceByNode);
  }

  /** The id of the container of the running task of epoch {@code epoch}, if any (for tests that kill it). */
  Optional<String> runningContainer(String serviceId, long epoch) {
    return tasks.getOrDefault(serviceId, List.of()).stream()
        .filter(t -> running(t) && epochOf(t).filter(e -> e == epoch).isPresent())
        .map(t -> t.getStatus().getContainerStatus() == null ? null : t.getStatus().getContainerStatus().getContainerID())
        .filter(java.util.Objects::nonNull).findFirst();
  }

  private static Progress progress(List<Task> ofEpoch, String deviceId, Map<String, String> deviceByNode) {
    for (Task t : ofEpoch) {
      if (running(t) && deviceId.equals(deviceOf(t, deviceByNode))) {
        return new Progress(Stage.RUNNING, "running on node " + t.getNodeId());
      }
    }
    if (ofEpoch.isEmpty()) {
      return new Progress(Stage.WAITING, "no task yet");
    }
    Task latest = ofEpoch.get(ofEpoch.size() - 1);
    TaskState state = latest.getStatus() == null ? null : latest.getStatus().getState();
    String words = words(latest);
    if (state == TaskState.FAILED || state == TaskState.REJECTED) {
      return new Progress(Stage.FAILED, state.name().toLowerCase(Locale.ROOT) + ": " + words);
    }
    return new Progress(Stage.WAITING, (state == null ? "unknown" : state.name().toLowerCase(Locale.ROOT)) + ": " + words);
  }

  /** Reports for one epoch of one service: each running task, or RESTARTING while Swarm restarts a failed one. */
  private static void report(long epoch, List<Task> ofEpoch, Map<String, String> deviceByNode,
      Map<String, List<InstanceReport>> out) {
    int failures = (int) ofEpoch.stream().filter(Survey::failed).count();
    boolean anyRunning = false;
    for (Task t : ofEpoch) {
      if (running(t)) {
        anyRunning = true;
        add(out, t, epoch, InstanceReport.InstanceState.RUNNING, failures, deviceByNode);
      }
    }
    if (anyRunning || failures == 0) {
      return;
    }
    ofEpoch.stream().filter(Survey::wanted).reduce((a, b) -> b)
        .ifPresent(t -> add(out, t, epoch, InstanceReport.InstanceState.RESTARTING, failures, deviceByNode));
  }

  private static void add(Map<String, List<InstanceReport>> out, Task t, long epoch, InstanceReport.InstanceState state,
      int restarts, Map<String, String> deviceByNode) {
    Map<String, String> l = containerLabels(t);
    String device = deviceOf(t, deviceByNode);
    String service = l.get(Labels.SERVICE);
    String kind = l.getOrDefault(Labels.KIND, "container");
    if (device == null || service == null) {
      return;
    }
    try {
      out.computeIfAbsent(device, k -> new ArrayList<>()).add(new InstanceReport(service, kind, epoch, state, restarts));
    } catch (RuntimeException e) {
      LOG.debug("task {} not reported: {}", t.getId(), e.getMessage());
    }
  }

  private static boolean running(Task t) {
    return t.getStatus() != null && t.getStatus().getState() == TaskState.RUNNING
        && t.getDesiredState() == TaskState.RUNNING;
  }

  private static boolean failed(Task t) {
    TaskState s = t.getStatus() == null ? null : t.getStatus().getState();
    return s == TaskState.FAILED || s == TaskState.REJECTED;
  }

  /** A task Swarm means to run (RUNNING, or READY while a restart delay passes) that does not run yet. */
  private static boolean wanted(Task t) {
    return (t.getDesiredState() == TaskState.RUNNING || t.getDesiredState() == TaskState.READY) && !failed(t);
  }

  private static String deviceOf(Task t, Map<String, String> deviceByNode) {
    String d = t.getNodeId() == null ? null : deviceByNode.get(t.getNodeId());
    return d != null ? d : containerLabels(t).get(Labels.DEVICE);
  }

  private static String words(Task t) {
    if (t.getStatus() == null) {
      return "no status";
    }
    String err = t.getStatus().getErr();
    return err != null && !err.isBlank() ? err : String.valueOf(t.getStatus().getMessage());
  }

  static Map<String, String> labels(Service s) {
    return s.getSpec() == null || s.getSpec().getLabels() == null ? Map.of() : s.getSpec().getLabels();
  }

  private static Map<String, String> containerLabels(Task t) {
    if (t.getSpec() == null || t.getSpec().getContainerSpec() == null || t.getSpec().getContainerSpec().getLabels() == null) {
      return Map.of();
    }
    return t.getSpec().getContainerSpec().getLabels();
  }

  private static Optional<Long> epochOf(Task t) {
    return parse(containerLabels(t).get(Labels.EPOCH));
  }

  static Optional<Long> parse(String epoch) {
    try {
      return epoch == null ? Optional.empty() : Optional.of(Long.parseLong(epoch));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Instant created(Task t) {
    try {
      return t.getCreatedAt() == null ? Instant.EPOCH : Instant.parse(t.getCreatedAt());
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  private static Layer layer(String label) {
    if (label != null) {
      try {
        return Layer.valueOf(label.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        // an unknown layer: as unlabelled
      }
    }
    return Layer.EDGE;
  }
}
