package io.fogwise.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Dispatcher;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sensor without a Fogwise agent: a plain MQTT 3.1.1 client (Eclipse Paho, no Fogwise code)
 * logs in to the hub's MQTT listener over TLS with the password {@code fogwise identity issue
 * device --mqtt} wrote, publishes the documented heartbeat and telemetry JSON, and is a device
 * of the gateway: its readings are on the device fact rules match on and the compliance pack
 * quarantines it for its temperature, nothing is placed on it although it is the only device a
 * service's placement admits, and it is declared lost once it stops. Anonymous clients and a wrong password are refused;
 * a valid token on another device's subjects gets nothing through, and no subscription.
 */
class MqttDeviceIT {
  private static final String GW = "gw-mqtt";
  private static final String DEVICE = "py-1";
  /** The sensor's heartbeat interval, as it announces it. */
  private static final int INTERVAL_MS = 200;

  @Test
  void aPlainMqttSensorJoinsIsSeenByRulesHostsNothingAndIsDeclaredLost(@TempDir Path dir) throws Exception {
    Timeline timeline = new Timeline(System.out);
    try (LocalCluster cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()),
        dir, timeline, Subjects.data("mq", "readings"), NatsServer.builder().mqttListen(0))) {
      Observer obs = cluster.observer();
      NatsServer hub = cluster.hub();
      cluster.startGateway(GW, List.of());
      assertTrue(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent(), "gateway up");

      CliRun issued = CliRun.fogwise("identity", "issue", "device", DEVICE, "--gateway", GW, "--mqtt", "--home",
          hub.identity().dir().toString());
      assertEquals(0, issued.exit(), issued.toString());
      Path passwordFile = hub.identity().mqttPasswordFile(DEVICE);
      assertTrue(issued.out().contains(passwordFile.toString()), issued.out());
      String password = Files.readString(passwordFile).strip();
      String url = "ssl://127.0.0.1:" + hub.mqttPort();
      SSLSocketFactory tls = trusting(hub.identity().caFile());

      // refused: anonymous, a wrong password, and the right password in plain text (TLS only)
      assertRefused(url, tls, null, null);
      assertRefused(url, tls, "py-1", "not-a-jwt");
      assertRefused(url, tls, "py-1", password.substring(0, password.length() - 4) + "AAAA");
      assertThrows(MqttException.class, () -> connect("tcp://127.0.0.1:" + hub.mqttPort(), null, "py-1", password)
          .disconnectForcibly(1_000));

      // observed from outside: commands to the sensor, if anything were ever placed on it
      AtomicInteger commands = new AtomicInteger();
      Dispatcher d = cluster.nats().createDispatcher(m -> commands.incrementAndGet());
      d.subscribe(Subjects.command(GW, DEVICE));
      cluster.nats().flush(Duration.ofSeconds(5));

      int at = obs.eventCount();
      MqttClient sensor = connect(url, tls, "py-1", password);
      ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
      AtomicLong seq = new AtomicLong();
      clock.scheduleAtFixedRate(() -> publishBoth(sensor, seq.getAndIncrement()), 0, INTERVAL_MS,
          TimeUnit.MILLISECONDS);
      try {
        assertTrue(obs.awaitEvent(at, e -> e.type() == AdaptationEvent.Type.DEVICE_JOINED
            && DEVICE.equals(e.deviceId()), Duration.ofSeconds(30)).isPresent(), "the sensor joined");
        timeline.log("%s joined over MQTT", DEVICE);
        // the only device the placement admits is the sensor: nothing may start there
        cluster.apply(GW, ServiceSpec.of("pub-mq", "publisher", ServiceSpec.Placement.layer(Layer.EDGE),
            Map.of("app", "mq", "channel", "readings", "rateHz", "10")));
        // the device fact the rules match on carries the sensor's readings
        await("py-1's battery reading at the gateway").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .until(() -> cluster.request(GW, ServiceRequest.read(ServiceRequest.Op.DEVICES, null)).devices().stream()
                .anyMatch(dev -> DEVICE.equals(dev.id()) && Double.valueOf(71.5).equals(dev.batteryPct())));
        // several reconcile passes: the service stays without a replica, the sensor gets nothing
        await("pub-mq unplaceable").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .until(() -> cluster.request(GW, ServiceRequest.read(ServiceRequest.Op.DESCRIBE, "pub-mq")).states()
                .stream().anyMatch(st -> st.ready() == 0 && st.placements().isEmpty() && st.reason() != null
                    && st.reason().contains("no device in layer EDGE")));
        timeline.log("pub-mq unplaceable: the sensor is not a device it can run on");
        // the built-in compliance pack reacts to its temperature (95 °C, above 80 °C for 30 s)
        var quarantined = obs.awaitEvent(at, e -> e.type() == AdaptationEvent.Type.DEVICE_QUARANTINED
            && DEVICE.equals(e.deviceId()), Duration.ofSeconds(90));
        assertTrue(quarantined.isPresent(), "rules saw the sensor's temperature");
        timeline.log("%s quarantined: %s", DEVICE, quarantined.get().message().reason());
      } finally {
        clock.shutdownNow();
        clock.awaitTermination(5, TimeUnit.SECONDS);
      }
      cluster.nats().flush(Duration.ofSeconds(5));
      assertEquals(0, commands.get(), "no command was ever sent to the sensor");
      assertTrue(obs.events().stream().map(Observer.Received::message).noneMatch(e -> DEVICE.equals(e.deviceId())
          && e.type().name().startsWith("INSTANCE_")), "no instance event names the sensor: " + obs.events());

      at = obs.eventCount();
      sensor.disconnect(1_000);
      sensor.close();
      timeline.log("%s stopped", DEVICE);
      assertTrue(obs.awaitEvent(at, e -> e.type() == AdaptationEvent.Type.DEVICE_LOST && DEVICE.equals(e.deviceId()),
          Duration.ofSeconds(30)).isPresent(), "the sensor is declared lost after it stopped");

      // an insider with a valid token: py-1's password on another device's subjects, and a subscription
      AtomicInteger forged = new AtomicInteger();
      java.util.concurrent.CountDownLatch fence = new java.util.concurrent.CountDownLatch(1);
      Dispatcher spy = cluster.nats().createDispatcher(m -> {
        if (m.getSubject().endsWith(".py-2")) {
          forged.incrementAndGet();
        } else {
          fence.countDown();
        }
      });
      spy.subscribe("fw.hb." + GW + ".*");
      spy.subscribe("fw.tm." + GW + ".*");
      cluster.nats().flush(Duration.ofSeconds(5));
      MqttClient insider = connect(url, tls, "py-1", password);
      long now = System.currentTimeMillis();
      try {
        insider.publish("fw/hb/" + GW + "/py-2", heartbeat("py-2", 0, now), 0, false);
        insider.publish("fw/tm/" + GW + "/py-2", telemetry("py-2", now), 0, false);
      } catch (MqttException closedAtTheFirstViolation) {
        timeline.log("the hub closed the insider's connection: %s", closedAtTheFirstViolation);
      }
      boolean subscribed;
      try {
        subscribed = insider.subscribeWithResponse("fw/#", 0).getGrantedQos()[0] != 128;
      } catch (MqttException refused) {
        subscribed = false;
      }
      assertTrue(!subscribed, "py-1 may not subscribe to anything");
      // a fence: py-1's own heartbeat, after the forged ones (on a new connection if the hub closed this one)
      try {
        insider.publish("fw/hb/" + GW + "/" + DEVICE, heartbeat(DEVICE, 1, now), 0, false);
      } catch (MqttException closed) {
        insider.close(true);
        insider = connect(url, tls, "py-1", password);
        insider.publish("fw/hb/" + GW + "/" + DEVICE, heartbeat(DEVICE, 1, now), 0, false);
      }
      assertTrue(fence.await(30, TimeUnit.SECONDS), "py-1's own heartbeat went through");
      cluster.nats().flush(Duration.ofSeconds(5));
      assertEquals(0, forged.get(), "a message on py-2's subjects went through with py-1's token");
      insider.disconnectForcibly(1_000);
      insider.close(true);
    }
  }

  private static byte[] heartbeat(String device, long seq, long now) {
    return ("{\"deviceId\":\"" + device + "\",\"gatewayId\":\"" + GW + "\",\"seq\":" + seq + ",\"sentAtMillis\":"
        + now + ",\"intervalMs\":" + INTERVAL_MS + ",\"layer\":\"EDGE\",\"deviceClass\":\"esp32\",\"labels\":{\""
        + Heartbeat.SENSOR_LABEL + "\":\"true\"},\"instances\":[]}").getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] telemetry(String device, long now) {
    return ("{\"deviceId\":\"" + device + "\",\"gatewayId\":\"" + GW + "\",\"atMillis\":" + now
        + ",\"cpuLoad\":0.0,\"memUsedBytes\":0,\"memMaxBytes\":0,\"batteryPct\":71.5,\"temperatureC\":95.0}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static void publishBoth(MqttClient sensor, long seq) {
    long now = System.currentTimeMillis();
    try {
      // MQTT topics: '/' is NATS's '.': fw/hb/gw-mqtt/py-1 is fw.hb.gw-mqtt.py-1
      sensor.publish("fw/hb/" + GW + "/" + DEVICE, heartbeat(DEVICE, seq, now), 0, false);
      sensor.publish("fw/tm/" + GW + "/" + DEVICE, telemetry(DEVICE, now), 0, false);
    } catch (MqttException e) {
      System.out.println("sensor publish failed: " + e);
    }
  }

  private static void assertRefused(String url, SSLSocketFactory tls, String user, String password) {
    MqttException e = assertThrows(MqttException.class, () -> connect(url, tls, user, password)
        .disconnectForcibly(1_000), "refused: user " + user);
    assertTrue(e.getReasonCode() == MqttException.REASON_CODE_NOT_AUTHORIZED
        || e.getReasonCode() == MqttException.REASON_CODE_FAILED_AUTHENTICATION
        || e.getReasonCode() == MqttException.REASON_CODE_CONNECTION_LOST, "why: " + e.getReasonCode() + " " + e);
  }

  private static MqttClient connect(String url, SSLSocketFactory tls, String user, String password)
      throws MqttException {
    MqttClient c = new MqttClient(url, "sensor-" + DEVICE + "-" + System.nanoTime(), new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setCleanSession(true);
    o.setAutomaticReconnect(false);
    o.setConnectionTimeout(10);
    if (tls != null) {
      o.setSocketFactory(tls);
    }
    if (user != null) {
      o.setUserName(user);
    }
    if (password != null) {
      o.setPassword(password.toCharArray());
    }
    try {
      c.connect(o);
    } catch (MqttException e) {
      c.close(true);
      throw e;
    }
    return c;
  }

  private static SSLSocketFactory trusting(Path caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      ks.setCertificateEntry("fogwise-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx.getSocketFactory();
  }
}
