package io.fogwise.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise cloud} as an operator runs it, a separate OS process: it says when it is up,
 * answers data requests (the data put while it was not running included), and stops cleanly on
 * SIGTERM.
 */
class CloudServiceProcessIT {
  @TempDir Path dir;
  private NatsServer server;
  private Connection nats;
  private Process cloud;

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    nats = Nats.connect(NatsOptions.oneShot(server.url(), Duration.ofSeconds(5), server.operatorAuth())
        .errorListener(new ErrorListener() { }).connectionListener((c, t) -> { }).build());
  }

  @AfterEach
  void stop() throws Exception {
    if (cloud != null) {
      cloud.destroyForcibly();
    }
    if (nats != null) {
      nats.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** The hub's identity home, with the credentials of {@code role id} issued there. */
  private String home(Role role, String id) {
    server.credsFile(role, id, null);
    return server.identity().dir().toString();
  }

  @Test
  void theCloudServiceAnswersDataRequestsAndStopsOnSigterm() throws Exception {
    // put before the service runs: the commands work on the store directly
    Path stations = Files.writeString(dir.resolve("stations.json"), "{\"stations\":[1,2,3]}");
    CliRun put = CliRun.fogwise("cloud", "data", "put", "ref/stations", stations.toString(), "--nats", server.url(),
        "--home", home(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR));
    assertEquals(0, put.exit(), put.toString());

    Path log = dir.resolve("cloud.log");
    List<String> cmd = new ArrayList<>(ComponentLauncher.currentJvm(Fogwise.class.getName(), ComponentLauncher.SMALL_JVM)
        .command(List.of("cloud", "--nats", server.url(), "--home", home(Role.CLOUD, "cloud"), "--miner-store",
            dir.resolve("miner").toString())));
    cloud = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    await("'cloud service up' in " + log).atMost(Duration.ofSeconds(30)).until(() -> {
      assertTrue(cloud.isAlive(), "the cloud service exited:\n" + Files.readString(log));
      return Files.readString(log).contains("cloud service up");
    });

    Message m = nats.request(Subjects.CLOUD_DATA_GET, MessageCodec.encode(new DataRequest("ref/stations")),
        Duration.ofSeconds(5));
    DataReply found = MessageCodec.decode(m.getData(), DataReply.class);
    assertEquals(1, found.item().version(), found.toString());
    assertEquals("application/json", found.item().contentType());
    assertArrayEquals(Files.readAllBytes(stations), found.item().value());

    DataReply missing = MessageCodec.decode(nats.request(Subjects.CLOUD_DATA_GET,
        MessageCodec.encode(new DataRequest("ref/none")), Duration.ofSeconds(5)).getData(), DataReply.class);
    assertTrue(missing.isNotFound(), missing.toString());
    DataReply malformed = MessageCodec.decode(nats.request(Subjects.CLOUD_DATA_GET,
        "{\"key\":".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5)).getData(), DataReply.class);
    assertTrue(malformed.error().startsWith("malformed request"), malformed.toString());

    cloud.destroy(); // SIGTERM
    await("the cloud service stops").atMost(Duration.ofSeconds(15)).until(() -> !cloud.isAlive());
    String output = Files.readString(log);
    assertTrue(output.contains("cloud service stopped"), output);
    assertEquals(1, output.lines().filter(l -> l.contains("cloud service up")).count(), output);
    // one line for the rejected request, none for the good ones
    assertTrue(output.contains("rejected message on fw.cloud.data.get (malformed)"), output);
  }

  /**
   * A signal while the service is still starting (here: right after its first "up" line, while the
   * miner starts) is not lost: the start finishes and the service stops cleanly. CI caught the old
   * order (shutdown hook registered after the start): "Shutdown in progress", nothing closed.
   */
  @Test
  void aSigtermDuringTheStartStopsTheServiceCleanly() throws Exception {
    Path log = dir.resolve("early.log");
    List<String> cmd = new ArrayList<>(ComponentLauncher.currentJvm(Fogwise.class.getName(), ComponentLauncher.SMALL_JVM)
        .command(List.of("cloud", "--nats", server.url(), "--home", home(Role.CLOUD, "cloud"), "--miner-store",
            dir.resolve("miner").toString())));
    cloud = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    await("'cloud service up' in " + log).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2))
        .until(() -> {
          assertTrue(cloud.isAlive(), "the cloud service exited:\n" + Files.readString(log));
          return Files.readString(log).contains("cloud service up");
        });
    cloud.destroy(); // SIGTERM, most likely before the miner is up
    await("the cloud service stops").atMost(Duration.ofSeconds(30)).until(() -> !cloud.isAlive());
    String output = Files.readString(log);
    assertTrue(output.contains("cloud service stopped"), output);
    assertFalse(output.contains("Shutdown in progress"), output);
  }

  @Test
  void withoutAHubItSaysSoAndExitsThree() throws Exception {
    int port = NatsServer.freePort();
    List<String> cmd = ComponentLauncher.currentJvm(Fogwise.class.getName(), ComponentLauncher.SMALL_JVM)
        .command(List.of("cloud", "--nats", "nats://127.0.0.1:" + port, "--home", home(Role.CLOUD, "cloud"),
            "--no-miner"));
    Path log = dir.resolve("nohub.log");
    cloud = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    await("the cloud service exits").atMost(Duration.ofSeconds(60)).until(() -> !cloud.isAlive());
    assertEquals(3, cloud.exitValue(), Files.readString(log));
    assertTrue(Files.readString(log).contains("fogwise cloud: cannot reach NATS at nats://127.0.0.1:" + port),
        Files.readString(log));
  }
}
