package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.DeviceSummary;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceState;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --wait}: asks the gateway where a change stands until it is done, has failed, or the
 * time is up. Done and failed are the gateway's own words ({@link ServiceState.Phase}), so the
 * CLI and {@code get services} never disagree. A failure is exit 1 with the gateway's reason.
 */
final class Waits {
  /** How often the gateway is asked: a person waits for seconds, a request costs well under a millisecond. */
  static final long POLL_MS = 200;
  /** A phase that means failure is believed when seen this many times in a row (a placement may be a pass away). */
  static final int CONFIRM = 3;

  private final GatewayClient client;
  private final String gateway;
  private final long deadlineNanos;
  private final Duration timeout;
  private final PrintWriter out;
  private final PrintWriter err;

  Waits(GatewayClient client, String gateway, Duration timeout, PrintWriter out, PrintWriter err) {
    this.client = client;
    this.gateway = gateway;
    this.timeout = timeout;
    this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    this.out = out;
    this.err = err;
  }

  /** Until every replica of {@code name} runs; FAILING or UNPLACEABLE fail. */
  void untilRunning(String name) throws CliFailure {
    until(name, st -> { }, st -> true, " is running: ");
  }

  /** Until {@code name} runs only in {@code layer} (or on {@code device}), no move in progress; a failed move fails. */
  void untilMoved(String name, Layer layer, String device) throws CliFailure {
    int failuresBefore = state(name).failures();
    until(name, st -> {
      if (st.failures() > failuresBefore) {
        throw new CliFailure(1, "moving " + name + " failed: " + st.reason() + " (the gateway tries again; see"
            + " fogwise describe service " + name + ")");
      }
    }, st -> there(st, layer, device), " moved: ");
  }

  private interface Check {
    void check(ServiceState st) throws CliFailure;
  }

  private interface Done {
    boolean test(ServiceState st) throws CliFailure;
  }

  /**
   * Polls {@code name} until all its replicas run and {@code done} holds (then prints {@code said}
   * and where it runs); {@code check} may fail early; FAILING or UNPLACEABLE seen {@value #CONFIRM}
   * times in a row fail.
   */
  private void until(String name, Check check, Done done, String said)
      throws CliFailure {
    int bad = 0;
    while (true) {
      ServiceState st = state(name);
      check.check(st);
      if (st.phase() == ServiceState.Phase.RUNNING && st.ready() >= st.spec().replicas() && done.test(st)) {
        out.println(name + said + where(st));
        out.flush();
        return;
      }
      bad = failed(st) ? bad + 1 : 0;
      if (bad >= CONFIRM) {
        throw new CliFailure(1, name + " is " + st.phase() + ": " + st.reason());
      }
      pause(name, st);
    }
  }

  /** Until no device reports an instance of the deleted service {@code name}. */
  void untilGone(String name) throws CliFailure {
    while (true) {
      List<String> still = devices().stream()
          .filter(d -> d.instances().stream().anyMatch(i -> i.startsWith(name + "#")))
          .map(DeviceSummary::id).toList();
      if (still.isEmpty()) {
        out.println(name + " is gone: no device runs it");
        out.flush();
        return;
      }
      if (System.nanoTime() > deadlineNanos) {
        throw new CliFailure(1, "waited " + Output.age(timeout.toMillis()) + " and " + String.join(", ", still)
            + " still report " + name + "; the gateway keeps stopping it");
      }
      sleep();
    }
  }

  private boolean there(ServiceState st, Layer layer, String device) throws CliFailure {
    Map<String, Layer> layers = new HashMap<>();
    if (layer != null) {
      devices().forEach(d -> layers.put(d.id(), d.layer()));
    }
    for (ServiceState.Instance i : st.placements()) {
      boolean ok = layer != null ? layers.get(i.deviceId()) == layer : i.deviceId().equals(device);
      if (!ok) {
        return false;
      }
    }
    return !st.placements().isEmpty();
  }

  private static boolean failed(ServiceState st) {
    return st.phase() == ServiceState.Phase.FAILING || st.phase() == ServiceState.Phase.UNPLACEABLE;
  }

  private static String where(ServiceState st) {
    StringBuilder sb = new StringBuilder();
    for (ServiceState.Instance i : st.placements()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(i.deviceId()).append(" (epoch ").append(i.epoch()).append(')');
    }
    return st.ready() + "/" + st.spec().replicas() + " ready on " + sb;
  }

  private ServiceState state(String name) throws CliFailure {
    ServiceResponse r = client.send(ServiceRequest.read(ServiceRequest.Op.DESCRIBE, name)).response();
    if (!r.ok() || r.states().isEmpty()) {
      throw new CliFailure(1, "gateway " + gateway + ": " + (r.error() != null ? r.error() : "no state of " + name));
    }
    return r.states().get(0);
  }

  private List<DeviceSummary> devices() throws CliFailure {
    ServiceResponse r = client.send(ServiceRequest.read(ServiceRequest.Op.DEVICES, null)).response();
    if (!r.ok()) {
      throw new CliFailure(1, "gateway " + gateway + ": " + r.error());
    }
    return r.devices();
  }

  private void pause(String name, ServiceState st) throws CliFailure {
    if (System.nanoTime() > deadlineNanos) {
      throw new CliFailure(1, "waited " + Output.age(timeout.toMillis()) + " for " + name + "; it is " + st.phase()
          + (st.reason() == null ? "" : ": " + st.reason()));
    }
    sleep();
  }

  private static void sleep() throws CliFailure {
    try {
      Thread.sleep(POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(1, "interrupted while waiting");
    }
  }
}
