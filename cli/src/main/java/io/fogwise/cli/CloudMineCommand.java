package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.cloud.publish.MineReply;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Message;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fogwise cloud mine --now}: asks the running cloud service's leader for a mining pass and
 * prints what it found and what publishing it did.
 */
@Command(name = "mine", mixinStandardHelpOptions = true,
    description = {"Ask the running cloud service (its leader) to run a mining pass now (request on " + Subjects.CLOUD_MINE
        + ")", "and print its findings, refusals and the candidate or published version.",
        "Exit codes: 0 found something (proposed, published, or findings only), 1 nothing publishable (with why),",
        "2 bad option, 3 no answer within --timeout (no 'fogwise cloud' running?) or NATS unreachable."})
final class CloudMineCommand extends PolicyCommands.Base {
  @Option(names = "--now", required = true, description = "Run a pass now (required: passes otherwise run on schedule).")
  boolean now;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
      converter = PolicyCommands.DurationConverter.class,
      description = "How long to wait for the pass and its publication. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    return withNats(nats -> {
      Message reply;
      try {
        reply = nats.request(Subjects.CLOUD_MINE, ("fogwise cloud mine --now by " + PolicyCommands.user())
            .getBytes(StandardCharsets.UTF_8)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException | CancellationException e) {
        throw new CliFailure(3, "no answer on " + Subjects.CLOUD_MINE + " within " + GatewayClient.seconds(timeout)
            + " (" + (e instanceof TimeoutException ? "timed out" : e.getCause() == null ? e.toString()
                : e.getCause().getMessage()) + "): is 'fogwise cloud' running with the miner? a long pass needs a"
            + " larger --timeout");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliFailure(3, "interrupted while waiting for the mining pass");
      }
      MineReply r;
      try {
        r = MessageCodec.decode(reply.getData(), MineReply.class);
      } catch (RejectedMessageException e) {
        throw new CliFailure(3, "unreadable answer on " + Subjects.CLOUD_MINE + ": " + e.getMessage());
      }
      print(r, out);
      if (!r.found()) {
        err.println("fogwise cloud mine: " + r.message());
        return 1;
      }
      return 0;
    });
  }

  static void print(MineReply r, PrintWriter out) {
    if (r.toMillis() > 0) {
      out.println("mining pass at " + Instant.ofEpochMilli(r.atMillis()) + " over " + Instant.ofEpochMilli(r.fromMillis())
          + " .. " + Instant.ofEpochMilli(r.toMillis()));
    }
    out.println("findings:" + (r.findings().isEmpty() ? " none" : ""));
    r.findings().forEach(f -> out.println("  " + f));
    if (!r.refusals().isEmpty()) {
      out.println("not published because:");
      r.refusals().forEach(f -> out.println("  " + f));
    }
    out.println(r.outcome() + (r.version() > 0 ? " v" + r.version() : "") + ": " + r.message());
    r.details().forEach(d -> out.println("  " + d));
  }
}
