package io.fogwise.gateway.core;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.DeviceState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A device that came back after being declared lost regains the services it was excluded from
 * once it has stayed alive for {@code failover.returnProbationMs}: an exclusion keeps a service
 * off a flapping device, it must not keep a repaired one idle for {@code failover.exclusionMs}.
 * Only the exclusions it had when it returned are lifted; one decided during probation stands.
 */
final class Probation {
  private static final Logger LOG = LoggerFactory.getLogger(Probation.class);

  private record Returned(long atMillis, List<String> services) {}

  private final EngineState s;
  private final Map<String, Returned> returned = new HashMap<>();

  Probation(EngineState s) {
    this.s = s;
  }

  /** {@code deviceId} is heard again after being declared lost. */
  void returned(String deviceId, long nowMillis) {
    List<String> excluded = new ArrayList<>();
    s.desired.exclusions().forEach((service, devices) -> {
      if (devices.containsKey(deviceId)) {
        excluded.add(service);
      }
    });
    if (!excluded.isEmpty()) {
      returned.put(deviceId, new Returned(nowMillis, excluded));
    }
  }

  /** Lifts the exclusions of devices whose probation is over; forgets devices lost again. */
  void check(long nowMillis) {
    if (returned.isEmpty()) {
      return;
    }
    long probation = (long) s.rules.parameters().number("failover.returnProbationMs");
    for (Iterator<Map.Entry<String, Returned>> it = returned.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Returned> e = it.next();
      Device d = s.registry.get(e.getKey());
      if (d == null || d.getState() != DeviceState.ALIVE) {
        it.remove(); // lost again: a new return starts a new probation
      } else if (nowMillis - e.getValue().atMillis() >= probation) {
        it.remove();
        for (String service : e.getValue().services()) {
          if (s.desired.unexclude(service, d.getId())) {
            s.dirtyServices.add(service);
            LOG.info("{} may run on {} again: it has been back for {} ms", service, d.getId(), probation);
            s.emit(AdaptationEvent.Type.EXCLUSION_LIFTED, d.getId(), service, 0, null, d.getId() + " has heartbeated"
                + " steadily for " + probation + " ms since it returned (failover.returnProbationMs): it may run "
                + service + " again", Map.of("cause", "probation"));
          }
        }
      }
    }
  }
}
