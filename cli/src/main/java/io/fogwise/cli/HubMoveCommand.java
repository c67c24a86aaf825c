package io.fogwise.cli;

import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fogwise hub move --to <gateway>}: moves the application traffic of a gateway's devices
 * from the hub their instances use to the gateway's own NATS server (its site, {@code fogwise
 * gateway --leaf}), make-before-break: every instance first attaches to the new server and takes
 * traffic on both (dropping the copies), then leaves the old one. Nothing is lost while the two
 * servers are linked; the old server can then leave (lame-duck mode).
 */
@picocli.CommandLine.Command(name = "move", mixinStandardHelpOptions = true,
    description = {"Move a gateway's service instances to the gateway's own NATS (its site, 'fogwise",
        "gateway --leaf'), make-before-break: each instance first attaches to the gateway's server and",
        "takes traffic on both, dropping the copies, then leaves the old one. Nothing is lost while",
        "the cloud's hub and the site are linked; then the cloud's server may leave",
        "('nats-server --signal ldm=<pid>'). Instances are found from the devices' heartbeats.",
        "Exit 0 when every instance moved, 1 otherwise."})
final class HubMoveCommand implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--to", paramLabel = "GATEWAY", required = true,
      description = "The gateway whose NATS server takes over (its devices' instances move there).")
  String gateway;

  @Option(names = "--nats", paramLabel = "URL", defaultValue = "${env:FW_NATS_URL:-nats://127.0.0.1:4223}",
      description = "The gateway's NATS server, where its devices are connected (env FW_NATS_URL). Default: ${DEFAULT-VALUE}.")
  String nats;

  @Option(names = "--discover", paramLabel = "DURATION", defaultValue = "1s", converter = PolicyCommands.DurationConverter.class,
      description = "How long to listen to heartbeats to find the instances (up to 1m). Default: ${DEFAULT-VALUE}.")
  Duration discover;

  @Option(names = "--discover-ms", hidden = true, description = "Deprecated: --discover in milliseconds.")
  Long discoverMs;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = PolicyCommands.DurationConverter.class,
      description = "How long each step waits for the devices' answers. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Mixin IdentityOptions identity;

  @Spec CommandSpec spec;

  /** One instance to move. */
  record Target(String device, String service, String kind, long epoch) {
    @Override
    public String toString() {
      return service + "#" + epoch + " (" + kind + ") on " + device;
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      Subjects.heartbeats(gateway);
    } catch (IllegalArgumentException e) {
      err.println("fogwise hub move: not a valid gateway id: '" + gateway + "'");
      return 2;
    }
    if (discoverMs != null) {
      discover = Duration.ofMillis(discoverMs);
    }
    if (discover.toMillis() < 1 || discover.compareTo(Duration.ofMinutes(1)) > 0) {
      err.println("fogwise hub move: --discover must be within [1ms, 1m], got " + discover.toMillis() + " ms (see --help)");
      return 2;
    }
    Connection nc;
    try {
      nc = Nats.connect(NatsOptions.oneShot(nats, timeout, identity.operator("fogwise hub move")).build());
    } catch (GatewayClient.CliFailure f) {
      err.println("fogwise hub move: " + f.getMessage());
      return f.exitCode();
    } catch (java.io.IOException e) {
      err.println("fogwise hub move: cannot reach the gateway's NATS at " + nats + " (" + e.getMessage()
          + "); give its site's address with --nats");
      return 3;
    }
    try {
      long t0 = System.nanoTime();
      List<Target> targets = discover(nc);
      if (targets.isEmpty()) {
        err.println("fogwise hub move: no device of " + gateway + " reported an instance within " + discover.toMillis()
            + " ms on " + nats + " (are its devices connected there?)");
        return 1;
      }
      out.printf("hub move to %s (%s): %d device(s), %d instance(s): %s%n", gateway, nats, devices.size(),
          targets.size(), targets);
      out.flush();
      long a0 = System.nanoTime();
      // first the devices: instances they start from now on (a failover during the move) go to the new server
      List<String> failed = deviceStep(nc, timeout);
      if (!failed.isEmpty()) {
        err.println("fogwise hub move: devices did not take the new server for new instances: " + String.join("; ", failed));
        return 1;
      }
      failed = step(nc, targets, true, timeout);
      long attachMs = ms(System.nanoTime() - a0);
      if (!failed.isEmpty()) {
        err.println("fogwise hub move: attach failed, nothing left the old server: " + String.join("; ", failed));
        return 1;
      }
      out.printf("attached: every instance takes traffic on both servers (%d ms)%n", attachMs);
      out.flush();
      long d0 = System.nanoTime();
      // publishers leave first: their next message goes out on the gateway's server while every
      // subscriber still listens on both, so the order of the stream is kept
      List<Target> publishers = targets.stream().filter(t -> !"subscriber".equals(t.kind())).toList();
      List<Target> others = targets.stream().filter(t -> "subscriber".equals(t.kind())).toList();
      failed = new ArrayList<>(step(nc, publishers, false, timeout));
      failed.addAll(step(nc, others, false, timeout));
      long detachMs = ms(System.nanoTime() - d0);
      if (!failed.isEmpty()) {
        err.println("fogwise hub move: detach failed (those instances use both servers still): " + String.join("; ", failed));
        return 1;
      }
      out.printf("detached: every instance uses only %s's server (%d ms); moved %d instance(s) in %d ms "
          + "(attach %d ms, detach %d ms)%n", gateway, detachMs, targets.size(), ms(System.nanoTime() - a0), attachMs,
          detachMs);
      out.printf("the old server may leave now: nats-server --signal ldm=<pid> (lame-duck mode)%n");
      return 0;
    } finally {
      nc.close();
      out.flush();
      err.flush();
    }
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** Every device heard in {@link #discover}, with or without instances. */
  private final java.util.Set<String> devices = new java.util.TreeSet<>();

  /** The instances the gateway's devices report in their heartbeats. */
  private List<Target> discover(Connection nc) throws InterruptedException {
    Map<String, Target> found = new TreeMap<>();
    Dispatcher d = nc.createDispatcher(msg -> {
      try {
        Heartbeat hb = MessageCodec.decode(msg.getData(), Heartbeat.class);
        synchronized (devices) {
          devices.add(hb.deviceId());
        }
        synchronized (found) {
          for (InstanceReport r : hb.instances()) {
            found.put(hb.deviceId() + "/" + r.service(), new Target(hb.deviceId(), r.service(), r.kind(), r.epoch()));
          }
        }
      } catch (RejectedMessageException e) {
        // not a heartbeat this version reads: that device is not moved, and says nothing
      }
    });
    d.subscribe(Subjects.heartbeats(gateway));
    Thread.sleep(discover.toMillis()); // listening for a fixed time is the point: heartbeats come every interval
    nc.closeDispatcher(d);
    synchronized (found) {
      return List.copyOf(found.values());
    }
  }

  /** HUB_MOVED to every device heard; returns what failed, one line each. */
  private List<String> deviceStep(Connection nc, Duration timeout) {
    List<String> ids;
    synchronized (devices) {
      ids = List.copyOf(devices);
    }
    List<CompletableFuture<Message>> replies = new ArrayList<>();
    for (String device : ids) {
      String id = "hub-move-" + UUID.randomUUID().toString().substring(0, 8);
      replies.add(nc.requestWithTimeout(Subjects.command(gateway, device),
          MessageCodec.encode(io.fogwise.protocol.Command.hubMoved(id)), timeout));
    }
    return answers(ids, replies, timeout);
  }

  private static List<String> answers(List<?> targets, List<CompletableFuture<Message>> replies, Duration timeout) {
    List<String> failed = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      Object t = targets.get(i);
      try {
        Message m = replies.get(i).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        CommandReply r = MessageCodec.decode(m.getData(), CommandReply.class);
        if (!r.ok()) {
          failed.add(t + ": " + r.error());
        }
      } catch (Exception e) {
        failed.add(t + ": no answer (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
            + e.getMessage()) + ")");
      }
    }
    return failed;
  }

  /** ATTACH (or DETACH) every target at once; returns what failed, one line each. */
  private List<String> step(Connection nc, List<Target> targets, boolean attach, Duration timeout) {
    List<CompletableFuture<Message>> replies = new ArrayList<>();
    for (Target t : targets) {
      String id = "hub-move-" + UUID.randomUUID().toString().substring(0, 8);
      io.fogwise.protocol.Command c = attach ? io.fogwise.protocol.Command.attach(id, t.service(), t.epoch())
          : io.fogwise.protocol.Command.detach(id, t.service(), t.epoch());
      replies.add(nc.requestWithTimeout(Subjects.command(gateway, t.device()), MessageCodec.encode(c), timeout));
    }
    return answers(targets, replies, timeout);
  }
}
