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
    GatewayClient client = gw.connect();
    try {
      long[] lastSeq = {0};
      Object lock = new Object();
      if (follow) { // subscribe first: nothing published between the read and the subscription is lost
        client.followEvents(e -> {
          synchronized (lock) {
            if (e.seq() > lastSeq[0] && (name == null || name.equals(e.service()) || name.equals(e.deviceId()))
                && (all || !ROUTINE_EVENTS.contains(e.type().name()))) {
              lastSeq[0] = e.seq();
              print(out, e);
            }
          }
        });
      }
      List<AdaptationEvent> recent = limit == 0 ? List.of()
          : shown(read(client, ServiceRequest.Op.EVENTS, name).events(), all, limit);
      synchronized (lock) {
        if (format.structured()) {
          recent.forEach(e -> print(out, e));
        } else if (!recent.isEmpty() || !follow) {
          out.print(eventsTable(recent, format == Output.Format.wide));
        }
        if (recent.isEmpty() && !follow) {
          out.println("no events" + (name == null ? "" : " about " + name) + " on gateway " + gw.gateway);
        }
        for (AdaptationEvent e : recent) {
          lastSeq[0] = Math.max(lastSeq[0], e.seq());
        }
        out.flush();
      }
      if (follow) {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "fogwise-events-stop"));
        try {
          stop.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    } finally {
      client.close();
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
