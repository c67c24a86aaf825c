package io.fogwise.testbed.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap and metaspace of another JVM after a full GC, read with the JDK's {@code jcmd}
 * ({@code GC.run}, {@code GC.heap_info}, {@code VM.metaspace}).
 *
 * @param heapUsedKb used heap, all generations
 * @param metaspaceUsedKb used metaspace (class space included)
 * @param classLoaders live class loaders
 * @param classes loaded classes
 */
record JvmMemory(long heapUsedKb, long metaspaceUsedKb, long classLoaders, long classes) {
  /** A heap line: {@code def new generation total 9792K, used 1234K}, {@code garbage-first heap total ...}. */
  private static final Pattern HEAP_LINE = Pattern.compile("(?m)^\\s*([A-Za-z][A-Za-z -]*?)\\s+total (\\d+)K, used (\\d+)K");
  private static final Pattern METASPACE = Pattern.compile("(?m)^\\s*Metaspace\\s+used (\\d+)K");
  private static final Pattern LOADERS = Pattern.compile("Total Usage - (\\d+) loaders, (\\d+) classes");

  /** Full GC in {@code pid} (twice: the second collects what the first only made unreachable), then reads. */
  static JvmMemory afterFullGc(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    jcmd(pid, "GC.run");
    return parse(jcmd(pid, "GC.heap_info"), jcmd(pid, "VM.metaspace"));
  }

  /** Parses the output of {@code GC.heap_info} and {@code VM.metaspace}. */
  static JvmMemory parse(String heapInfo, String metaspaceInfo) {
    long heap = 0;
    boolean found = false;
    Matcher m = HEAP_LINE.matcher(heapInfo);
    while (m.find()) {
      String name = m.group(1).trim();
      // Metaspace and class space are reported in the same format but are not heap.
      if (name.equalsIgnoreCase("Metaspace") || name.contains("space")) {
        continue;
      }
      heap += Long.parseLong(m.group(3));
      found = true;
    }
    Matcher meta = METASPACE.matcher(heapInfo);
    if (!found || !meta.find()) {
      throw new IllegalArgumentException("jcmd GC.heap_info printed no heap or metaspace figures:\n" + heapInfo);
    }
    long loaders = -1;
    long classes = -1;
    Matcher l = LOADERS.matcher(metaspaceInfo == null ? "" : metaspaceInfo);
    if (l.find()) {
      loaders = Long.parseLong(l.group(1));
      classes = Long.parseLong(l.group(2));
    }
    return new JvmMemory(heap, Long.parseLong(meta.group(1)), loaders, classes);
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    String exe = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Process p = new ProcessBuilder(List.of(exe, Long.toString(pid), command)).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + pid + " " + command + " did not finish within 60 s");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " failed (exit " + p.exitValue() + "; is " + exe
          + " from a full JDK, and the target JVM run by this user?): " + text.strip());
    }
    return text;
  }
}
