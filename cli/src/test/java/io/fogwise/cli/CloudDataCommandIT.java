package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fogwise cloud data put|get|list|delete} in this JVM against a real nats-server, no cloud service running. */
class CloudDataCommandIT {
  @TempDir Path dir;
  private NatsServer server;
  private Connection watcher;
  private final List<DataChange> changes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    watcher = Nats.connect(NatsOptions.oneShot(server.url(), Duration.ofSeconds(5), server.operatorAuth())
        .errorListener(new ErrorListener() { }).connectionListener((c, t) -> { }).build());
    Dispatcher d = watcher.createDispatcher(m -> {
      try {
        changes.add(MessageCodec.decode(m.getData(), DataChange.class));
      } catch (RejectedMessageException e) {
        throw new AssertionError(e);
      }
    });
    d.subscribe(Subjects.CLOUD_DATA_CHANGES);
    watcher.flush(Duration.ofSeconds(5));
  }

  @AfterEach
  void stop() throws Exception {
    if (watcher != null) {
      watcher.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private CliRun data(String... args) {
    String[] all = new String[args.length + 6];
    all[0] = "cloud";
    all[1] = "data";
    System.arraycopy(args, 0, all, 2, args.length);
    all[args.length + 2] = "--nats";
    all[args.length + 3] = server.url();
    all[args.length + 4] = "--home";
    all[args.length + 5] = operatorHome().toString();
    return fogwise(all);
  }

  /** The hub's identity home, with the operator's credentials the data commands use. */
  private Path operatorHome() {
    server.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
    return server.identity().dir();
  }

  @Test
  void putGetListDeleteAsAnOperatorRunsThem() throws Exception {
    Path stations = Files.writeString(dir.resolve("stations.json"), "{\"stations\":[\"lisbon\",\"porto\"]}");
    Path readings = Files.writeString(dir.resolve("readings.csv"), "t,v\n1,2\n");

    CliRun put = data("put", "ref/stations", stations.toString());
    assertEquals(0, put.exit(), put.toString());
    assertEquals("put ref/stations v1 (application/json, 31 bytes, in KV fw-cloud-data)\n", put.out());
    assertEquals(0, data("put", "ref/readings", readings.toString()).exit());
    CliRun again = data("put", "ref/stations", stations.toString(), "--content-type", "text/plain");
    assertEquals("put ref/stations v2 (text/plain, 31 bytes, in KV fw-cloud-data)\n", again.out());

    CliRun list = data("list");
    assertEquals(0, list.exit(), list.toString());
    String[] lines = list.out().split("\n");
    assertEquals(3, lines.length, list.out());
    assertTrue(Pattern.matches("KEY +VERSION +TYPE +BYTES +UPDATED", lines[0]), lines[0]);
    assertTrue(Pattern.matches("ref/readings +1 +text/csv +8 +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ", lines[1]), lines[1]);
    assertTrue(Pattern.matches("ref/stations +2 +text/plain +31 +\\S+Z", lines[2]), lines[2]);

    Path out = dir.resolve("copy.json");
    CliRun get = data("get", "ref/stations", "--out", out.toString());
    assertEquals("wrote ref/stations v2 (text/plain, 31 bytes) to " + out + "\n", get.out());
    assertEquals(Files.readString(stations), Files.readString(out));

    CliRun delete = data("delete", "ref/readings");
    assertEquals("deleted ref/readings (was v1)\n", delete.out());
    CliRun gone = data("get", "ref/readings");
    assertEquals(1, gone.exit(), gone.toString());
    assertEquals("fogwise cloud data get: no item with key 'ref/readings' in fw-cloud-data\n", gone.err());
    assertEquals(1, data("delete", "ref/readings").exit());

    // each change announced by the command that made it
    assertEquals(List.of("PUT ref/stations v1", "PUT ref/readings v1", "PUT ref/stations v2", "DELETE ref/readings v1"),
        await().atMost(Duration.ofSeconds(5)).until(
            () -> changes.stream().map(c -> c.op() + " " + c.key() + " v" + c.version()).toList(), l -> l.size() == 4));
  }

  @Test
  void getWritesTheContentByteForByteToStandardOutputAndPutReadsStandardInput() throws Exception {
    byte[] binary = new byte[70_000];
    new Random(3).nextBytes(binary);
    InputStream stdin = System.in;
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setIn(new ByteArrayInputStream(binary));
      CliRun put = data("put", "models/tiny", "-");
      assertEquals("put models/tiny v1 (application/octet-stream, 70000 bytes, in KV fw-cloud-data)\n", put.out());
      System.setOut(new PrintStream(captured, true));
      CliRun get = data("get", "models/tiny");
      assertEquals(0, get.exit(), get.toString());
    } finally {
      System.setIn(stdin);
      System.setOut(stdout);
    }
    assertArrayEquals(binary, captured.toByteArray());
  }

  @Test
  void aLargeFileGoesToTheObjectStoreAndComesBackIdentical() throws Exception {
    byte[] big = new byte[3 * 1024 * 1024];
    new Random(5).nextBytes(big);
    Path model = Files.write(dir.resolve("model.onnx"), big);
    CliRun put = data("put", "models/battery", model.toString());
    assertEquals(0, put.exit(), put.toString());
    assertEquals("put models/battery v1 (application/octet-stream, 3145728 bytes, in the object store fw-cloud-objects)\n",
        put.out());
    Path back = dir.resolve("back.onnx");
    assertEquals(0, data("get", "models/battery", "--out", back.toString()).exit());
    assertArrayEquals(big, Files.readAllBytes(back));
  }

  @Test
  void badInputIsOneLineWithExitTwoAndNothingChanges() throws Exception {
    Path f = Files.writeString(dir.resolve("x.txt"), "hello");
    CliRun badKey = data("put", "a..b", f.toString());
    assertEquals(2, badKey.exit(), badKey.toString());
    assertEquals("fogwise cloud data put: 'a..b' is not a valid key: it must be 1-128 characters of letters, digits"
        + " and . _ - / (not starting or ending with . or /, no .. or //)\n", badKey.err());
    assertEquals(2, data("get", "/etc/passwd").exit());

    Path big = Files.write(dir.resolve("big.bin"), new byte[2001]);
    CliRun tooBig = data("put", "k", big.toString(), "--max-item-bytes", "2000");
    assertEquals(2, tooBig.exit(), tooBig.toString());
    assertEquals("fogwise cloud data put: item 'k' is 2001 bytes, over the limit of 2000 bytes per item\n",
        tooBig.err());

    CliRun missing = data("put", "k", dir.resolve("nope.json").toString());
    assertEquals(2, missing.exit());
    assertTrue(missing.err().contains("cannot read " + dir.resolve("nope.json") + ": no such file"), missing.err());
    CliRun badType = data("put", "k", f.toString(), "--content-type", "text");
    assertEquals(2, badType.exit());
    assertTrue(badType.err().contains("--content-type 'text' is not a media type"), badType.err());

    assertEquals("no items in fw-cloud-data\n", data("list").out());
    assertTrue(changes.isEmpty());
  }

  @Test
  void anUnreachableHubIsExitThree() {
    CliRun r = fogwise("cloud", "data", "list", "--nats", "nats://127.0.0.1:" + NatsServer.freePort(),
        "--home", operatorHome().toString());
    assertEquals(3, r.exit(), r.toString());
    assertTrue(r.err().startsWith("fogwise cloud data list: cannot reach NATS at nats://127.0.0.1:"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }
}
