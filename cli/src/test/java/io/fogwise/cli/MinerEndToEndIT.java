package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fogwise.cloud.CloudConfig;
import io.fogwise.cloud.CloudService;
import io.fogwise.cloud.history.MinerService;
import io.fogwise.cloud.mining.Miner;
import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.edge.ScriptedSensors;
import io.fogwise.edge.SensorSource;
import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.policy.TrustedKeys;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.fleet.DeviceTrace;
import io.fogwise.testbed.fleet.FailureMode;
import io.fogwise.testbed.fleet.FleetParameters;
import io.fogwise.testbed.fleet.FleetPublisher;
import io.fogwise.testbed.fleet.FleetSimulator;
import io.fogwise.testbed.fleet.FleetTrace;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The miner end to end, with real parts and nothing in between: a simulated fleet's history on
 * a real (secure) hub's streams, the cloud service ingesting it and mining it, the candidate
 * signed with the cloud key, approved with {@code fogwise rules approve} and applied by a real
 * gateway; then a real agent whose battery follows a held-out device's last two minutes before
 * it died. The mined rule must drain it — its publisher moved make-before-break to another device
 * — before it dies, and an independent subscriber must see no message lost or duplicated.
 */
class MinerEndToEndIT {
  private static final String GW = "gw-live";
  /** How much of the dying device's life the agent replays, in real time. */
  private static final long REPLAY_MS = 120_000;

  private static CliRun run(NatsServer hub, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--nats", hub.url(), "--home", hub.identity().dir().toString()));
    return fogwise(all.toArray(String[]::new));
  }

  /** The held-out battery failure with the longest precursor: a typical slow drain, which a mined rule should catch. */
  private static DeviceTrace dyingDevice(FleetTrace heldOut) {
    return heldOut.devices().stream()
        .filter(d -> d.failureMode().orElse(null) == FailureMode.BATTERY && d.precursorStartMillis().isPresent())
        .filter(d -> d.deathMillis().getAsLong() - d.joinedMillis() > REPLAY_MS + 60_000)
        .max(Comparator.comparingLong(d -> d.deathMillis().getAsLong() - d.precursorStartMillis().getAsLong()))
        .orElseThrow(() -> new AssertionError("the held-out fleet has no battery failure to replay"));
  }

  private static EdgeAgent agent(NatsServer hub, String id, String deviceClass, SensorSource sensors) {
    return EdgeAgent.start(AgentConfig.builder().natsUrl(hub.url()).auth(hub.deviceAuth(GW, id)).deviceId(id)
        .gatewayId(GW).layer(Layer.EDGE).labels(Map.of("pub", "true")).deviceClass(deviceClass)
        .heartbeatInterval(Duration.ofMillis(500)).telemetryInterval(Duration.ofSeconds(1)).sensors(sensors).build());
  }

