package io.fogwise.gateway.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lease logic on a manual clock and an in-memory store with KV semantics: nothing sleeps. */
class IdLeaseTest {
  private static final long T0 = 1_767_225_600_000L;
  private final MemoryLeaseStore store = new MemoryLeaseStore();
  private final ManualClock clock = new ManualClock(T0);

  private static GatewayLease.Holder holder(long pid) {
    return new GatewayLease.Holder("fog-box", pid, T0 - 10_000, "i" + pid, "fogwise test", "durable, http 8080");
  }

  private IdLease lease(long pid) {
    return new IdLease(store, "gw-1", holder(pid), clock);
  }

  @Test
  void theFirstGatewayTakesAFreeIdAtOnceWithAnEpochAboveEveryEarlierWrite() throws Exception {
    store.otherWrite(); // the bucket already holds durable state
    store.otherWrite();
    GatewayLease l = lease(1).acquire(d -> { throw new AssertionError("must not wait"); });
    assertEquals(3, l.epoch());
    assertEquals(1, l.holder().pid());
    assertEquals(T0, l.acquiredAtMillis());
    assertEquals(T0 + IdLease.TTL.toMillis(), l.expiresAtMillis());
    assertEquals(l, store.stored());
  }

  @Test
  void aSecondGatewayBesideARenewingHolderRefusesNamingItWithinAboutOneRenewal() throws Exception {
    IdLease first = lease(1);
    GatewayLease held = first.acquire(d -> { });
    clock.advanceMillis(300);
    IdLease second = lease(2);
    long start = clock.millis();
    LeaseHeldException e = assertThrows(LeaseHeldException.class, () -> second.acquire(renewingEverySecond(first)));
    long waited = clock.millis() - start;
    assertTrue(waited <= IdLease.RENEW_INTERVAL.toMillis() + IdLease.POLL.toMillis(), "refused after " + waited + " ms");
    assertEquals(held.epoch(), e.holder().epoch());
    assertTrue(e.getMessage().contains("pid 1 on host fog-box since " + java.time.Instant.ofEpochMilli(T0)),
        e.getMessage());
    assertTrue(e.getMessage().contains("stop that gateway first or choose another --id"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line");
    assertEquals(1, store.stored().holder().pid(), "the holder keeps its id");
    assertEquals(IdLease.Outcome.RENEWED, first.renew().outcome());
  }

  @Test
  void aLapsedLeaseIsTakenOverWithTheNextEpochAndTheOldHolderLearnsItLostIt() throws Exception {
    IdLease crashed = lease(1);
    GatewayLease old = crashed.acquire(d -> { });
    clock.advanceMillis(600); // it renewed last at T0, then died (SIGKILL)
    IdLease restarted = lease(2);
    long start = clock.millis();
    GatewayLease taken = restarted.acquire(clock::advance);
    assertEquals(old.epoch() + 1, taken.epoch());
    long sinceLastRenewal = clock.millis() - start + 600;
    assertTrue(sinceLastRenewal >= IdLease.TTL.toMillis(), "not before it lapsed: " + sinceLastRenewal);
    assertTrue(sinceLastRenewal <= IdLease.TTL.toMillis() + IdLease.POLL.toMillis(), "soon after: " + sinceLastRenewal);

    // the old holder was only frozen, and comes back: it must not fight
    IdLease.Renewal r = crashed.renew();
    assertEquals(IdLease.Outcome.LOST, r.outcome());
    assertEquals(2, r.holder().holder().pid());
    assertEquals(taken, store.stored(), "the loser wrote nothing");
    assertEquals(IdLease.Outcome.LOST, crashed.renew().outcome());
    assertTrue(crashed.current().isEmpty());
    crashed.release();
    assertEquals(taken, store.stored(), "a loser does not release someone else's lease");
  }

  @Test
  void aLeaseLongExpiredIsTakenAfterTheLivenessWindowOnly() throws Exception {
    lease(1).acquire(d -> { });
    clock.advance(Duration.ofMinutes(10));
    long start = clock.millis();
    lease(2).acquire(clock::advance);
    long waited = clock.millis() - start;
    assertTrue(waited >= IdLease.LIVENESS_WINDOW.toMillis()
        && waited <= IdLease.LIVENESS_WINDOW.toMillis() + IdLease.POLL.toMillis(), "waited " + waited);
  }

  @Test
  void aReleasedLeaseIsTakenAtOnceWithTheNextEpoch() throws Exception {
    IdLease stopped = lease(1);
    GatewayLease first = stopped.acquire(d -> { });
    stopped.release();
    assertTrue(store.stored().released());
    assertTrue(store.stored().expiredAt(clock.wallMillis()));
    GatewayLease next = lease(2).acquire(d -> { throw new AssertionError("must not wait"); });
    assertEquals(first.epoch() + 1, next.epoch());
  }

  @Test
  void aContenderWhoseClockRunsAheadStillSeesTheHolderRenewAndBacksOff() throws Exception {
    IdLease first = lease(1);
    first.acquire(d -> { });
    ManualClock ahead = new ManualClock(T0 + 60_000); // a minute ahead: the lease looks long lapsed
    IdLease second = new IdLease(store, "gw-1", holder(2), ahead);
    assertThrows(LeaseHeldException.class, () -> second.acquire(d -> {
      ahead.advance(d);
      renewingEverySecond(first).sleep(d);
    }));
    assertEquals(1, store.stored().holder().pid());
  }

  @Test
  void aContenderRefusesWhenADeadHoldersLeaseNeverLapsesByItsClock() throws Exception {
    ManualClock ahead = new ManualClock(T0 + 3_600_000); // the holder's clock was an hour ahead
    new IdLease(store, "gw-1", holder(1), ahead).acquire(d -> { });
    LeaseHeldException e = assertThrows(LeaseHeldException.class, () -> lease(2).acquire(clock::advance));
    assertTrue(e.getMessage().contains("clocks apart"), e.getMessage());
  }

  @Test
  void aFailedRenewalIsRetriedAndSucceedsIfNobodyTookTheLease() throws Exception {
    IdLease l = lease(1);
    l.acquire(d -> { });
    store.failNext = true;
    clock.advanceMillis(1_000);
    IdLease.Renewal failed = l.renew();
    assertEquals(IdLease.Outcome.FAILED, failed.outcome());
    assertTrue(failed.failure().getMessage().contains("Timeout"));
    clock.advanceMillis(7_000); // lapsed meanwhile, but nobody came
    assertEquals(IdLease.Outcome.RENEWED, l.renew().outcome());
    assertEquals(clock.wallMillis() + IdLease.TTL.toMillis(), store.stored().expiresAtMillis());
  }

  @Test
  void aRenewalWhoseReplyWasLostIsRecognisedAsOurOwn() throws Exception {
    IdLease l = lease(1);
    l.acquire(d -> { });
    store.loseNextReply = true;
    clock.advanceMillis(1_000);
    assertEquals(IdLease.Outcome.FAILED, l.renew().outcome());
    clock.advanceMillis(1_000);
    assertEquals(IdLease.Outcome.RENEWED, l.renew().outcome(), "the conflict is with our own write");
    clock.advanceMillis(1_000);
    assertEquals(IdLease.Outcome.RENEWED, l.renew().outcome());
    assertEquals(1, store.stored().holder().pid());
  }

  @Test
  void aLeaseDeletedByHandIsPutBackByItsHolderUnlessSomeoneElseTookTheId() throws Exception {
    IdLease l = lease(1);
    GatewayLease held = l.acquire(d -> { });
    store.delete();
    assertEquals(IdLease.Outcome.RENEWED, l.renew().outcome());
    assertEquals(held.epoch(), store.stored().epoch());

    store.delete();
    GatewayLease other = lease(2).acquire(d -> { throw new AssertionError("a free id is taken at once"); });
    assertTrue(other.epoch() > held.epoch(), "epochs never go back, even after a delete by hand");
    assertEquals(IdLease.Outcome.LOST, l.renew().outcome());
  }

  @Test
  void anUnreadableLeaseIsTakenOnlyAfterStayingUnchangedForAFullTtl() throws Exception {
    store.otherWrite();
    store.putRaw("{\"not\":\"a lease\"}".getBytes(StandardCharsets.UTF_8));
    long start = clock.millis();
    GatewayLease l = lease(1).acquire(clock::advance);
    assertTrue(clock.millis() - start >= IdLease.TTL.toMillis());
    assertEquals(3, l.epoch(), "above the unreadable value's revision");
  }

  @Test
  void keepRenewsOnTheSchedulerAndReportsALossOnce() throws Exception {
    ManualScheduler scheduler = new ManualScheduler(clock);
    IdLease l = lease(1);
    l.acquire(d -> { });
    List<GatewayLease> lost = new ArrayList<>();
    l.keep(scheduler, Runnable::run, lost::add);
    scheduler.advance(Duration.ofSeconds(3));
    assertEquals(clock.wallMillis(), store.stored().renewedAtMillis());
    assertEquals(Duration.ZERO, l.sinceRenewed());

    // a second process takes the id by force (as a standby would once it lapsed)
    GatewayLease.Holder thief = holder(2);
    GatewayLease stolen = GatewayLease.acquired("gw-1", store.stored().epoch() + 1, thief, clock.wallMillis(),
        IdLease.TTL);
    store.putRaw(MessageCodec.encode(stolen));
    scheduler.advance(Duration.ofSeconds(3));
    assertEquals(List.of(stolen), lost);
    assertEquals(stolen, store.stored());
  }

  @Test
  void theLeaseValueIsTheGoldenJson() throws Exception {
    byte[] golden;
    try (InputStream in = IdLeaseTest.class.getResourceAsStream("/golden/gateway-lease.json")) {
      golden = in.readAllBytes();
    }
    GatewayLease expected = new GatewayLease("gw-1", 3, new GatewayLease.Holder("fog-box", 4242, 1_767_225_590_000L,
        "1f2e3d4c", "fogwise 0.1.0", "durable, http 8080, nats nats://127.0.0.1:4222"), T0, T0 + 30_000,
        T0 + 35_000, false);
    assertEquals(expected, MessageCodec.decode(golden, GatewayLease.class));
    JsonNode want = MessageCodec.mapper().readTree(golden);
    assertEquals(want, MessageCodec.mapper().readTree(MessageCodec.encode(expected)));
    assertEquals("pid 4242 on host fog-box since 2026-01-01T00:00:00Z (fogwise 0.1.0, durable, http 8080, nats"
        + " nats://127.0.0.1:4222; lease epoch 3)", expected.describe());
  }

  @Test
  void aLeaseValueThatBreaksItsRulesIsRejectedNamingTheField() {
    String ok = new String(golden(), StandardCharsets.UTF_8);
    RejectedMessageException epoch = assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(ok.replace("\"epoch\": 3", "\"epoch\": 0").getBytes(StandardCharsets.UTF_8),
            GatewayLease.class));
    assertTrue(epoch.getMessage().contains("epoch"), epoch.getMessage());
    RejectedMessageException times = assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(ok.replace("1767225635000", "1767225620000").getBytes(StandardCharsets.UTF_8),
            GatewayLease.class));
    assertTrue(times.getMessage().contains("expiresAtMillis"), times.getMessage());
    RejectedMessageException unknown = assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(ok.replace("\"released\": false", "\"released\": false, \"relased\": true").getBytes(StandardCharsets.UTF_8),
            GatewayLease.class));
    assertTrue(unknown.getMessage().contains("relased"), unknown.getMessage());
    RejectedMessageException holder = assertThrows(RejectedMessageException.class,
        () -> MessageCodec.decode(ok.replace("\"pid\": 4242", "\"pid\": -1").getBytes(StandardCharsets.UTF_8),
            GatewayLease.class));
    assertTrue(holder.getMessage().contains("pid"), holder.getMessage());
  }

  @Test
  void aHolderOfThisProcessNamesIt() {
    GatewayLease.Holder me = GatewayLease.Holder.thisProcess("ephemeral, http off");
    assertEquals(ProcessHandle.current().pid(), me.pid());
    assertTrue(me.processStartMillis() > 0);
    assertFalse(me.host().isBlank());
    assertFalse(me.sameInstance(GatewayLease.Holder.thisProcess("ephemeral, http off")), "two starts in one JVM differ");
    assertTrue(me.sameInstance(me));
    assertNull(new LeaseHeldException("x", null).holder());
    GatewayLease g = GatewayLease.acquired("gw-1", 1, me, T0, IdLease.TTL);
    assertSame(me, g.holder());
    assertInstanceOf(GatewayLease.class, g.renewed(T0 + 1, IdLease.TTL));
  }

  private static byte[] golden() {
    try (InputStream in = IdLeaseTest.class.getResourceAsStream("/golden/gateway-lease.json")) {
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** A sleeper that moves the clock and lets {@code holder} renew every whole second, as a live holder does. */
  private IdLease.Sleeper renewingEverySecond(IdLease holder) {
    return d -> {
      long before = clock.millis() / 1_000;
      clock.advance(d);
      if (clock.millis() / 1_000 > before) {
        assertEquals(IdLease.Outcome.RENEWED, holder.renew().outcome());
      }
    };
  }
}
