package io.fogwise.testsupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher every IT, the demo and the benchmarks use, on real nats-server processes. */
class NatsServerIT {

  @Test
  void aJvmKilledWithSigkillTakesItsServerAlong(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // the launcher needs its dependencies too (identity, protocol, jnats, Jackson): the test's own class path
    String classPath = String.join(File.pathSeparator, codeSource(NatsServer.class), codeSource(HoldsNatsServer.class),
        System.getProperty("java.class.path"));
    Process holder = new ProcessBuilder(java, "-Xmx32m", "-cp", classPath, HoldsNatsServer.class.getName(),
        dir.resolve("store").toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      String[] portAndPid =
          new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.US_ASCII)).readLine()
              .split(" ");
      int port = Integer.parseInt(portAndPid[0]);
      long server = Long.parseLong(portAndPid[1]);
      assertFalse(Ports.isFree(port));

      holder.destroyForcibly();

      await("port " + port + " free after the JVM's SIGKILL").atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(20)).until(() -> Ports.isFree(port));
      await().atMost(Duration.ofSeconds(2)).until(() -> ProcessHandle.of(server).map(p -> !p.isAlive()).orElse(true));
    } finally {
      holder.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPortHeldByAnotherServerIsReportedNotMistakenForOurs() {
    try (NatsServer first = NatsServer.start()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> NatsServer.start(first.port(), null));

      assertEquals("nats-server could not start on 127.0.0.1:" + first.port() + ": port " + first.port()
          + " is already in use by another process", e.getMessage());
      assertTrue(first.isAlive());
    }
  }

  @Test
  void aKilledServerReportsItsStatusAndRestartsOnItsPortAndStore() throws Exception {
    NatsServer first = NatsServer.start();
    Path store = first.log().getParent();
    ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly();

    assertEquals(137, first.onExit().get(5, TimeUnit.SECONDS));
    assertEquals("status 137 (killed by SIGKILL)", NatsServer.describeStatus(137));

    try (NatsServer second = first.restarted()) {
      first.close(); // the store now belongs to the second server
      assertEquals(first.port(), second.port());
      assertNotEquals(first.pid(), second.pid());
      assertTrue(Files.isDirectory(store));
      assertTrue(Ports.answersNats(second.port()));
    }
    assertFalse(Files.exists(store), "the temporary store is removed with its last server");
  }

  @Test
  void closeStopsTheServerCleanly() throws Exception {
    Path store;
    String problem;
    int port;
    long exitStatus;
    try (NatsServer server = NatsServer.start()) {
      store = server.log().getParent();
      port = server.port();
      assertThrows(IllegalStateException.class, server::restarted, "a running server is not restarted");
      server.close();
      exitStatus = server.onExit().get(1, TimeUnit.SECONDS);
      problem = server.lastProblem().orElse("");
    }
    assertEquals(0, exitStatus);
    assertEquals("", problem, "no error logged");
    assertTrue(Ports.isFree(port));
    assertFalse(Files.exists(store));
  }

  private static String codeSource(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }


}
