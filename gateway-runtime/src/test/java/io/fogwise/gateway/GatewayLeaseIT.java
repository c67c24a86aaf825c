package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.gateway.lease.GatewayLease;
import io.fogwise.gateway.lease.IdLease;
import io.fogwise.gateway.lease.LeaseHeldException;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One gateway per id, in-process on a real nats-server: refusal, clean release, and a lost lease. */
class GatewayLeaseIT extends GatewayItBase {
  private static final ServiceSpec PUBLISHER = ServiceSpec.of("publisher", "publisher",
      new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
      Map.of("app", "it", "channel", "readings", "rateHz", "50"));
  private static final Set<AdaptationEvent.Type> DISRUPTIVE = EnumSet.of(AdaptationEvent.Type.INSTANCE_FENCED,
      AdaptationEvent.Type.INSTANCE_STOPPED, AdaptationEvent.Type.INSTANCE_STARTING);

  @Test
  void aSecondGatewayWithTheSameIdRefusesToStartAndTheFirstKeepsItsInstances() throws Exception {
    long epoch = runningPublisher();
    int eventsBefore = events.size();
    int dataBefore = data.size();

    LeaseHeldException e = assertThrows(LeaseHeldException.class,
        () -> Gateway.start(config().durable(false).build()));
    assertTrue(e.getMessage().contains("is already in use by pid " + ProcessHandle.current().pid()), e.getMessage());
    assertEquals(gateway.lease().orElseThrow().epoch(), e.holder().epoch());

    await().atMost(WAIT).until(() -> data.size() >= dataBefore + 50);
    assertTrue(events.subList(eventsBefore, events.size()).stream().noneMatch(ev -> DISRUPTIVE.contains(ev.type())),
        "nothing fenced or restarted: " + events.subList(eventsBefore, events.size()));
    assertEquals(epoch, placementsOf("publisher").get(0).epoch());
    GatewayLease stored = stored();
    assertEquals(gateway.lease().orElseThrow().holder(), stored.holder(), "the first gateway still holds its lease");
    assertTrue(stored.renewedAtMillis() > stored.acquiredAtMillis(), "and renews it");
  }

  @Test
  void aCleanlyStoppedGatewayReleasesItsIdSoARestartTakesItAtOnce() throws Exception {
    long epoch = gateway.lease().orElseThrow().epoch();
    gateway.close();
    GatewayLease released = stored();
    assertTrue(released.released(), "released on stop");
    long start = System.currentTimeMillis();
    gateway = Gateway.start(config().build());
    GatewayLease next = gateway.lease().orElseThrow();
    assertEquals(epoch + 1, next.epoch());
    long waitedMs = next.acquiredAtMillis() - start;
    assertTrue(waitedMs < IdLease.RENEW_INTERVAL.toMillis(), "taken without waiting for it to lapse: " + waitedMs + " ms");
  }

  @Test
  void aGatewayWhoseIdIsTakenOverStopsActingAndSaysWhy() throws Exception {
    runningPublisher();
    List<String> statuses = new CopyOnWriteArrayList<>();
    client.createDispatcher(m -> statuses.add(new String(m.getData()))).subscribe(Subjects.status(GW));
    // a standby taking over (as if the lease had lapsed): a compare-and-set with the next epoch
    KeyValue kv = client.keyValue(Subjects.desiredBucket(GW));
    KeyValueEntry current = kv.get(IdLease.KEY);
    GatewayLease mine = MessageCodec.decode(current.getValue(), GatewayLease.class);
    GatewayLease standby = new GatewayLease(GW, mine.epoch() + 1, new GatewayLease.Holder("standby-host", 77, 1, "s1",
        "fogwise test", "standby"), System.currentTimeMillis(), System.currentTimeMillis(),
        System.currentTimeMillis() + IdLease.TTL.toMillis(), false);
    kv.update(IdLease.KEY, MessageCodec.encode(standby), current.getRevision());

    String why = gateway.lost().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(why.contains("lost its id to pid 77 on host standby-host"), why);
    assertTrue(gateway.lease().isEmpty());
    int statusesAtLoss = statuses.size();
    int eventsAtLoss = events.size();
    await().pollDelay(Duration.ofSeconds(2)).atMost(WAIT).until(() -> true);
    assertEquals(statusesAtLoss, statuses.size(), "no status after the loss");
    assertEquals(eventsAtLoss, events.size(), "no event after the loss");
    assertEquals(standby, stored(), "the loser neither renewed nor released the new holder's lease");
    gateway.close();
    assertEquals(standby, stored());
  }

  private long runningPublisher() throws Exception {
    agent("e1", Layer.EDGE, Map.of("pub", "true"));
    awaitAlive(1);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(PUBLISHER))).ok());
    await().atMost(WAIT).until(() -> placementsOf("publisher").stream()
        .anyMatch(p -> p.state() == Placement.State.RUNNING));
    await().atMost(WAIT).until(() -> data.size() >= 20);
    return placementsOf("publisher").get(0).epoch();
  }

  private GatewayLease stored() throws Exception {
    KeyValueEntry e = client.keyValue(Subjects.desiredBucket(GW)).get(IdLease.KEY);
    return MessageCodec.decode(e.getValue(), GatewayLease.class);
  }
}
