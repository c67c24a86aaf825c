package io.fogwise.testbed.paper;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.MessageCodec;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Turns a {@link PaperBenchmark.Run} into {@code paper-reproduction.md} (Table I's shape beside
 * the paper's values, both migration gaps, lost / duplicated / out-of-order counts per phase), a
 * PNG of latency per transmission like the paper's Fig. 4, and a JSON summary. Every number is
 * computed here from the subscribers' own logs and the observer's arrivals.
 */
public final class PaperReport {
  /** The paper's Table I (µs): per phase, cloud subscriber avg/min/max, edge subscriber avg/min/max. */
  static final double[][] PAPER = {
      {2052.6, 1029.9, 8709.9, 6198.7, 4600.1, 74880.0},
      {11951.8, 8668.9, 225009.6, 2951.4, 1155.8, 21644.8},
      {9740.3, 8248.3, 19628.0, 2761.8, 515.8, 13318.9}};
  static final String[] PHASES = {"Cloud (hub and publisher in the cloud)", "Fog (hub at the gateway)",
      "Edge (hub at the gateway, publisher at the edge)"};
  static final String[] PHASE_SHORT = {"Cloud", "Fog", "Edge"};
  static final long PAPER_HUB_MS = 298;
  static final long PAPER_PUBLISHER_MS = 537;
  /** The goal for each migration's gap. */
  public static final long GOAL_GAP_MS = 50;

  /** One line of a subscriber's log ({@code LatencyLog} in edge-workers). */
  record Line(long arrivalNanos, String publisher, String service, long epoch, long number, long latencyMicros,
      String outcome) {
    static Optional<Line> parse(String csv) {
      String[] f = csv.split(",");
      if (f.length != 7 || f[0].equals("arrivalNanos")) {
        return Optional.empty();
      }
      try {
        return Optional.of(new Line(Long.parseLong(f[0]), f[1], f[2], Long.parseLong(f[3]), Long.parseLong(f[4]),
            Long.parseLong(f[5]), f[6]));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
  }

  /** Latency statistics of one subscriber in one phase (µs) and its counts. */
  public record PhaseStats(long received, double avg, long min, long max, long p50, long p99, long lost,
      long duplicated, long outOfOrder, long overlapCopies) {}

  /** The counts of the outside observer in one phase. */
  public record Counts(long received, long lost, long duplicated, long outOfOrder) {}

  /** What the report found: enough for the IT to assert and the CLI to print. */
  public record Summary(PhaseStats[] cloud, PhaseStats[] edge, Counts[] observer, long hubGapObserverMs,
      long hubGapCloudMs, long hubGapEdgeMs, long hubMoveMs, long pubGapObserverMs, long pubGapCloudMs,
      long pubGapEdgeMs, long pubMoveMs, long hubFrom, long pubFirst, Path markdown, Path plot, Path json) {
    /** Lost plus duplicated over every phase, both subscribers and the observer. */
    public long lostOrDuplicated() {
      long n = 0;
      for (int i = 0; i < 3; i++) {
        n += cloud[i].lost() + cloud[i].duplicated() + edge[i].lost() + edge[i].duplicated() + observer[i].lost()
            + observer[i].duplicated();
      }
      return n;
    }

    /** The larger of the two migrations' gaps, at any of the three vantage points. */
    public long worstGapMs() {
      return Math.max(Math.max(Math.max(hubGapObserverMs, hubGapCloudMs), hubGapEdgeMs),
          Math.max(Math.max(pubGapObserverMs, pubGapCloudMs), pubGapEdgeMs));
    }
  }

  private PaperReport() {}

  /** Writes the document ({@code markdown}), the plot beside it and a JSON summary beside it. */
  public static Summary write(PaperBenchmark.Run run, Path markdown, String command) throws IOException {
    int n = run.settings().messages();
    long first = run.firstNumber();
    List<Line> cloud = lines(run.latencyDir(), PaperBenchmark.SUB_CLOUD);
    List<Line> edge = lines(run.latencyDir(), PaperBenchmark.SUB_EDGE);
    List<Recorder.Arrival> obs = run.observed().stream().filter(a -> inRun(a.number(), first, n)).toList();

    // the hub move's window, in message numbers: last seen before the command, first seen after it
    long from = first + n - 1;
    long to = from;
    for (Recorder.Arrival a : run.observed()) {
      if (a.nanos() <= run.hubMoveStartNanos()) {
        from = Math.max(from, a.number());
      }
      if (a.nanos() <= run.hubMoveEndNanos()) {
        to = Math.max(to, a.number() + 1);
      }
    }
    long hubFrom = from;
    long hubTo = to;
    long hubGapObs = maxGapMs(obs.stream().filter(a -> a.number() >= hubFrom && a.number() <= hubTo)
        .mapToLong(Recorder.Arrival::nanos).toArray());
    long hubGapCloud = maxGapMs(window(cloud, hubFrom, hubTo));
    long hubGapEdge = maxGapMs(window(edge, hubFrom, hubTo));
    long hubMoveMs = parseMoveMs(run.hubMoveOutput());

    // the publisher's move: last message of the old epoch -> first of the new one, at each vantage point
    long oldEpoch = obs.stream().filter(a -> a.number() < first + 2L * n).mapToLong(Recorder.Arrival::epoch).max()
        .orElse(-1);
    long pubGapObs = epochGapMs(obs.stream().map(a -> new long[] {a.nanos(), a.epoch()}).toList(), oldEpoch);
    long pubGapCloud = epochGapMs(accepted(cloud).stream().map(l -> new long[] {l.arrivalNanos(), l.epoch()}).toList(),
        oldEpoch);
    long pubGapEdge = epochGapMs(accepted(edge).stream().map(l -> new long[] {l.arrivalNanos(), l.epoch()}).toList(),
        oldEpoch);
    long pubMoveMs = obs.stream().filter(a -> a.epoch() > oldEpoch).mapToLong(Recorder.Arrival::nanos).min()
        .stream().map(t -> (t - run.pubMoveStartNanos()) / 1_000_000L).findFirst().orElse(-1);

    PhaseStats[] cs = new PhaseStats[3];
    PhaseStats[] es = new PhaseStats[3];
    Counts[] oc = new Counts[3];
    for (int p = 0; p < 3; p++) {
      long lo = first + (long) p * n;
      long hi = lo + n;
      cs[p] = stats(cloud, lo, hi, n);
      es[p] = stats(edge, lo, hi, n);
      oc[p] = counts(obs, lo, hi, n);
    }
    Path dir = markdown.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    String base = markdown.getFileName().toString().replaceFirst("\\.md$", "");
    Path plot = dir.resolve(base + "-latency.png");
    Path json = dir.resolve(base + ".json");
    long pubFirst = obs.stream().filter(a -> a.epoch() > oldEpoch).mapToLong(Recorder.Arrival::number).min()
        .orElse(first + 2L * n);
    plot(cloud, edge, first, n, hubFrom - first, pubFirst - first, plot);
    Summary sum = new Summary(cs, es, oc, hubGapObs, hubGapCloud, hubGapEdge, hubMoveMs, pubGapObs, pubGapCloud,
        pubGapEdge, pubMoveMs, hubFrom, pubFirst, markdown, plot, json);
    Files.writeString(markdown, markdown(run, sum, command, plot.getFileName().toString()), StandardCharsets.UTF_8);
    MessageCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), json(run, sum, command));
    return sum;
  }

  private static boolean inRun(long number, long first, int n) {
    return number >= first && number < first + 3L * n;
  }

  static List<Line> lines(Path dir, String service) throws IOException {
    List<Line> out = new ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith(service + "-e")).sorted().toList()) {
        for (String l : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
          Line.parse(l).filter(x -> x.service().equals(PaperBenchmark.PUBLISHER)).ifPresent(out::add);
        }
      }
    }
    out.sort(Comparator.comparingLong(Line::arrivalNanos));
    return out;
  }

  private static List<Line> accepted(List<Line> lines) {
    return lines.stream().filter(l -> l.outcome().equals("ACCEPTED")).toList();
  }

  private static long[] window(List<Line> lines, long from, long to) {
    return accepted(lines).stream().filter(l -> l.number() >= from && l.number() <= to).mapToLong(Line::arrivalNanos)
        .toArray();
  }

  /** The longest time between two consecutive arrivals (ms), -1 with fewer than two. */
  static long maxGapMs(long[] nanos) {
    if (nanos.length < 2) {
      return -1;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    long max = 0;
    for (int i = 1; i < sorted.length; i++) {
      max = Math.max(max, sorted[i] - sorted[i - 1]);
    }
    return Math.round(max / 1e6);
  }

  /** Last arrival of {@code oldEpoch} to the first arrival of a later epoch (ms), -1 if either is missing. */
  private static long epochGapMs(List<long[]> arrivals, long oldEpoch) {
    long lastOld = arrivals.stream().filter(a -> a[1] == oldEpoch).mapToLong(a -> a[0]).max().orElse(-1);
    long firstNew = arrivals.stream().filter(a -> a[1] > oldEpoch).mapToLong(a -> a[0]).min().orElse(-1);
    return lastOld < 0 || firstNew < 0 ? -1 : Math.round((firstNew - lastOld) / 1e6);
  }

  private static final Pattern MOVED = Pattern.compile("moved \\d+ instance\\(s\\) in (\\d+) ms");

  private static long parseMoveMs(String output) {
    Matcher m = MOVED.matcher(output);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  static PhaseStats stats(List<Line> lines, long lo, long hi, int n) {
    List<Long> lat = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    long dup = 0;
    long ooo = 0;
    long copies = 0;
    long highest = Long.MIN_VALUE;
    for (Line l : lines) {
      if (l.number() < lo || l.number() >= hi) {
        continue;
      }
      switch (l.outcome()) {
        case "ACCEPTED" -> {
          if (!seen.add(l.number())) {
            dup++;
          }
          if (l.number() < highest) {
            ooo++;
          }
          highest = Math.max(highest, l.number());
          lat.add(Math.max(0, l.latencyMicros()));
        }
        case "DUPLICATE" -> dup++;
        case "COPY" -> copies++;
        default -> { }
      }
    }
    long lost = n - seen.size();
    if (lat.isEmpty()) {
      return new PhaseStats(0, 0, 0, 0, 0, 0, lost, dup, ooo, copies);
    }
    long[] a = lat.stream().mapToLong(Long::longValue).sorted().toArray();
    double avg = Arrays.stream(a).average().orElse(0);
    return new PhaseStats(a.length, avg, a[0], a[a.length - 1], percentile(a, 50), percentile(a, 99), lost, dup, ooo,
        copies);
  }

  static long percentile(long[] sorted, double p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  private static Counts counts(List<Recorder.Arrival> obs, long lo, long hi, int n) {
    Set<Long> seen = new HashSet<>();
    long dup = 0;
    long ooo = 0;
    long highest = Long.MIN_VALUE;
    for (Recorder.Arrival a : obs) {
      if (a.number() < lo || a.number() >= hi) {
        continue;
      }
      if (!seen.add(a.number())) {
        dup++;
      }
      if (a.number() < highest) {
        ooo++;
      }
      highest = Math.max(highest, a.number());
    }
    return new Counts(seen.size(), n - seen.size(), dup, ooo);
  }

  private static void plot(List<Line> cloud, List<Line> edge, long first, int n, long hubAt, long pubAt, Path png)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(series("subscriber 1 (cloud)", cloud, first, n));
    data.addSeries(series("subscriber 2 (edge)", edge, first, n));
    NumberAxis x = new NumberAxis("transmission");
    NumberAxis y = new NumberAxis("end-to-end latency (ms)");
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
    r.setSeriesPaint(0, new Color(0x1f, 0x77, 0xb4));
    r.setSeriesPaint(1, new Color(0xd6, 0x27, 0x28));
    java.awt.Shape dot = new java.awt.geom.Ellipse2D.Double(-1, -1, 2, 2);
    r.setSeriesShape(0, dot);
    r.setSeriesShape(1, dot);
    XYPlot plot = new XYPlot(data, x, y, r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    for (int p = 1; p < 3; p++) {
      ValueMarker phase = new ValueMarker((double) p * n, Color.LIGHT_GRAY, new BasicStroke(1f));
      plot.addDomainMarker(phase);
      ValueMarker m = new ValueMarker(p == 1 ? hubAt : pubAt, Color.DARK_GRAY, new BasicStroke(1.5f));
      m.setLabel(p == 1 ? "hub -> gateway" : "publisher -> edge");
      m.setLabelFont(new java.awt.Font("SansSerif", java.awt.Font.PLAIN, 12));
      m.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT);
      m.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.TOP_LEFT);
      plot.addDomainMarker(m);
    }
    JFreeChart chart = new JFreeChart("End-to-end latency per transmission (cf. the paper's Fig. 4)",
        JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1200, 600);
  }

  private static XYSeries series(String name, List<Line> lines, long first, int n) {
    XYSeries s = new XYSeries(name, false, true);
    for (Line l : accepted(lines)) {
      if (inRun(l.number(), first, n)) {
        s.add(l.number() - first, Math.max(0, l.latencyMicros()) / 1000.0);
      }
    }
    return s;
  }

  private static String f1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String ms(long v) {
    return v < 0 ? "n/a" : v + " ms";
  }

  private static String markdown(PaperBenchmark.Run run, Summary s, String command, String plotName) {
    PaperBenchmark.Settings st = run.settings();
    StringBuilder b = new StringBuilder();
    b.append("# The paper's experiment, reproduced\n\n");
    b.append("Section V of the paper (summary: `shared/paper-notes.md`): end-to-end latency per phase while first the\n")
        .append("messaging hub and then the publisher move from the cloud toward the edge. Written by `fogwise bench paper`;\n")
        .append("every number below comes from the two subscribers' own per-message logs (their clock at arrival minus the\n")
        .append("publisher's at sending, one machine, one clock) and from an observer connected to the gateway's NATS.\n\n");
    b.append("<!-- doc-test: skip — the whole experiment takes minutes; BenchPaperIT runs its --quick form -->\n")
        .append("```sh\n").append(command).append("\n```\n\n");
    b.append("| setting | value |\n|---|---|\n");
    b.append("| messages per phase | ").append(st.messages()).append(" (the paper: 10,000) |\n");
    b.append("| publisher rate | ").append(st.rateHz()).append(" msg/s (the paper does not state its rate) |\n");
    b.append("| cloud <-> gateway | ").append(st.cloudGatewayOneWay().toNanos() / 1000).append(" µs each way (round trip ")
        .append(f1(st.cloudGatewayOneWay().toNanos() * 2 / 1e6)).append(" ms; the paper: ping ≈ 4 ms) |\n");
    b.append("| gateway <-> edge | ").append(st.edgeOneWay().toNanos() / 1000).append(" µs + 0..")
        .append(st.edgeJitter().toNanos() / 1000).append(" µs jitter each way (the paper: Wi-Fi) |\n");
    b.append("| processes | cloud hub (nats-server), gateway `").append(PaperBenchmark.GW)
        .append("` with its own NATS (a leaf node of the cloud's), agents `cloud-1` (CLOUD), `edge-1`, `edge-2` (EDGE), each its own JVM |\n");
    b.append("| machine load average (1 / 5 / 15 min) | ").append(run.loadBefore()).append(" before, ")
        .append(run.loadAfter()).append(" after (").append(Runtime.getRuntime().availableProcessors())
        .append(" cores; every process of the run shares them) |\n");
    b.append("| run directory (logs, raw data) | `").append(run.runDir()).append("` (`latency/*.csv`: the subscribers' logs;")
        .append(" `observer.csv`) |\n\n");

    b.append("## Table I: end-to-end latency (µs)\n\n");
    b.append("Fogwise's numbers first, the paper's in parentheses. p50/p99 are not in the paper.\n\n");
    b.append("| phase | cloud sub avg | min | max | p50 | p99 | edge sub avg | min | max | p50 | p99 |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int p = 0; p < 3; p++) {
      PhaseStats c = s.cloud()[p];
      PhaseStats e = s.edge()[p];
      double[] pp = PAPER[p];
      b.append("| ").append(PHASE_SHORT[p]).append(" | ")
          .append(f1(c.avg())).append(" (").append(f1(pp[0])).append(") | ")
          .append(c.min()).append(" (").append(f1(pp[1])).append(") | ")
          .append(c.max()).append(" (").append(f1(pp[2])).append(") | ")
          .append(c.p50()).append(" | ").append(c.p99()).append(" | ")
          .append(f1(e.avg())).append(" (").append(f1(pp[3])).append(") | ")
          .append(e.min()).append(" (").append(f1(pp[4])).append(") | ")
          .append(e.max()).append(" (").append(f1(pp[5])).append(") | ")
          .append(e.p50()).append(" | ").append(e.p99()).append(" |\n");
    }
    b.append("\nPhases: ");
    for (int p = 0; p < 3; p++) {
      b.append(p == 0 ? "" : "; ").append(PHASE_SHORT[p]).append(" = ").append(PHASES[p]);
    }
    b.append(". Each phase is ").append(st.messages()).append(" consecutive message numbers; a migration is started at the")
        .append(" first message of the phase it leads to and its messages count there. The hub move's command is started at")
        .append(" that message; it moves from message ").append(s.hubFrom()).append(" on (its JVM starts and it listens to one")
        .append(" second of heartbeats to find the instances first); the publisher's new epoch starts at message ")
        .append(s.pubFirst()).append(".\n\n");

    b.append("## The migrations\n\n");
    b.append("| migration | gap at the observer | at subscriber 1 (cloud) | at subscriber 2 (edge) | duration | the paper | goal |\n");
    b.append("|---|---|---|---|---|---|---|\n");
    b.append("| hub cloud -> gateway (`fogwise hub move`) | ").append(ms(s.hubGapObserverMs())).append(" | ")
        .append(ms(s.hubGapCloudMs())).append(" | ").append(ms(s.hubGapEdgeMs())).append(" | ")
        .append(ms(s.hubMoveMs())).append(" (attach + detach, the command's own count) | ").append(PAPER_HUB_MS)
        .append(" ms | gap ≤ ").append(GOAL_GAP_MS).append(" ms |\n");
    b.append("| publisher cloud -> edge (planned migration) | ").append(ms(s.pubGapObserverMs())).append(" | ")
        .append(ms(s.pubGapCloudMs())).append(" | ").append(ms(s.pubGapEdgeMs())).append(" | ")
        .append(ms(s.pubMoveMs())).append(" (request -> first message of the new epoch at the observer) | ")
        .append(PAPER_PUBLISHER_MS).append(" ms | gap ≤ ").append(GOAL_GAP_MS).append(" ms |\n\n");
    b.append("**Gap** of the hub move: the longest time between two consecutive messages received while it ran (the\n")
        .append("publisher sends one every ").append(1000 / st.rateHz()).append(" ms, so that is the floor). **Gap** of the publisher move: the\n")
        .append("last message of the old epoch to the first of the new one. The paper's figures are how long each migration\n")
        .append("took; it reports no gap, and says \"no downtime\".\n\n");

    b.append("## Lost, duplicated, out of order\n\n");
    b.append("| phase | observer: received / lost / duplicated / out of order | subscriber 1 (cloud) | subscriber 2 (edge) |\n");
    b.append("|---|---|---|---|\n");
    for (int p = 0; p < 3; p++) {
      Counts o = s.observer()[p];
      PhaseStats c = s.cloud()[p];
      PhaseStats e = s.edge()[p];
      b.append("| ").append(PHASE_SHORT[p]).append(" | ").append(o.received()).append(" / ").append(o.lost()).append(" / ")
          .append(o.duplicated()).append(" / ").append(o.outOfOrder()).append(" | ")
          .append(c.received()).append(" / ").append(c.lost()).append(" / ").append(c.duplicated()).append(" / ")
          .append(c.outOfOrder()).append(" | ")
          .append(e.received()).append(" / ").append(e.lost()).append(" / ").append(e.duplicated()).append(" / ")
          .append(e.outOfOrder()).append(" |\n");
    }
    long copies = 0;
    for (int p = 0; p < 3; p++) {
      copies += s.cloud()[p].overlapCopies() + s.edge()[p].overlapCopies();
    }
    b.append("\nDuring the hub move each subscriber listened on both servers for a moment and dropped the second copy of\n")
        .append("what arrived both ways: ").append(copies).append(" copies in all (not duplicates: the application never saw them).\n\n");

    b.append("## Reading these numbers\n\n");
    b.append("- One machine plays five: every link's delay is emulated in user space (`LinkEmulator`), and every process\n")
        .append("  shares the same cores. A process that is not scheduled for a while holds its messages back, and they\n")
        .append("  arrive together: the spikes in the plot, in every phase, migrations or not, and the maxima in Table I.\n")
        .append("  p50 shows the links; the maxima and p99 show the machine.\n");
    b.append("- Latency is measured with one clock (one machine), so unlike the paper's PTP-synchronised devices it has\n")
        .append("  no clock error.\n");
    b.append("- What the phases should show, by the links alone: Cloud, subscriber 1 next to the hub (tens to hundreds\n")
        .append("  of µs), subscriber 2 across cloud and edge links (≈ ").append(f1((st.cloudGatewayOneWay().toNanos()
            + st.edgeOneWay().toNanos()) / 1e6)).append(" ms); Fog, the cloud's messages cross the cloud link to the\n")
        .append("  gateway and back to subscriber 1 (≈ ").append(f1(st.cloudGatewayOneWay().toNanos() * 2 / 1e6))
        .append(" ms) and on to the edge (≈ ").append(f1((st.cloudGatewayOneWay().toNanos() + st.edgeOneWay().toNanos()) / 1e6))
        .append(" ms); Edge, publisher and subscriber 2 one edge hop from the gateway each, subscriber 1 one cloud hop.\n\n");
    b.append("## Latency per transmission (cf. the paper's Fig. 4)\n\n");
    b.append("![latency per transmission](").append(plotName).append(")\n");
    return b.toString();
  }

  private static ObjectNode json(PaperBenchmark.Run run, Summary s, String command) {
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("command", command);
    o.put("messagesPerPhase", run.settings().messages());
    o.put("rateHz", run.settings().rateHz());
    o.put("firstNumber", run.firstNumber());
    ArrayNode phases = o.putArray("phases");
    for (int p = 0; p < 3; p++) {
      ObjectNode ph = phases.addObject();
      ph.put("phase", PHASE_SHORT[p]);
      ph.set("cloudSubscriber", MessageCodec.mapper().valueToTree(s.cloud()[p]));
      ph.set("edgeSubscriber", MessageCodec.mapper().valueToTree(s.edge()[p]));
      ph.set("observer", MessageCodec.mapper().valueToTree(s.observer()[p]));
    }
    ObjectNode hub = o.putObject("hubMove");
    hub.put("gapObserverMs", s.hubGapObserverMs());
    hub.put("gapCloudSubscriberMs", s.hubGapCloudMs());
    hub.put("gapEdgeSubscriberMs", s.hubGapEdgeMs());
    hub.put("durationMs", s.hubMoveMs());
    hub.put("commandOutput", run.hubMoveOutput());
    ObjectNode pub = o.putObject("publisherMove");
    pub.put("gapObserverMs", s.pubGapObserverMs());
    pub.put("gapCloudSubscriberMs", s.pubGapCloudMs());
    pub.put("gapEdgeSubscriberMs", s.pubGapEdgeMs());
    pub.put("durationMs", s.pubMoveMs());
    o.put("lostOrDuplicated", s.lostOrDuplicated());
    o.put("runDir", run.runDir().toString());
    return o;
  }
}
