package io.fogwise.edge.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputGateTest {

  private static void produce(OutputGate g, int n) {
    for (int i = 0; i < n; i++) {
      assertTrue(g.mayProduce(), g::toString);
      g.produced();
    }
  }

  @Test
  void handoverReturnsExactlyTheLastNumberPlusOneAndShutsTheGate() {
    OutputGate g = new OutputGate(10, OutputGate.NEVER);
    produce(g, 5); // 10..14
    assertEquals(15, g.handover());
    assertFalse(g.mayProduce());
    assertFalse(g.active());
    assertThrows(IllegalStateException.class, g::produced, "nothing may be produced after a handover");
    assertEquals(15, g.handover(), "a retried handover returns the same number");
    assertEquals(5, g.producedCount());
  }

  @Test
  void activateContinuesFromTheGivenNumberAndStartsANewSchedule() {
    OutputGate g = new OutputGate(0, OutputGate.NEVER);
    g.handover(); // a standby start
    long activations = g.activations();
    assertTrue(g.activate(42));
    assertEquals(activations + 1, g.activations());
    assertEquals(42, g.next());
    produce(g, 3);
    assertEquals(45, g.next());
  }

  @Test
  void activatingAnActiveGateChangesNothing() {
    OutputGate g = new OutputGate(0, OutputGate.NEVER);
    produce(g, 3);
    assertFalse(g.activate(0), "a retried ACTIVATE must not rewind the numbering");
    assertEquals(3, g.next());
    assertEquals(0, g.activations());
  }

  @Test
  void handoverThenActivateAgainResumes() {
    OutputGate g = new OutputGate(0, OutputGate.NEVER);
    produce(g, 2);
    long next = g.handover();
    assertTrue(g.activate(next));
    produce(g, 1);
    assertEquals(3, g.next());
    assertEquals(3, g.producedCount());
  }

  @Test
  void stallAfterShutsTheGateButStaysActive() {
    OutputGate g = new OutputGate(100, 2);
    produce(g, 2);
    assertFalse(g.mayProduce());
    assertTrue(g.active(), "a stalled producer pretends to run");
    assertTrue(g.stalled());
    assertEquals(102, g.handover(), "handover of a stalled producer still passes its numbering on");
    assertTrue(g.activate(102));
    assertFalse(g.mayProduce(), "the stall counts the instance's whole output");
  }

  @Test
  void stallAfterZeroNeverProduces() {
    OutputGate g = new OutputGate(0, 0);
    assertFalse(g.mayProduce());
    assertTrue(g.stalled());
  }

  @Test
  void rejectsNegativeNumbers() {
    assertThrows(IllegalArgumentException.class, () -> new OutputGate(-1, 1));
    OutputGate g = new OutputGate(0, 1);
    g.handover();
    assertThrows(IllegalArgumentException.class, () -> g.activate(-1));
  }
}
