package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.protocol.MessageCodec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise demo --json FILE} runs hub, gateway and five agents as real processes, moves
 * the publisher from the cloud to an edge device (make-before-break), kills that device with
 * SIGKILL, exits 0, and reports the migration and the failover measured by its own subscription.
 */
class DemoIT {

  @Test
  void theDemoFailsOverAndReportsItsOwnMeasurements(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("demo.json");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try (PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8)) {
      System.setOut(tee);
      exit = Fogwise.commandLine().execute("demo", "--json", json.toString());
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, out);
    assertTrue(out.contains("killed") || out.contains("killing"), out);

    JsonNode s = MessageCodec.mapper().readTree(Files.readAllBytes(json));
    assertTrue(s.get("ok").asBoolean());
    long detect = s.at("/failover/detectMs").asLong(-1);
    long recover = s.at("/failover/recoverMs").asLong(-1);
    assertTrue(detect > 0 && detect < recover, "detect " + detect + " before recover " + recover);
    assertTrue(recover < 3000, "recoverMs " + recover);
    assertEquals(0, s.at("/messages/duplicated").asLong(-1));
    assertTrue(s.at("/messages/received").asLong() > 300);
    assertTrue(s.at("/messages/gaps").isNumber());
    assertTrue(s.at("/messages/staleEpoch").isNumber());
    assertTrue(s.at("/failover/newEpoch").asLong() > s.at("/failover/oldEpoch").asLong());
    assertEquals(2, s.get("subscribers").size(), "both subscribers reported: " + s.get("subscribers"));
    assertEquals("cloud-1", s.at("/migration/from").asText(), "the publisher starts in the cloud");
    assertTrue(s.at("/migration/to").asText().startsWith("edge-"), "and moves to the edge");
    assertEquals(0, s.at("/migration/lost").asLong(-1));
    assertEquals(0, s.at("/migration/duplicated").asLong(-1));
    assertTrue(s.at("/migration/gapMs").isNumber());
    assertEquals(s.at("/migration/to").asText(), s.at("/failover/device").asText(), "the edge device it moved to is killed");
  }

  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
