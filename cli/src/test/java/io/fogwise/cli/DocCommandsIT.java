package io.fogwise.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Docs that run: every shell block ({@code ```bash}, {@code ```sh}, {@code ```shell}) of README.md
 * and docs/*.md, in document order (README first), as written, against a real hub, gateway and
 * agents that the blocks themselves start. A block it does not run carries its reason right
 * before it: {@code <!-- doc-test: skip — why -->}; a skip without a reason fails.
 *
 * <p>What differs from a person at a terminal, and only this: the blocks run in a scratch
 * directory whose entries link to the repository (so {@code keys/} or {@code results.xml} never
 * land in it), with {@code ./fogwise} running this build's jar, {@code HOME} a fresh directory
 * (so {@code ~/.fogwise} is new), and the fixed ports of the text (hub {@code 4222}, HTTP
 * {@code 8080}) replaced by free ones, also in {@code FW_NATS_URL} and {@code FW_HTTP_PORT}, so
 * parallel builds do not collide. A line that starts a component that runs until Ctrl-C
 * ({@code ./fogwise hub|gateway|edge|cloud}) is started in the background and waited for (its
 * port, its {@code /health}, its device in {@code /devices}); everything runs in one
 * environment, stopped at the end.
 */
class DocCommandsIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path JAR = REPO.resolve("cli/target/fogwise.jar");
  private static final Pattern FENCE = Pattern.compile("^\\s*```(bash|sh|shell)\\s*$");
  private static final Pattern SKIP = Pattern.compile("<!--\\s*doc-test:\\s*skip\\s*(?:[—:-]+\\s*(.*?))?\\s*-->");
  private static final Pattern DAEMON = Pattern.compile("^\\./fogwise (hub|gateway|edge|cloud)(\\s|$)(?!\\s*data\\b)");
  /** One block may take this long (a rules test of every scenario is the slowest). */
  private static final Duration BLOCK_TIMEOUT = Duration.ofMinutes(3);

  private static final List<Process> daemons = new ArrayList<>();
  private static Path work;

  /** A shell block: where it is, its text, and the reason it is skipped (or null). */
  record Block(Path file, int line, String text, String skip) {
    String where() {
      return REPO.relativize(file) + ":" + line;
    }
  }

  static List<Block> blocks() throws IOException {
    List<Path> files = new ArrayList<>(List.of(REPO.resolve("README.md")));
    try (Stream<Path> docs = Files.list(REPO.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<Block> out = new ArrayList<>();
    for (Path f : files) {
      List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (!FENCE.matcher(lines.get(i)).matches()) {
          continue;
        }
        int end = i + 1;
        while (end < lines.size() && !lines.get(end).strip().startsWith("```")) {
          end++;
        }
        String skip = null;
        int prev = i - 1;
        while (prev >= 0 && lines.get(prev).isBlank()) {
          prev--;
        }
        if (prev >= 0) {
          Matcher m = SKIP.matcher(lines.get(prev));
          if (m.find()) {
            skip = m.group(1) == null ? "" : m.group(1).strip();
          }
        }
        out.add(new Block(f, i + 1, String.join("\n", lines.subList(i + 1, end)), skip));
        i = end;
      }
    }
    return out;
  }

  @Test
  void everyShellBlockRunsAsWrittenOrSaysWhyNot() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "the jar is packaged before the integration tests: " + JAR);
    List<Block> blocks = blocks();
    List<String> unexplained = blocks.stream().filter(b -> b.skip() != null && b.skip().length() < 10)
        .map(Block::where).toList();
    assertTrue(unexplained.isEmpty(), "a skipped block must say why (<!-- doc-test: skip — why -->): " + unexplained);

    work = Files.createTempDirectory("fw-doc-test");
    Path home = Files.createDirectories(work.resolve("home"));
    Path cwd = Files.createDirectories(work.resolve("repo"));
    try (Stream<Path> top = Files.list(REPO)) {
      for (Path p : top.toList()) {
        String name = p.getFileName().toString();
        if (!name.equals("fogwise") && !name.equals(".git") && !name.equals("keys") && !name.equals("results.xml")) {
          Files.createSymbolicLink(cwd.resolve(name), p);
        }
      }
    }
    Path shim = cwd.resolve("fogwise");
    Files.writeString(shim, "#!/bin/sh\nexec java -Duser.home=\"$HOME\" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar '" + JAR + "' \"$@\"\n");
    shim.toFile().setExecutable(true);
    int hubPort = freePort();
    int httpPort = freePort();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOME", home.toString());
    env.put("FW_NATS_URL", "nats://127.0.0.1:" + hubPort);
    env.put("FW_HTTP_PORT", Integer.toString(httpPort));
    env.put("NO_COLOR", "1");

    List<String> ran = new ArrayList<>();
    for (Block b : blocks) {
      if (b.skip() != null) {
        continue;
      }
      String text = b.text().replace("--port 4222", "--port " + hubPort).replace("127.0.0.1:4222", "127.0.0.1:" + hubPort)
          .replace("localhost:8080", "localhost:" + httpPort);
      StringBuilder chunk = new StringBuilder();
      for (String line : logicalLines(text)) {
        String cmd = line.replaceAll("\\s+#.*$", "").strip();
        if (DAEMON.matcher(cmd).find()) {
          run(b, chunk.toString(), cwd, env);
          chunk.setLength(0);
          start(b, cmd, cwd, env, hubPort, httpPort);
        } else {
          chunk.append(line).append('\n');
        }
      }
      run(b, chunk.toString(), cwd, env);
      // a component a block started must still run once the block is done: one that stopped (a typo in
      // its options, an id already in use) would otherwise pass unnoticed, as the one already running answers
      for (int i = 0; i < daemons.size(); i++) {
        if (!daemons.get(i).isAlive()) {
          fail(b.where() + ": a component started by the docs stopped (exit " + daemons.get(i).exitValue() + "):\n"
              + Files.readString(work.resolve("daemon-" + i + ".log")));
        }
      }
      ran.add(b.where());
    }
    assertTrue(ran.size() >= 5, "the quick start and the operating commands run: " + ran);
  }

  @Test
  void theLaunchersTestHelpIsOursNotMavens() throws Exception {
    Process p = new ProcessBuilder("bash", REPO.resolve("fogwise").toString(), "test", "--help").directory(REPO.toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertTrue(out.startsWith("Usage: fogwise test"), out);
  }

  /** Lines with {@code \}-continuations joined. */
  static List<String> logicalLines(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String l : text.split("\n")) {
      if (l.endsWith("\\")) {
        cur.append(l, 0, l.length() - 1).append(' ');
      } else {
        out.add(cur.append(l).toString());
        cur.setLength(0);
      }
    }
    if (cur.length() > 0) {
      out.add(cur.toString());
    }
    return out;
  }

  private static void run(Block b, String script, Path cwd, Map<String, String> env) throws Exception {
    if (script.isBlank()) {
      return;
    }
    ProcessBuilder pb = new ProcessBuilder("bash", "-e", "-o", "pipefail", "-c", script).directory(cwd.toFile())
        .redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(BLOCK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(b.where() + ": did not finish within " + BLOCK_TIMEOUT + ":\n" + script);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    System.out.println("doc-test " + b.where() + ":\n" + script + "--- output:\n" + text);
    if (p.exitValue() != 0) {
      fail(b.where() + ": exit " + p.exitValue() + "\n--- script:\n" + script + "--- output:\n" + text);
    }
  }

  /** Starts a component that runs until stopped, and waits until it is there. */
  private static void start(Block b, String cmd, Path cwd, Map<String, String> env, int hubPort, int httpPort)
      throws Exception {
    Path log = work.resolve("daemon-" + daemons.size() + ".log");
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "exec " + cmd).directory(cwd.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    daemons.add(p);
    String kind = cmd.split("\\s+")[1];
    try {
      switch (kind) {
        case "hub" -> await().atMost(Duration.ofSeconds(60)).until(() -> accepts(hubPort));
        case "gateway" -> await().atMost(Duration.ofSeconds(60)).until(() -> http(httpPort, "/health") != null);
        case "edge" -> {
          Matcher id = Pattern.compile("--id\\s+(\\S+)").matcher(cmd);
          String device = id.find() ? id.group(1) : "";
          await().atMost(Duration.ofSeconds(60)).until(() -> {
            String devices = http(httpPort, "/devices");
            return devices != null && devices.contains("\"id\":\"" + device + "\"");
          });
        }
        default -> await().atMost(Duration.ofSeconds(60)).until(() -> !p.isAlive() || Files.size(log) > 0);
      }
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      fail(b.where() + ": '" + cmd + "' did not come up" + (p.isAlive() ? "" : " (exit " + p.exitValue() + ")")
          + ":\n" + Files.readString(log));
    }
    if (!p.isAlive()) {
      fail(b.where() + ": '" + cmd + "' stopped (exit " + p.exitValue() + "):\n" + Files.readString(log));
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private static String http(int port, String path) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.body();
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @AfterAll
  static void stopDaemons() throws Exception {
    stopAll();
    if (work != null) {
      try (Stream<Path> all = Files.walk(work)) {
        all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete()); // links, not their targets
      }
    }
  }

  private static void stopAll() throws Exception {
    // the agents first, the hub last: each stops on SIGTERM as on Ctrl-C
    for (int i = daemons.size() - 1; i >= 0; i--) {
      Process p = daemons.get(i);
      p.destroy();
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
  }
}
