package io.fogwise.protocol;

import java.util.List;

/**
 * The gateway's answer on the service request subject.
 *
 * @param ok whether the request was carried out
 * @param error why not
 * @param field the offending field of an invalid spec, or null
 * @param services the affected or listed specs
 */
public record ServiceResponse(boolean ok, String error, String field, List<ServiceSpec> services) {
  public ServiceResponse {
    services = Checks.list(services, "services");
  }

  public static ServiceResponse ok(List<ServiceSpec> services) {
    return new ServiceResponse(true, null, null, services);
  }

  public static ServiceResponse error(String field, String error) {
    return new ServiceResponse(false, error, field, List.of());
  }
}
