package io.fogwise.gateway.core.orchestrator;

import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.time.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An orchestrator of simulated devices, on an injected {@link Scheduler}: starts take the
 * device's start latency, a device can refuse starts (with a reason), stop answering, or have
 * an instance killed from outside. The scenario kit runs the gateway's engine on it, so rules
 * see STARTING instances, late starts and failed starts as they would on a real fleet; it
 * passes the same contract suite as the real adapters. Instances are reported through
 * {@link #reports(String)}, which the caller puts in the device's heartbeats. Not thread-safe:
 * call it from the scheduler's thread.
 */
public final class InMemoryOrchestrator implements Orchestrator {
  /** How long an unreachable device leaves an intent unanswered before it fails (the process adapter's default). */
  public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(3);

  private final Scheduler scheduler;
  private final Set<Capability> capabilities;
  private final Duration replyTimeout;
  private final Map<String, SimDevice> devices = new LinkedHashMap<>();

  private InMemoryOrchestrator(Scheduler scheduler, Set<Capability> capabilities, Duration replyTimeout) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.capabilities = Set.copyOf(capabilities);
    this.replyTimeout = Objects.requireNonNull(replyTimeout, "replyTimeout");
  }

  /** With hand-over, like the process adapter. */
  public static InMemoryOrchestrator create(Scheduler scheduler) {
    return new InMemoryOrchestrator(scheduler, EnumSet.of(Capability.HANDOVER), DEFAULT_REPLY_TIMEOUT);
  }

  /** Without hand-over, like the swarm adapter: moves are start-new, wait-ready, stop-old. */
  public static InMemoryOrchestrator withoutHandover(Scheduler scheduler) {
    return new InMemoryOrchestrator(scheduler, EnumSet.noneOf(Capability.class), DEFAULT_REPLY_TIMEOUT);
  }

  /** Relocating, like the swarm adapter: the orchestrator moves an instance itself, start-first. */
  public static InMemoryOrchestrator withRelocation(Scheduler scheduler) {
    return new InMemoryOrchestrator(scheduler, EnumSet.of(Capability.RELOCATE), DEFAULT_REPLY_TIMEOUT);
  }

  /** A simulated device; created on first use. */
  public SimDevice device(String id) {
    return devices.computeIfAbsent(Objects.requireNonNull(id, "id"), SimDevice::new);
  }

  /** What {@code deviceId} reports in its next heartbeat (each call counts one output per producing instance). */
  public List<InstanceReport> reports(String deviceId) {
    SimDevice d = devices.get(deviceId);
    if (d == null) {
      return List.of();
    }
    List<InstanceReport> out = new ArrayList<>();
    for (SimInstance i : d.instances.values()) {
      if (i.active && !i.stalled) {
        i.outputs++;
      }
      out.add(new InstanceReport(i.intent.service(), i.intent.kind(), i.intent.epoch(),
          i.active ? InstanceReport.InstanceState.RUNNING : InstanceReport.InstanceState.STANDBY, 0, i.outputs));
    }
    return out;
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public Set<Capability> capabilities() {
    return capabilities;
  }

  @Override
  public CompletionStage<Void> start(InstanceIntent intent, StartMode mode) {
    Objects.requireNonNull(intent, "intent");
    if (mode == StartMode.STANDBY && !can(Capability.HANDOVER)) {
      return CompletableFuture.failedFuture(IntentFailedException.refused("standby start needs HANDOVER"));
    }
    SimDevice d = device(intent.deviceId());
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (!d.reachable) {
      return unanswered(out, "start " + intent.key());
    }
    scheduler.after(d.startLatency, () -> {
      if (!d.reachable) {
        out.completeExceptionally(IntentFailedException.unreachable(d.id + " did not answer", null));
      } else if (d.refusal != null) {
        out.completeExceptionally(IntentFailedException.refused(d.refusal));
      } else {
        d.instances.computeIfAbsent(intent.key(), k -> new SimInstance(intent, mode == StartMode.ACTIVE));
        out.complete(null);
      }
    });
    return out;
  }

  @Override
  public CompletionStage<Void> stop(String service, long epoch, String deviceId) {
    SimDevice d = device(deviceId);
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (!d.reachable) {
      return unanswered(out, "stop " + service + "#" + epoch);
    }
    d.instances.remove(service + "@" + deviceId + "#" + epoch);
    out.complete(null);
    return out;
  }

  /** Starts {@code to} (after its device's start latency), then removes the old instance. */
  @Override
  public CompletionStage<Void> relocate(String service, long epoch, String fromDevice, InstanceIntent to) {
    if (!can(Capability.RELOCATE)) {
      return Orchestrator.super.relocate(service, epoch, fromDevice, to);
    }
    SimDevice from = device(fromDevice);
    if (!from.instances.containsKey(service + "@" + fromDevice + "#" + epoch)) {
      return CompletableFuture.failedFuture(IntentFailedException.refused("no instance of " + service + " epoch " + epoch
          + " on " + fromDevice));
    }
    return start(to, StartMode.ACTIVE).thenRun(() -> from.instances.remove(service + "@" + fromDevice + "#" + epoch));
  }

  @Override
  public CompletionStage<Long> handover(String service, long epoch, String deviceId) {
    if (!can(Capability.HANDOVER)) {
      return Orchestrator.super.handover(service, epoch, deviceId);
    }
    SimDevice d = device(deviceId);
    CompletableFuture<Long> out = new CompletableFuture<>();
    if (!d.reachable) {
      return unanswered(out, "handover " + service + "#" + epoch);
    }
    SimInstance i = d.instances.get(service + "@" + deviceId + "#" + epoch);
    if (i == null) {
      out.completeExceptionally(IntentFailedException.refused("no instance of " + service + " epoch " + epoch));
    } else {
      i.active = false;
      out.complete(i.outputs);
    }
    return out;
  }

  @Override
  public CompletionStage<Void> activate(String service, long epoch, String deviceId, long number) {
    if (!can(Capability.HANDOVER)) {
      return Orchestrator.super.activate(service, epoch, deviceId, number);
    }
    SimDevice d = device(deviceId);
    CompletableFuture<Void> out = new CompletableFuture<>();
    if (!d.reachable) {
      return unanswered(out, "activate " + service + "#" + epoch);
    }
    SimInstance i = d.instances.get(service + "@" + deviceId + "#" + epoch);
    if (i == null) {
      out.completeExceptionally(IntentFailedException.refused("no instance of " + service + " epoch " + epoch));
    } else {
      i.active = true;
      i.outputs = number;
      out.complete(null);
    }
    return out;
  }

  private <T> CompletionStage<T> unanswered(CompletableFuture<T> out, String what) {
    scheduler.after(replyTimeout, () -> out.completeExceptionally(
        IntentFailedException.unreachable("no answer to " + what + " within " + replyTimeout.toMillis() + " ms", null)));
    return out;
  }

  /** One simulated device and what runs on it. */
  public static final class SimDevice {
    private final String id;
    private final Map<String, SimInstance> instances = new LinkedHashMap<>();
    private Duration startLatency = Duration.ZERO;
    private String refusal;
    private boolean reachable = true;

    private SimDevice(String id) {
      this.id = id;
    }

    /** How long a start takes on this device. */
    public SimDevice startLatency(Duration d) {
      this.startLatency = Objects.requireNonNull(d, "d");
      return this;
    }

    /** Starts on this device fail with {@code reason} (null: they succeed again). */
    public SimDevice refuseStarts(String reason) {
      this.refusal = reason;
      return this;
    }

    /** Whether the device answers intents; a device that crashed also loses its instances. */
    public SimDevice reachable(boolean r) {
      this.reachable = r;
      return this;
    }

    /** The device dies: everything on it is gone and it answers nothing. */
    public void crash() {
      instances.clear();
      reachable = false;
    }

    /** An instance is killed from outside (OOM killer, an operator, a crash it does not restart from). */
    public boolean kill(String service, long epoch) {
      return instances.remove(service + "@" + id + "#" + epoch) != null;
    }

    /** The instance of {@code service} keeps running but stops producing output. */
    public void stall(String service) {
      instances.values().stream().filter(i -> i.intent.service().equals(service)).forEach(i -> i.stalled = true);
    }

    /** Instance keys ({@code service@device#epoch}) running here, in start order. */
    public List<String> running() {
      return List.copyOf(instances.keySet());
    }
  }

  private static final class SimInstance {
    final InstanceIntent intent;
    boolean active;
    boolean stalled;
    long outputs;

    SimInstance(InstanceIntent intent, boolean active) {
      this.intent = intent;
      this.active = active;
    }
  }
}
