package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.required;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Where a declared service stands, as its gateway sees it: what runs where, whether it is ready,
 * and why not. The answer to {@link ServiceRequest.Op#DESCRIBE} and what {@code fogwise get
 * services} and {@code --wait} read.
 *
 * @param spec the declared spec
 * @param phase one word for where it stands
 * @param ready instances running (reported by their devices)
 * @param reason why it is not (yet) {@link Phase#RUNNING}, one line a user understands, or null
 * @param failures failed starts or moves in a row (0 after one succeeded)
 * @param retryInMs with failures: how long before the gateway tries again, 0 if it may now
 * @param placements its instances, oldest first
 */
public record ServiceState(ServiceSpec spec, Phase phase, int ready, @JsonInclude(JsonInclude.Include.NON_NULL)
    String reason, int failures, long retryInMs, List<Instance> placements) {
  public ServiceState {
    required(spec, "spec");
    required(phase, "phase");
    nonNegative(ready, "ready");
    nonNegative(failures, "failures");
    nonNegative(retryInMs, "retryInMs");
    placements = Checks.list(placements, "placements");
  }

  /** Where a service stands, in one word. */
  public enum Phase {
    /** Every replica runs. */
    RUNNING,
    /** Instances are being started (or waiting for their devices to report them). */
    STARTING,
    /** A planned move is in progress; the old instance runs until the new one took over. */
    MOVING,
    /** Some replicas run, not all. */
    DEGRADED,
    /** No device can run a missing replica now (the reason says why); it is placed when one can. */
    UNPLACEABLE,
    /** Its starts keep failing; the gateway retries with a growing pause (the reason has the last failure). */
    FAILING
  }

  /**
   * One instance of the service.
   *
   * @param deviceId where it runs
   * @param epoch its epoch
   * @param state STARTING until its device reports it, then RUNNING
   * @param ready whether its device reports it running
   * @param reason what it waits for or why it is not ready (a move in progress, output stalled), or null
   */
  public record Instance(String deviceId, long epoch, String state, boolean ready,
      @JsonInclude(JsonInclude.Include.NON_NULL) String reason) {
    public Instance {
      id(deviceId, "deviceId");
      nonNegative(epoch, "epoch");
      required(state, "state");
    }
  }

  /** The service's name. */
  public String name() {
    return spec.name();
  }
}