  @Test
  void aMinedRuleDrainsADyingDeviceBeforeItDiesAndItsServiceSeesNoGap(@TempDir Path dir) throws Exception {
    FleetTrace training = FleetSimulator.generate(FleetParameters.training().scaled(40, Duration.ofMinutes(90)));
    FleetTrace heldOut = FleetSimulator.generate(FleetParameters.heldOut().scaled(40, Duration.ofMinutes(90)));
    DeviceTrace dying = dyingDevice(heldOut);
    long death = dying.deathMillis().getAsLong();
    int first = 0;
    while (dying.telemetryAt(first) < death - REPLAY_MS) {
      first++;
    }

    try (NatsServer hub = NatsServer.start(); Connection ops = hub.connect()) {
      hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
      assertEquals(0, fogwise("rules", "keygen", "--out", dir.toString(), "--name", "cloud").exit());
      TrustedKeys trusted = TrustedKeys.load(List.of(dir.resolve("cloud.pub")));
      FleetPublisher.PublishResult published = FleetPublisher.create().publish(ops, training);

      CloudConfig config = CloudConfig.builder(hub.url()).auth(hub.auth(Role.CLOUD, "cloud"))
          .minerAuth(hub.auth(Role.MINER, "miner"))
          .signingKey(PolicyCommands.signingKey(dir.resolve("cloud.key")))
          .miner(MinerService.Settings.of(dir.resolve("miner-store"), "miner-1")).build();
      Miner miner = Miner.withDefaults(Clock.systemUTC());
      List<EdgeAgent> agents = new ArrayList<>();
      ScheduledExecutorService replay = Executors.newSingleThreadScheduledExecutor();
      try (CloudService cloud = CloudService.start(config, miner::mine);
          Gateway gw = Gateway.start(GatewayConfig.builder(GW, hub.url()).auth(hub.auth(Role.GATEWAY, GW))
              .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(GW)), Duration.ZERO)
              .trustedKeys(trusted).build());
          Observer observer = new Observer(hub.connect(), Subjects.data("demo", "readings"))) {
        observer.recordEvents(true);
        MinerService history = cloud.miner().orElseThrow();
        // the miner has what the fleet published, from the streams alone
        await().atMost(Duration.ofMinutes(2)).until(() -> history.history().counts().telemetry() >= published.telemetry());

        CliRun mine = run(hub, "cloud", "mine", "--now", "--timeout", "120s");
        assertEquals(0, mine.exit(), mine.toString());
        assertTrue(mine.out().contains("PROPOSED"), mine.toString());
        CliRun diff = run(hub, "rules", "diff");
        assertEquals(0, diff.exit(), diff.toString());
        assertTrue(diff.out().contains("mined/precursors.drl: added"), diff.toString());
        CliRun approve = run(hub, "rules", "approve", "--timeout", "60s");
        assertEquals(0, approve.exit(), approve.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> gw.query(e -> e.ruleSet().ruleNames().stream()
            .anyMatch(n -> n.startsWith("mined"))));

        // the device that will die hosts the publisher; a healthy one joins afterwards
        Telemetry start = dying.telemetry(first);
        ScriptedSensors dyingSensors = SensorSource.scripted();
        setSensors(dyingSensors, start);
        agents.add(agent(hub, "dying", dying.deviceClass(), dyingSensors));
        await().atMost(Duration.ofSeconds(30)).until(() -> run(hub, "get", "devices", "--gateway", GW).out()
            .contains("dying"));
        CliRun apply = run(hub, "service", "apply", Path.of("..", "docs", "examples", "publisher.yaml").toString(),
            "--gateway", GW, "--wait");
        assertEquals(0, apply.exit(), apply.toString());
        assertTrue(apply.out().contains("on dying"), apply.toString());
        agents.add(agent(hub, "healthy", dying.deviceClass(), SensorSource.scripted().setBattery(95).setTemperature(38)));
        await().atMost(Duration.ofSeconds(30)).until(() -> run(hub, "get", "devices", "--gateway", GW).out()
            .contains("healthy"));
        await().atMost(Duration.ofSeconds(30)).until(() -> observer.received() > 200);
        int events = observer.eventCount();

        // its last two minutes, in real time, one reading a second as in the trace
        AtomicInteger next = new AtomicInteger(first);
        int last = dying.telemetryCount() - 1;
        long replayStart = System.nanoTime();
        int from = first;
        replay.scheduleAtFixedRate(() -> {
          long elapsed = (System.nanoTime() - replayStart) / 1_000_000;
          int i = next.get();
          while (i <= last && dying.telemetryAt(i) - dying.telemetryAt(from) <= elapsed) {
            setSensors(dyingSensors, dying.telemetry(i));
            i++;
          }
          next.set(i);
        }, 0, 100, TimeUnit.MILLISECONDS);

        Optional<Observer.Received<AdaptationEvent>> quarantined = observer.awaitEvent(events,
            e -> e.type() == AdaptationEvent.Type.DEVICE_QUARANTINED && "dying".equals(e.deviceId()),
            Duration.ofMillis(REPLAY_MS + 10_000));
        if (quarantined.isEmpty() || next.get() > last) {
          fail("the mined rules did not drain the dying device before it died (replayed " + (next.get() - first)
              + " of " + (last - first + 1) + " readings); the pass said:\n" + mine.out());
        }
        String rule = quarantined.get().message().rule();
        assertTrue(rule != null && rule.startsWith("mined"), "drained by a mined rule, not " + rule);
        Optional<Observer.Received<AdaptationEvent>> moved = observer.awaitEvent(events,
            e -> e.type() == AdaptationEvent.Type.MIGRATION_COMPLETED && "publisher".equals(e.service())
                && "healthy".equals(e.deviceId()), Duration.ofSeconds(30));
        assertTrue(moved.isPresent(), "the publisher moved to the healthy device");
        int drainedAt = next.get();
        assertTrue(drainedAt <= last, "drained before the device died");
        long leadMs = death - dying.telemetryAt(Math.min(drainedAt, last));
        System.out.println("mined rule '" + rule + "' drained the device " + leadMs + " ms before it died (trace time)");

        // it dies when the trace says so
        await().atMost(Duration.ofMillis(REPLAY_MS + 10_000)).until(() -> next.get() > last);
        agents.remove(0).close();
        long seen = observer.received();
        await().atMost(Duration.ofSeconds(30)).until(() -> observer.received() > seen + 200);
        assertEquals(0, observer.missing(), "no message lost across the drain and the death");
        assertEquals(0, observer.duplicates(), "no message twice");
        assertEquals(0, observer.staleEpoch(), "nothing from the drained instance after the move");
      } finally {
        replay.shutdownNow();
        agents.forEach(EdgeAgent::close);
      }
    }
  }

  private static void setSensors(ScriptedSensors sensors, Telemetry t) {
    if (t.batteryPct() != null) {
      sensors.setBattery(t.batteryPct());
    }
    if (t.temperatureC() != null) {
      sensors.setTemperature(t.temperatureC());
    }
  }
}
