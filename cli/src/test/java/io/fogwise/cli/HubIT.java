package io.fogwise.cli;

import io.fogwise.testsupport.Ports;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testsupport.NatsServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise hub} as an operator runs it, a separate OS process, supervising a real
 * nats-server: the server dies with the hub (even SIGKILL), the hub dies with the server (or
 * restarts it), and a taken port is reported, never "listening".
 */
class HubIT {
  private static final Pattern LISTENING = Pattern.compile("hub: nats-server \\(pid (\\d+)\\) listening on (\\S+)");
  private static final Duration STARTUP = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final List<Process> hubs = new ArrayList<>();
  private final List<Long> servers = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    hubs.forEach(Process::destroyForcibly);
    servers.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  @Test
  void aHubKilledWithSigkillTakesItsNatsServerAlong() throws Exception {
    int port = NatsServer.freePort();
    Hub hub = startHub("hub", "--port", Integer.toString(port));
    long server = hub.awaitListening(1);

    hub.process.destroyForcibly();

    await("port " + port + " free after the hub's SIGKILL").atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(20)).until(() -> Ports.isFree(port));
    await().atMost(Duration.ofSeconds(2)).until(() -> ProcessHandle.of(server).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void aKilledNatsServerEndsTheHubWithItsStatus() throws Exception {
    int port = NatsServer.freePort();
    Hub hub = startHub("hub", "--port", Integer.toString(port));
    long server = hub.awaitListening(1);

    ProcessHandle.of(server).orElseThrow().destroyForcibly();

    await("the hub exits").atMost(Duration.ofSeconds(10)).until(() -> !hub.process.isAlive());
    assertEquals(137, hub.process.exitValue(), hub.output());
    assertTrue(hub.output().contains("nats-server (pid " + server + ") exited with status 137 (killed by SIGKILL)"),
        hub.output());
  }

  @Test
  void withRestartAKilledNatsServerComesBackOnTheSamePortAndSigtermStopsItCleanly() throws Exception {
    int port = NatsServer.freePort();
    Path store = dir.resolve("store");
    Hub hub = startHub("hub", "--port", Integer.toString(port), "--store", store.toString(), "--restart");
    long first = hub.awaitListening(1);

    ProcessHandle.of(first).orElseThrow().destroyForcibly();

    long second = hub.awaitListening(2);
    assertNotEquals(first, second);
    assertTrue(hub.output().contains("nats-server (pid " + first + ") exited with status 137 (killed by SIGKILL)"
        + "; restarting it in 500 ms"), hub.output());
    assertTrue(hub.output().contains("listening on nats://127.0.0.1:" + port), hub.output());
    assertTrue(Ports.answersNats(port), "the restarted server answers on port " + port);
    assertTrue(hub.process.isAlive());

    hub.process.destroy(); // SIGTERM

    await("the hub stops").atMost(Duration.ofSeconds(10)).until(() -> !hub.process.isAlive());
    await().atMost(Duration.ofSeconds(2)).until(() -> Ports.isFree(port));
    String serverLog = Files.readString(store.resolve("nats-server.log"));
    assertTrue(serverLog.strip().endsWith("Server Exiting.."), "a clean shutdown:\n" + serverLog);
    assertTrue(ProcessHandle.of(second).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void ctrlCInTheTerminalStopsNatsServerCleanlyThroughTheHub() throws Exception {
    int port = NatsServer.freePort();
    Path store = dir.resolve("store");
    // a session of its own stands for the terminal: Ctrl-C signals its whole foreground process group
    Hub hub = startHub(List.of("setsid"), "hub", "--port", Integer.toString(port), "--store", store.toString());
    long server = hub.awaitListening(1);

    Process ctrlC = new ProcessBuilder("kill", "-INT", "--", "-" + hub.process.pid()).inheritIO().start();
    assertEquals(0, ctrlC.waitFor());

    await("the hub stops").atMost(Duration.ofSeconds(10)).until(() -> !hub.process.isAlive());
    await().atMost(Duration.ofSeconds(2)).until(() -> Ports.isFree(port));
    assertTrue(hub.output().contains("hub: stopping nats-server (pid " + server + ")"), hub.output());
    assertFalse(hub.output().contains("exited with"), "the stop was the hub's, not a death:\n" + hub.output());
    String serverLog = Files.readString(store.resolve("nats-server.log"));
    assertTrue(serverLog.strip().endsWith("Server Exiting.."), "a clean shutdown:\n" + serverLog);
  }

  @Test
  void aSecondHubOnATakenPortSaysSoAndExitsNonZero() throws Exception {
    int port = NatsServer.freePort();
    Hub first = startHub("first", "--port", Integer.toString(port));
    first.awaitListening(1);

    Hub second = startHub("second", "--port", Integer.toString(port));

    await("the second hub exits").atMost(STARTUP).until(() -> !second.process.isAlive());
    assertNotEquals(0, second.process.exitValue(), second.output());
    assertTrue(second.output().contains("port " + port + " is already in use"), second.output());
    assertFalse(second.output().contains("listening"), second.output());
    assertTrue(first.process.isAlive(), "the first hub is untouched");
    assertTrue(Ports.answersNats(port));
  }

  private Hub startHub(String name, String... args) throws IOException {
    return startHub(List.of(), name, args);
  }

  private Hub startHub(List<String> prefix, String name, String... args) throws IOException {
    List<String> cmdArgs = new ArrayList<>(List.of("hub"));
    cmdArgs.addAll(List.of(args));
    if (!cmdArgs.contains("--store")) {
      // a hub killed with SIGKILL cannot remove a temporary store: keep it where JUnit cleans up
      cmdArgs.addAll(List.of("--store", dir.resolve(name + "-store").toString()));
    }
    if (!cmdArgs.contains("--home") && !cmdArgs.contains("--insecure")) {
      // secure by default: never the operator's ~/.fogwise
      cmdArgs.addAll(List.of("--home", dir.resolve(name + "-identity").toString()));
    }
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(ComponentLauncher.currentJvm(Fogwise.class.getName(), ComponentLauncher.SMALL_JVM).command(cmdArgs));
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    hubs.add(p);
    return new Hub(p, log);
  }

  private final class Hub {
    final Process process;
    final Path log;

    Hub(Process process, Path log) {
      this.process = process;
      this.log = log;
    }

    String output() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "(cannot read " + log + ": " + e + ")";
      }
    }

    /** Waits for the n-th "listening" line and returns the nats-server pid it names. */
    long awaitListening(int n) {
      await("'listening' line " + n + " of " + log).atMost(STARTUP).until(() -> {
        assertTrue(process.isAlive() || listening().size() >= n, "the hub exited:\n" + output());
        return listening().size() >= n;
      });
      long pid = listening().get(n - 1);
      servers.add(pid);
      return pid;
    }

    private List<Long> listening() {
      List<Long> pids = new ArrayList<>();
      Matcher m = LISTENING.matcher(output());
      while (m.find()) {
        pids.add(Long.parseLong(m.group(1)));
      }
      return pids;
    }
  }


}
