package io.fogwise.cloud.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.cloud.history.History;
import io.fogwise.protocol.AdaptationEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeartbeatMinerTest {
  @Test
  void theThresholdRisesWithJitter() {
    History h = new SyntheticFleet(1, 3_600_000).heartbeats("steady", 5, 1000, 10)
        .heartbeats("jittery", 5, 1000, 150).history();

    HeartbeatMiner.Result r = HeartbeatMiner.withDefaults().mine(h);

    assertEquals(List.of(), r.refusals());
    HeartbeatMiner.ClassTiming steady = timing(r, "steady");
    HeartbeatMiner.ClassTiming jittery = timing(r, "jittery");
    assertTrue(jittery.threshold() > steady.threshold(), jittery + " vs " + steady);
    assertTrue(jittery.p99Ms() > steady.p99Ms());
    assertEquals(5 * 119 * 30, steady.samples());
    // the target is at most 1 per device-day: 5 devices for an hour allow none
    assertEquals(0, jittery.falseDetections());
    assertEquals(Set.of("detect.phiThreshold@steady", "detect.phiThreshold@jittery"), r.parameters().keySet());
  }

  @Test
  void aLooserTargetGivesALowerThresholdAndFasterDetection() {
    History h = new SyntheticFleet(2, 3_600_000).heartbeats("a", 4, 1000, 250).history();

    HeartbeatMiner.ClassTiming strict = timing(HeartbeatMiner.withDefaults().mine(h), "a");
    HeartbeatMiner.ClassTiming loose = timing(new HeartbeatMiner(HeartbeatMiner.Options.DEFAULTS.withTarget(20_000))
        .mine(h), "a");

    assertTrue(loose.threshold() < strict.threshold(), loose + " vs " + strict);
    assertTrue(loose.detectionMs() < strict.detectionMs());
    assertTrue(loose.falseDetections() > 0);
    assertTrue(strict.detectionMs() > 1000);
  }

  @Test
  void tooFewSamplesRefuseWithWhy() {
    History h = new SyntheticFleet(3, 120_000).heartbeats("rare", 2, 1000, 10).history();

    HeartbeatMiner.Result r = HeartbeatMiner.withDefaults().mine(h);

    assertEquals(List.of(), r.classes());
    assertEquals(List.of("class rare: too little heartbeat timing: 180 intervals from 2 devices, need >= 1000 from"
        + " >= 3 devices"), r.refusals());
  }

  @Test
  void unreadableIntervalsAreSkippedAndCounted() {
    History good = new SyntheticFleet(4, 3_600_000).heartbeats("a", 4, 1000, 50).history();
    List<AdaptationEvent> events = new ArrayList<>(good.events());
    events.add(new AdaptationEvent("gw-1", 9999, SyntheticFleet.START + 1, AdaptationEvent.Type.HEARTBEAT_TIMING,
        "a-0", null, 0, null, "x", Map.of("class", "a", "intervalsMs", "1000,abc,-5,0,NaN,900000")));
    History bad = History.of(good.devices(), events, good.fromMillis(), good.toMillis());

    HeartbeatMiner.Result r = HeartbeatMiner.withDefaults().mine(bad);

    assertEquals(5, r.badValues());
    assertEquals(timing(HeartbeatMiner.withDefaults().mine(good), "a").samples() + 1, timing(r, "a").samples());
  }

  private static HeartbeatMiner.ClassTiming timing(HeartbeatMiner.Result r, String cls) {
    return r.classes().stream().filter(c -> c.deviceClass().equals(cls)).findFirst().orElseThrow();
  }
}
