package io.fogwise.gateway.orchestrator;

import io.fogwise.gateway.core.orchestrator.CommandOrchestrator;
import io.fogwise.gateway.core.orchestrator.IntentFailedException;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The {@code process} orchestrator: edge agents host services in their own JVM and take
 * commands by NATS request/reply on {@code fw.cmd.<gatewayId>.<deviceId>}. With an
 * {@link InstanceCredentials} source, every START carries the instance's own short-lived NATS
 * credentials, so the instance can use its service's data subjects and nothing else.
 */
public final class ProcessOrchestrator extends CommandOrchestrator {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessOrchestrator.class);
  private final Connection nats;
  private final Duration timeout;
  private final String gatewayId;
  private final InstanceCredentials credentials;
  private final io.fogwise.protocol.time.Clock clock;
  /** When each instance (device/service/epoch) last got credentials that expire. */
  private final java.util.Map<String, Long> issuedAt = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong renewals = new java.util.concurrent.atomic.AtomicLong();

  /** An instance the gateway believes runs: whose credentials {@link #renewDue} keeps fresh. */
  public record Running(String deviceId, String service, String app, long epoch) {
    String key() {
      return deviceId + "/" + service + "/" + epoch;
    }
  }

  /**
   * @param gatewayId the gateway whose devices this commands; also prefixes request ids, so an
   *     agent's log says which gateway asked
   * @param credentials mints each started instance's credentials ({@link InstanceCredentials#none()} when the hub runs without authentication)
   */
  public ProcessOrchestrator(Connection nats, Duration timeout, String gatewayId, InstanceCredentials credentials) {
    this(nats, timeout, gatewayId, credentials, io.fogwise.protocol.time.Clock.system());
  }

  /** As above, with the clock that times credential renewal. */
  public ProcessOrchestrator(Connection nats, Duration timeout, String gatewayId, InstanceCredentials credentials,
      io.fogwise.protocol.time.Clock clock) {
    super(gatewayId);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.nats = Objects.requireNonNull(nats, "nats");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  @Override
  public String name() {
    return "process";
  }

  @Override
  protected CompletionStage<CommandReply> send(String deviceId, Command command) {
    CompletableFuture<CommandReply> out = new CompletableFuture<>();
    Command sent;
    try {
      sent = command.action() == Command.Action.START ? credentials.attach(command) : command;
    } catch (RuntimeException e) {
      out.completeExceptionally(IntentFailedException.refused(
          "cannot issue credentials for " + command.service() + ": " + e.getMessage()));
      return out;
    }
    if (sent.credentials() != null && credentials.renewAfter().isPresent()) {
      issuedAt.put(new Running(deviceId, sent.service(), null, sent.epoch()).key(), clock.millis());
    }
    nats.requestWithTimeout(Subjects.command(gatewayId, deviceId), MessageCodec.encode(sent), timeout)
        .whenComplete((msg, err) -> {
          if (err != null) {
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            out.completeExceptionally(IntentFailedException.unreachable(
                "no reply from " + deviceId + " to " + command.action() + " " + command.service()
                    + " within " + timeout.toMillis() + " ms (" + cause.getClass().getSimpleName() + ")", cause));
            return;
          }
          try {
            out.complete(MessageCodec.decode(msg.getData(), CommandReply.class));
          } catch (RejectedMessageException e) {
            out.completeExceptionally(IntentFailedException.unreachable(
                "unreadable reply from " + deviceId + ": " + e.getMessage(), e));
          }
        });
    return out;
  }

  /**
   * Sends RENEW with fresh credentials to every running instance whose credentials have reached
   * half their lifetime, or whose age this gateway does not know (it restarted since the START):
   * call it periodically with what runs (no-op when credentials do not expire). Instances not
   * in {@code running} are forgotten; one that does not answer is tried again next time.
   */
  public void renewDue(List<Running> running) {
    java.util.Optional<Duration> after = credentials.renewAfter();
    if (after.isEmpty()) {
      return;
    }
    long now = clock.millis();
    java.util.Set<String> live = new java.util.HashSet<>();
    for (Running i : running) {
      live.add(i.key());
      Long at = issuedAt.get(i.key());
      if (at != null && now - at < after.get().toMillis()) {
        continue;
      }
      issuedAt.put(i.key(), now); // one RENEW in flight per instance and interval
      Command renew;
      try {
        renew = Command.renew(nextId(), i.service(), i.epoch(), credentials.fresh(i.service(), i.app(), i.epoch()));
      } catch (RuntimeException e) {
        LOG.warn("gateway {}: cannot renew the credentials of {} epoch {} on {}: {}", gatewayId, i.service(), i.epoch(),
            i.deviceId(), e.getMessage());
        continue;
      }
      nats.requestWithTimeout(Subjects.command(gatewayId, i.deviceId()), MessageCodec.encode(renew), timeout)
          .whenComplete((msg, err) -> {
            if (err != null) {
              issuedAt.remove(i.key(), now); // try again next time
              LOG.debug("gateway {}: no answer to RENEW of {} on {}; trying again", gatewayId, i.service(), i.deviceId());
              return;
            }
            try {
              CommandReply reply = MessageCodec.decode(msg.getData(), CommandReply.class);
              if (reply.ok()) {
                renewals.incrementAndGet();
              } else {
                LOG.info("gateway {}: {} refused new credentials for {} epoch {}: {}", gatewayId, i.deviceId(),
                    i.service(), i.epoch(), reply.error());
              }
            } catch (RejectedMessageException e) {
              LOG.warn("gateway {}: unreadable reply to RENEW from {}: {}", gatewayId, i.deviceId(), e.getMessage());
            }
          });
    }
    issuedAt.keySet().retainAll(live);
  }

  /** Credentials renewed so far (answered ok). */
  public long renewals() {
    return renewals.get();
  }

  /** How often {@link #renewDue} should run: a tenth of the renewal age, at most every minute; empty when credentials do not expire. */
  public java.util.Optional<Duration> renewCheckInterval() {
    return credentials.renewAfter().map(a -> {
      Duration d = a.dividedBy(10);
      return d.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : d.isZero() ? Duration.ofMillis(100) : d;
    });
  }
}
