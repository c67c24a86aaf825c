package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.ServiceRequest;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fogwise events [NAME] [--follow]}: the recent events, then, with {@code --follow}, each
 * new one as the gateway publishes it, until Ctrl-C.
 */
@Command(name = "events", mixinStandardHelpOptions = true,
    description = "Show the gateway's recent events; with --follow, keep printing new ones until Ctrl-C.")
final class EventsCommand extends ReadCommand {
  @Parameters(arity = "0..1", paramLabel = "NAME", description = "Only events about this service or device.")
  String name;

  @Option(names = {"-f", "--follow"}, description = "Keep printing new events as they happen, until Ctrl-C.")
  boolean follow;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
      description = "How many recent events first. Default: ${DEFAULT-VALUE}.")
  int limit;

  @Option(names = "--all", description = "Also routine events (HEARTBEAT_TIMING measurements).")
  boolean all;

  @Override
  void execute(PrintWriter out, PrintWriter err) throws CliFailure {
    if (limit < 0) {
      throw new CliFailure(2, "--limit must be at least 0, got " + limit);
    }
    if (!follow) {
      try (GatewayClient client = gw.connect()) {
        List<AdaptationEvent> recent = limit == 0 ? List.of()
            : shown(read(client, ServiceRequest.Op.EVENTS, name).events(), all, limit);
        if (format.structured()) {
          recent.forEach(e -> print(out, e));
        } else {
          out.print(eventsTable(recent, format == Output.Format.wide));
        }
        if (recent.isEmpty()) {
          out.println("no events" + (name == null ? "" : " about " + name) + " on gateway " + gw.gateway);
        }
        out.flush();
      }
      return;
    }
    follow(out, err);
  }

  /**
   * {@code --follow}: subscribes first (nothing published between the read and the subscription is
   * lost), prints the recent events, then each new one, once. The gateway numbers its events
   * from 1 again after a restart, so an event is known by more than its number ({@link Seen}). A
   * lost hub connection is re-established, and what the gateway published meanwhile is read back
   * from its recent events; both are said on stderr.
   */
  private void follow(PrintWriter out, PrintWriter err) throws CliFailure {
    Seen seen = new Seen();
    Object lock = new Object();
    java.util.function.Predicate<AdaptationEvent> wanted = e -> (name == null || name.equals(e.service())
        || name.equals(e.deviceId())) && (all || !ROUTINE_EVENTS.contains(e.type().name()));
    var reconnects = new java.util.concurrent.LinkedBlockingQueue<io.nats.client.ConnectionListener.Events>();
    GatewayClient client = gw.connectLasting((conn, type) -> {
      if (type == io.nats.client.ConnectionListener.Events.DISCONNECTED
          || type == io.nats.client.ConnectionListener.Events.RECONNECTED) {
        reconnects.add(type);
      }
    });
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook = new Thread(stop::countDown, "fogwise-events-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      client.followEvents(e -> {
        synchronized (lock) {
          if (wanted.test(e) && seen.firstTime(e)) {
            print(out, e);
          }
        }
      });
      List<AdaptationEvent> ring = limit == 0 ? List.of() : read(client, ServiceRequest.Op.EVENTS, name).events();
      java.util.Set<AdaptationEvent> recent = new java.util.HashSet<>(shown(ring, all, limit));
      synchronized (lock) {
        // one already printed as it arrived live is not listed again; what --limit hid is not news later
        List<AdaptationEvent> listed = ring.stream().filter(seen::firstTime).filter(recent::contains).toList();
        if (format.structured()) {
          listed.forEach(e -> print(out, e));
        } else if (!listed.isEmpty()) {
          out.print(eventsTable(listed, format == Output.Format.wide));
        }
        out.flush();
      }
      // the connection's listener only queues: reading back needs a request, not on its thread
      Thread watcher = new Thread(() -> {
        try {
          while (true) {
            if (reconnects.take() == io.nats.client.ConnectionListener.Events.DISCONNECTED) {
              err.println("fogwise events: lost NATS at " + gw.nats + "; reconnecting (events meanwhile are read back)");
              err.flush();
              continue;
            }
            try {
              List<AdaptationEvent> missed = read(client, ServiceRequest.Op.EVENTS, name).events();
              int shownNow = 0;
              synchronized (lock) {
                for (AdaptationEvent e : missed) {
                  if (wanted.test(e) && seen.firstTime(e)) {
                    print(out, e);
                    shownNow++;
                  }
                }
              }
              err.println("fogwise events: reconnected; " + shownNow + " event(s) read back");
            } catch (CliFailure | RuntimeException f) {
              err.println("fogwise events: reconnected, but the events published meanwhile could not be read back: "
                  + f.getMessage());
            }
            err.flush();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "fogwise-events-reconnects");
      watcher.setDaemon(true);
      watcher.start();
      try {
        stop.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook has run
      }
      client.close();
    }
  }

  /**
   * The events a follow has already printed or listed, known by number, time, type, device and
   * service (the number alone starts again when the gateway restarts); bounded.
   */
  static final class Seen {
    static final int CAPACITY = 20_000;
    private final java.util.LinkedHashSet<String> keys = new java.util.LinkedHashSet<>();

    /** True the first time {@code e} is offered, false for a copy of one seen before. */
    boolean firstTime(AdaptationEvent e) {
      String key = e.seq() + "/" + e.atMillis() + "/" + e.type() + "/" + e.deviceId() + "/" + e.service() + "/"
          + e.epoch();
      if (!keys.add(key)) {
        return false;
      }
      if (keys.size() > CAPACITY) {
        var it = keys.iterator();
        it.next();
        it.remove();
      }
      return true;
    }
  }

  private void print(PrintWriter out, AdaptationEvent e) {
    switch (format) {
      case json -> out.println(io.fogwise.protocol.MessageCodec.encodeToString(e));
      case yaml -> {
        out.println("---");
        Output.structured(out, format, e);
      }
      default -> {
        String[] row = format == Output.Format.wide ? eventRowWide(e) : eventRow(e);
        out.println(String.join("  ", row));
      }
    }
    out.flush();
  }
}
