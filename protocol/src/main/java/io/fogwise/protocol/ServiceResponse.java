package io.fogwise.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The gateway's answer on the service request subject.
 *
 * @param ok whether the request was carried out
 * @param error why not
 * @param field the offending field of an invalid spec, or null
 * @param services the affected or listed specs
 * @param note something the requester should know about a request that was carried out (an
 *     operator's move that overrode an automatic exclusion), or null (omitted from JSON)
 * @param outcome what an APPLY or MOVE did: {@code created}, {@code configured} or
 *     {@code unchanged} (apply), {@code moving} or {@code unchanged} (move); null otherwise
 * @param states DESCRIBE: the services' states (omitted when empty)
 * @param devices DEVICES: the devices (omitted when empty)
 * @param events EVENTS: recent events, oldest first (omitted when empty)
 * @param gateway STATUS: the gateway's status (omitted otherwise)
 */
public record ServiceResponse(boolean ok, String error, String field, List<ServiceSpec> services,
    @JsonInclude(JsonInclude.Include.NON_NULL) String note,
    @JsonInclude(JsonInclude.Include.NON_NULL) String outcome,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ServiceState> states,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<DeviceSummary> devices,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<AdaptationEvent> events,
    @JsonInclude(JsonInclude.Include.NON_NULL) GatewayStatus gateway) {
  public ServiceResponse {
    services = Checks.list(services, "services");
    states = Checks.list(states, "states");
    devices = Checks.list(devices, "devices");
    events = Checks.list(events, "events");
  }

  /** An answer with a note and nothing else. */
  public ServiceResponse(boolean ok, String error, String field, List<ServiceSpec> services, String note) {
    this(ok, error, field, services, note, null, List.of(), List.of(), List.of(), null);
  }

  /** An answer without a note. */
  public ServiceResponse(boolean ok, String error, String field, List<ServiceSpec> services) {
    this(ok, error, field, services, null);
  }

  /** This answer with {@code note}. */
  public ServiceResponse withNote(String note) {
    return new ServiceResponse(ok, error, field, services, note, outcome, states, devices, events, gateway);
  }

  /** This answer with {@code outcome} (created, configured, unchanged, moving). */
  public ServiceResponse withOutcome(String outcome) {
    return new ServiceResponse(ok, error, field, services, note, outcome, states, devices, events, gateway);
  }

  /** A DESCRIBE answer. */
  public static ServiceResponse states(List<ServiceState> states) {
    return new ServiceResponse(true, null, null, List.of(), null, null, states, List.of(), List.of(), null);
  }

  /** A DEVICES answer. */
  public static ServiceResponse devices(List<DeviceSummary> devices) {
    return new ServiceResponse(true, null, null, List.of(), null, null, List.of(), devices, List.of(), null);
  }

  /** An EVENTS answer. */
  public static ServiceResponse events(List<AdaptationEvent> events) {
    return new ServiceResponse(true, null, null, List.of(), null, null, List.of(), List.of(), events, null);
  }

  /** A STATUS answer. */
  public static ServiceResponse status(GatewayStatus gateway) {
    return new ServiceResponse(true, null, null, List.of(), null, null, List.of(), List.of(), List.of(), gateway);
  }

  public static ServiceResponse ok(List<ServiceSpec> services) {
    return new ServiceResponse(true, null, null, services);
  }

  public static ServiceResponse error(String field, String error) {
    return new ServiceResponse(false, error, field, List.of());
  }
}
