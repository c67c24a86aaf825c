package io.fogwise.protocol;

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
 */
public record ServiceResponse(boolean ok, String error, String field, List<ServiceSpec> services,
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    String note) {
  public ServiceResponse {
    services = Checks.list(services, "services");
  }

  /** An answer without a note. */
  public ServiceResponse(boolean ok, String error, String field, List<ServiceSpec> services) {
    this(ok, error, field, services, null);
  }

  /** This answer with {@code note}. */
  public ServiceResponse withNote(String note) {
    return new ServiceResponse(ok, error, field, services, note);
  }

  public static ServiceResponse ok(List<ServiceSpec> services) {
    return new ServiceResponse(true, null, null, services);
  }

  public static ServiceResponse error(String field, String error) {
    return new ServiceResponse(false, error, field, List.of());
  }
}
