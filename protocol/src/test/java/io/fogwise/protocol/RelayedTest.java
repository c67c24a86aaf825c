package io.fogwise.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import org.junit.jupiter.api.Test;

class RelayedTest {
  @Test
  void aMessageFromItsSenderPasses() {
    assertDoesNotThrow(() -> Relayed.check(NatsMessage.builder().subject("fw.cmd.gw-1.e1").replyTo("_INBOX.U1.x")
        .data(new byte[] {1}).build()));
  }

  @Test
  void aJetStreamAnswerOrDeliveryIsRefused() {
    Headers h = new Headers().put("Nats-Stream", "KV_fw-desired-gw-7").put("Nats-Sequence", "1");
    RejectedMessageException e = assertThrows(RejectedMessageException.class,
        () -> Relayed.check(NatsMessage.builder().subject("fw.cmd.gw-1.e1").headers(h).data(new byte[] {1}).build()));
    assertEquals(RejectReason.RELAYED, e.reason());
    assertThrows(RejectedMessageException.class, () -> Relayed.check(NatsMessage.builder().subject("fw.hb.gw-1.e1")
        .replyTo("$JS.ACK.KV_x.c.1.1.1.1.0").data(new byte[] {1}).build()));
  }
}
