package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code fogwise/gateway} image is complete: its jlink-ed runtime has every module the gateway
 * reaches at run time (TLS with EC keys, Ed25519 signatures, Drools compiling DRL with the
 * in-process compiler, Netty and Vert.x). The gateway runs as a container (host network, its
 * identity files mounted read-only, running as the image's non-root user) against a real secure
 * hub; a signed rule bundle pushed without a precompiled artifact must be compiled inside the
 * container and applied, as an independent subscriber and {@code fogwise rules push} both see.
 */
class GatewayContainerIT {
  private static final String IMAGE = "fogwise/gateway:latest";
  /** On every container this test starts, so a leftover is recognisable ({@code docker ps -a --filter label=...}). */
  private static final String TEST_LABEL = "io.fogwise.test";
  /** The image's user (images/build.sh): the mounted identity must be readable by it. */
  private static final int IMAGE_UID = 10001;
  /** Where the identity files appear in the container. */
  private static final String MOUNT = "/fogwise/identity";
  /**
   * A container's JVM on a loaded 2-core machine: start, connect, compile the default packs,
   * then compile the pushed rules; far more than it takes, never waited for in full.
   */
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final Pattern PROBLEM =
      Pattern.compile("ERROR|NoClassDefFoundError|ClassNotFoundException|UnsatisfiedLinkError|NoSuchAlgorithmException");

  @Test
  void gatewayContainerCompilesAndAppliesASignedPolicy(@TempDir Path dir) throws Exception {
    DockerClient docker = DockerEngine.require(IMAGE);
    String id = "gw-ctr-" + UUID.randomUUID().toString().substring(0, 6);
    try (NatsServer hub = NatsServer.start(); Connection operator = hub.connect()) {
      // the gateway's identity (its buckets created now), the operator's for the push, a signing key
      hub.credsFile(Role.GATEWAY, id, null);
      hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
      CliRun keygen = fogwise("rules", "keygen", "--out", dir.resolve("keys").toString(), "--name", "ops");
      assertEquals(0, keygen.exit(), keygen.toString());
      Path mounted = stage(dir.resolve("identity"), Map.of(
          "gateway.creds", hub.identity().credsFile(Role.GATEWAY, id),
          "gateway.instance.nk", hub.identity().instanceKeyFile(id),
          "ca.pem", hub.identity().caFile(),
          "ops.pub", dir.resolve("keys").resolve("ops.pub")));

      // an independent subscriber of the gateway's status and policy outcomes
      AtomicInteger statuses = new AtomicInteger();
      Queue<PolicyOutcome> outcomes = new ConcurrentLinkedQueue<>();
      Dispatcher d = operator.createDispatcher(m -> {
        if (m.getSubject().equals(Subjects.status(id))) {
          statuses.incrementAndGet();
        } else {
          try {
            outcomes.add(MessageCodec.decode(m.getData(), PolicyOutcome.class));
          } catch (RuntimeException | io.fogwise.protocol.RejectedMessageException e) {
            throw new AssertionError("the gateway sent an outcome that does not decode", e);
          }
        }
      });
      d.subscribe(Subjects.status(id));
      d.subscribe(Subjects.policyOutcomes(id));
      operator.flush(Duration.ofSeconds(5));

      String container = docker.createContainerCmd(IMAGE)
          .withName("fw-test-" + id)
          .withLabels(Map.of(TEST_LABEL, GatewayContainerIT.class.getSimpleName()))
          .withCmd("--id", id, "--nats", hub.url(),
              "--creds", MOUNT + "/gateway.creds", "--instance-key", MOUNT + "/gateway.instance.nk",
              "--ca", MOUNT + "/ca.pem", "--trust-key", MOUNT + "/ops.pub",
              "--http-port", "-1", "--no-artifacts")
          .withHostConfig(HostConfig.newHostConfig().withNetworkMode("host")
              .withBinds(new Bind(mounted.toString(), new Volume(MOUNT), AccessMode.ro)))
          .exec().getId();
      try {
        docker.startContainerCmd(container).exec();
        // online: the gateway in the container has connected, taken its lease and compiled the default packs
        await().atMost(WAIT).until(() -> running(docker, container) && statuses.get() > 0);

        CliRun push = fogwise("rules", "push", "../docs/tutorial/battery.drl", "--scope", "gw." + id,
            "--param", "battery.minPct=15", "--no-precompile", "--key", dir.resolve("keys").resolve("ops.key").toString(),
            "--nats", hub.url(), "--home", hub.identity().dir().toString(), "--timeout", WAIT.toSeconds() + "s");
        assertEquals(0, push.exit(), push + "\n--- container log:\n" + logs(docker, container));
        assertTrue(push.out().matches("(?s).*" + id + "\\s+1\\s+APPLIED\\s+\\d+\\s+compiled\\s+-.*"), push.out());

        await().atMost(WAIT).until(() -> running(docker, container) && outcomes.stream().anyMatch(o -> o.version() == 1));
        PolicyOutcome applied = outcomes.stream().filter(o -> o.version() == 1).findFirst().orElseThrow();
        assertEquals(PolicyOutcome.State.APPLIED, applied.state(), applied.toString());
        assertEquals(PolicyOutcome.Build.COMPILED, applied.build(), "compiled by Drools in the container: " + applied);
        assertEquals("gw." + id, applied.scope());
        assertTrue(applied.live().endsWith("gw." + id + " v1"), applied.live());

        String log = logs(docker, container);
        assertTrue(log.lines().noneMatch(l -> PROBLEM.matcher(l).find()), "the container logged a problem:\n" + log);
        InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(container).exec().getState();
        assertTrue(Boolean.TRUE.equals(state.getRunning()), "the gateway container stopped: " + state + "\n" + log);
      } finally {
        try {
          docker.removeContainerCmd(container).withForce(true).exec();
        } catch (NotFoundException alreadyGone) {
          // removed by someone cleaning up labelled leftovers
        }
      }
    }
  }

  /**
   * Copies {@code files} (name → source) into {@code dir}, readable by the image's user: owned by
   * it when this test runs as root, as production would do it; otherwise readable by all (the
   * container's uid is not ours; the temporary directory above keeps other users out).
   */
  private static Path stage(Path dir, Map<String, Path> files) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, Path> f : files.entrySet()) {
      Files.copy(f.getValue(), dir.resolve(f.getKey()), StandardCopyOption.REPLACE_EXISTING);
    }
    boolean root = ((Integer) Files.getAttribute(dir, "unix:uid")) == 0;
    for (String name : files.keySet()) {
      Path p = dir.resolve(name);
      if (root) {
        Files.setAttribute(p, "unix:uid", IMAGE_UID);
        Files.setAttribute(p, "unix:gid", IMAGE_UID);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r--------"));
      } else {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    if (root) {
      Files.setAttribute(dir, "unix:uid", IMAGE_UID);
      Files.setAttribute(dir, "unix:gid", IMAGE_UID);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
    } else {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return dir;
  }

  /** Whether the container still runs; fails the test with its log at once if it stopped. */
  private static boolean running(DockerClient docker, String container) throws InterruptedException {
    InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(container).exec().getState();
    if (!Boolean.TRUE.equals(state.getRunning())) {
      throw new AssertionError("the gateway container exited with " + state.getExitCodeLong() + ":\n"
          + logs(docker, container));
    }
    return true;
  }

  /** The container's standard output and error so far. */
  private static String logs(DockerClient docker, String container) throws InterruptedException {
    StringBuilder out = new StringBuilder();
    docker.logContainerCmd(container).withStdOut(true).withStdErr(true).exec(new ResultCallback.Adapter<Frame>() {
      @Override
      public void onNext(Frame frame) {
        synchronized (out) {
          out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
        }
      }
    }).awaitCompletion(30, TimeUnit.SECONDS);
    synchronized (out) {
      return out.toString();
    }
  }
}
