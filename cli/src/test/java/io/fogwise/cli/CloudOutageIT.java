package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.protocol.MessageCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise demo --cloud-outage}: a cloud hub and a gateway running its site's NATS as a
 * leaf node behind the link emulator, all real processes. The link is cut and reset; during the
 * outage a device is killed and its service moves, the cache serves stale, a policy is pushed in
 * the cloud and the gateway is restarted without restarting services; after it the policy lands
 * and every queued event reaches the cloud once, in order. Each step is checked by an outside
 * observer, and the command exits 1 if any is missing.
 */
class CloudOutageIT {
  static final List<String> STEPS = List.of(
      "gateway up on its leaf node",
      "4 devices alive at the site",
      "services applied from the cloud run at the site",
      "durable channel flowing at the site",
      "cache serves cloud data",
      "leaf node saw the link drop",
      "device killed during the outage: service moved",
      "cache served stale while the cloud is unreachable",
      "policy pushed in the cloud during the outage",
      "gateway restarted during the outage resumed without restarting services",
      "policy not applied while the cloud is unreachable",
      "leaf node linked again",
      "policy pushed during the outage applied after it",
      "backlog delivered once, in order",
      "telemetry recorded during the outage reached the cloud",
      "durable channel: nothing lost, nothing twice, across a failover and a site NATS restart");

  @Test
  void theSiteRunsThroughACloudOutageAndCatchesUpAfterIt(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("outage.json");
    int exit = Fogwise.commandLine().execute("demo", "--cloud-outage", "--json", json.toString());
    JsonNode s = MessageCodec.mapper().readTree(Files.readAllBytes(json));
    List<String> done = new ArrayList<>();
    s.get("steps").forEach(st -> {
      assertTrue(st.get("ok").asBoolean(), st.toString());
      done.add(st.get("step").asText());
    });
    assertEquals(STEPS, done, "every step, in order: " + s);
    assertEquals(0, exit);
    assertTrue(s.at("/counts/eventsDuringOutage").asLong() > 0, s.toString());
    assertEquals(s.at("/counts/siteEvents").asLong(), s.at("/counts/cloudEvents").asLong(), s.toString());
    assertEquals(0, s.at("/counts/durableLost").asLong(-1), s.toString());
    assertEquals(s.at("/counts/durableStored").asLong(), s.at("/counts/durableReceived").asLong(), s.toString());
  }
}
