package io.fogwise.cloud.history;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Telemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The miner's persistent history: a directory of append-only segments, each written by one
 * miner instance and named after it ({@code tm-<instance>-000001.seg} for telemetry,
 * {@code ev-<instance>-000001.jsonl} for events), so instances can share a directory on a shared
 * volume. Every record carries the stream sequence of its message: an instance does not store a
 * message again that it already stored (a redelivery after a crash between storing and
 * acknowledging), and {@link #load} merges all instances' segments and keeps each sequence once.
 *
 * <p>An instance opening the store cuts off a torn last record of its own segments (a crash in
 * mid-write) and counts it; it then writes new segments. Appends become durable with
 * {@link #syncTelemetry}/{@link #syncEvents}. Telemetry and events may be appended from two
 * threads; each kind from one at a time.
 */
public final class HistoryStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryStore.class);
  /** A segment is closed and a new one begun beyond this size, so no file grows without bound. */
  public static final long SEGMENT_BYTES = 256L * 1024 * 1024;
  /** Instance ids: safe in a file name on every file system. */
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern TM = Pattern.compile("tm-([A-Za-z0-9_.-]+)-(\\d{6})\\.seg");
  private static final Pattern EV = Pattern.compile("ev-([A-Za-z0-9_.-]+)-(\\d{6})\\.jsonl");

  private final Path dir;
  private final String instance;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final long tornRecords;
  private final Object tmLock = new Object();
  private final Object evLock = new Object();
  private final SeqSet tmSeqs;
  private final SeqSet evSeqs;
  private int nextSegment;
  /** Sequences appended since the last sync: forgotten again if it fails, so a redelivery is stored. */
  private final LongList tmPending = new LongList();
  private final LongList evPending = new LongList();
  private TelemetrySegment.Writer tm;
  private EventSegment.Writer ev;

  private HistoryStore(Path dir, String instance, FileChannel lockChannel, FileLock lock, long torn, SeqSet tmSeqs,
      SeqSet evSeqs, int nextSegment) {
    this.dir = dir;
    this.instance = instance;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.tornRecords = torn;
    this.tmSeqs = tmSeqs;
    this.evSeqs = evSeqs;
    this.nextSegment = nextSegment;
  }

  /** Whether {@code id} can name an instance (letters, digits, {@code _ . -}; 1–64 characters). */
  public static boolean validInstanceId(String id) {
    return id != null && INSTANCE_ID.matcher(id).matches();
  }

  /**
   * Opens (creating it if missing) the store in {@code dir} as instance {@code instanceId}: cuts
   * off torn records of its own segments and reads which sequences all instances stored.
   *
   * @throws IllegalStateException if another process has the store open as the same instance
   */
  public static HistoryStore open(Path dir, String instanceId) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (!validInstanceId(instanceId)) {
      throw new IllegalArgumentException("miner instance id must be 1-64 letters, digits, '_', '.' or '-', got '"
          + instanceId + "'");
    }
    Files.createDirectories(dir);
    FileChannel lc = FileChannel.open(dir.resolve("lock-" + instanceId), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lc.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lc.close();
      throw new IllegalStateException("the miner store " + dir + " is already open as instance '" + instanceId
          + "'; give each miner its own --miner-id");
    }
    try {
      SeqSet tmSeqs = new SeqSet();
      SeqSet evSeqs = new SeqSet();
      long torn = 0;
      int next = 1;
      for (Path f : segments(dir, TM)) {
        Matcher m = TM.matcher(f.getFileName().toString());
        m.matches();
        long intact = TelemetrySegment.read(f, seqsOf(tmSeqs));
        if (m.group(1).equals(instanceId)) {
          next = Math.max(next, Integer.parseInt(m.group(2)) + 1);
          torn += cut(f, intact);
        }
      }
      for (Path f : segments(dir, EV)) {
        Matcher m = EV.matcher(f.getFileName().toString());
        m.matches();
        long intact = EventSegment.read(f, new EventSegment.Visitor() {
          @Override
          public void event(long seq, AdaptationEvent event) {
            evSeqs.add(seq);
          }

          @Override
          public void rejected(long seq, BadInput reason) {
            evSeqs.add(seq);
          }
        });
        if (m.group(1).equals(instanceId)) {
          next = Math.max(next, Integer.parseInt(m.group(2)) + 1);
          torn += cut(f, intact);
        }
      }
      LOG.info("miner store {} open as instance {}: {} telemetry and {} event messages stored{}", dir, instanceId,
          tmSeqs.size(), evSeqs.size(), torn == 0 ? "" : "; cut off " + torn + " torn record(s) of an earlier crash");
      return new HistoryStore(dir, instanceId, lc, lock, torn, tmSeqs, evSeqs, next);
    } catch (IOException | RuntimeException e) {
      lock.release();
      lc.close();
      throw e;
    }
  }

  private static TelemetrySegment.Visitor seqsOf(SeqSet seqs) {
    return new TelemetrySegment.Visitor() {
      @Override
      public void key(int keyId, String gatewayId, String deviceId) {}

      @Override
      public void telemetry(long seq, int keyId, long atMillis, float cpuLoad, float memoryPct, float batteryPct,
          float temperatureC) {
        seqs.add(seq);
      }

      @Override
      public void rejected(long seq, BadInput reason) {
        seqs.add(seq);
      }
    };
  }

  private static long cut(Path f, long intact) throws IOException {
    long size = Files.size(f);
    if (intact >= size) {
      return 0;
    }
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(intact);
      ch.force(true);
    }
    LOG.warn("miner store: cut {} bytes of a torn record off the end of {} (a crash while writing it; its message"
        + " was not acknowledged and is read again)", size - intact, f);
    return 1;
  }

  private static List<Path> segments(Path dir, Pattern p) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(f -> p.matcher(f.getFileName().toString()).matches()).sorted().toList();
    }
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** The instance this store writes as. */
  public String instanceId() {
    return instance;
  }

  /** Torn records cut off when this instance opened the store. */
  public long tornRecords() {
    return tornRecords;
  }

  /** Whether the telemetry message with stream sequence {@code seq} is stored (or its rejection). */
  public boolean hasTelemetry(long seq) {
    synchronized (tmLock) {
      return tmSeqs.contains(seq);
    }
  }

  /** Whether the event message with stream sequence {@code seq} is stored (or its rejection). */
  public boolean hasEvent(long seq) {
    synchronized (evLock) {
      return evSeqs.contains(seq);
    }
  }

  /** Appends a telemetry record (not yet durable); false if {@code seq} is already stored. */
  public boolean appendTelemetry(long seq, Telemetry t) throws IOException {
    float mem = t.memMaxBytes() == 0 ? Float.NaN : (float) (100.0 * t.memUsedBytes() / t.memMaxBytes());
    synchronized (tmLock) {
      if (!tmSeqs.add(seq)) {
        return false;
      }
      tmPending.add(seq);
      tmWriter().telemetry(seq, t.gatewayId(), t.deviceId(), t.atMillis(), (float) t.cpuLoad(), mem,
          t.batteryPct() == null ? Float.NaN : t.batteryPct().floatValue(),
          t.temperatureC() == null ? Float.NaN : t.temperatureC().floatValue());
      return true;
    }
  }

  /** Records that telemetry message {@code seq} was bad input; false if {@code seq} is already stored. */
  public boolean rejectTelemetry(long seq, BadInput reason) throws IOException {
    synchronized (tmLock) {
      if (!tmSeqs.add(seq)) {
        return false;
      }
      tmPending.add(seq);
      tmWriter().rejected(seq, reason);
      return true;
    }
  }

  /** Appends an event (not yet durable); false if {@code seq} is already stored. */
  public boolean appendEvent(long seq, AdaptationEvent e) throws IOException {
    synchronized (evLock) {
      if (!evSeqs.add(seq)) {
        return false;
      }
      evPending.add(seq);
      evWriter().event(seq, e);
      return true;
    }
  }

  /** Records that event message {@code seq} was bad input; false if {@code seq} is already stored. */
  public boolean rejectEvent(long seq, BadInput reason) throws IOException {
    synchronized (evLock) {
      if (!evSeqs.add(seq)) {
        return false;
      }
      evPending.add(seq);
      evWriter().rejected(seq, reason);
      return true;
    }
  }

  /**
   * Makes the telemetry appended so far durable (written and forced to the disk). If that fails,
   * what was appended since the last sync is forgotten ({@link #discardTelemetry}).
   */
  public void syncTelemetry() throws IOException {
    synchronized (tmLock) {
      if (tm != null) {
        try {
          tm.sync();
        } catch (IOException | RuntimeException e) {
          discardTelemetry();
          throw e;
        }
        if (tm.size() >= SEGMENT_BYTES) {
          tm.close();
          tm = null;
        }
      }
      tmPending.clear();
    }
  }

  /** Makes the events appended so far durable; if that fails, forgets them ({@link #discardEvents}). */
  public void syncEvents() throws IOException {
    synchronized (evLock) {
      if (ev != null) {
        try {
          ev.sync();
        } catch (IOException | RuntimeException e) {
          discardEvents();
          throw e;
        }
        if (ev.size() >= SEGMENT_BYTES) {
          ev.close();
          ev = null;
        }
      }
      evPending.clear();
    }
  }

  /**
   * Forgets the telemetry appended since the last sync (a batch that failed half-way): their
   * messages count as not stored, so their redelivery is stored, in a new segment. What of them
   * reached the old one is kept there; loading keeps each sequence once.
   */
  public void discardTelemetry() {
    synchronized (tmLock) {
      for (int i = 0; i < tmPending.size(); i++) {
        tmSeqs.remove(tmPending.get(i));
      }
      tmPending.clear();
      if (tm != null) {
        try {
          tm.close();
        } catch (IOException e) {
          LOG.debug("miner store: closing a segment after a failed write: {}", e.toString());
        }
        tm = null;
      }
    }
  }

  /** As {@link #discardTelemetry}, for events. */
  public void discardEvents() {
    synchronized (evLock) {
      for (int i = 0; i < evPending.size(); i++) {
        evSeqs.remove(evPending.get(i));
      }
      evPending.clear();
      if (ev != null) {
        try {
          ev.close();
        } catch (IOException e) {
          LOG.debug("miner store: closing a segment after a failed write: {}", e.toString());
        }
        ev = null;
      }
    }
  }

  /** A growable list of longs. */
  private static final class LongList {
    private long[] a = new long[1024];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    long get(int i) {
      return a[i];
    }

    int size() {
      return n;
    }

    void clear() {
      n = 0;
    }
  }

  private TelemetrySegment.Writer tmWriter() throws IOException {
    if (tm == null) {
      tm = new TelemetrySegment.Writer(dir.resolve(String.format("tm-%s-%06d.seg", instance, segmentNumber())));
    }
    return tm;
  }

  private EventSegment.Writer evWriter() throws IOException {
    if (ev == null) {
      ev = new EventSegment.Writer(dir.resolve(String.format("ev-%s-%06d.jsonl", instance, segmentNumber())));
    }
    return ev;
  }

  private synchronized int segmentNumber() {
    return nextSegment++;
  }

  /**
   * Loads everything every instance made durable in the directory into a snapshot: each stream
   * sequence once (later copies counted as duplicates), devices' readings sorted by time.
   */
  public History load() throws IOException {
    return load(dir, tornRecords);
  }

  /** Loads the store in {@code dir} without opening it for writing (a read-only look). */
  public static History load(Path dir) throws IOException {
    return load(dir, 0);
  }

  private static History load(Path dir, long torn) throws IOException {
    Loader l = new Loader();
    if (Files.isDirectory(dir)) {
      for (Path f : segments(dir, TM)) {
        l.fileKeys.clear();
        TelemetrySegment.read(f, l);
      }
      for (Path f : segments(dir, EV)) {
        EventSegment.read(f, l.events);
      }
    }
    return l.history(torn);
  }

  @Override
  public void close() throws IOException {
    try {
      synchronized (tmLock) {
        if (tm != null) {
          tm.close();
          tm = null;
        }
      }
      synchronized (evLock) {
        if (ev != null) {
          ev.close();
          ev = null;
        }
      }
    } finally {
      lock.release();
      lockChannel.close();
    }
  }

  /** Merges segments into columns. */
  private static final class Loader implements TelemetrySegment.Visitor {
    final SeqSet tmSeen = new SeqSet();
    final SeqSet evSeen = new SeqSet();
    final Map<String, Columns> series = new HashMap<>();
    final Map<Integer, Columns> fileKeys = new HashMap<>();
    final EnumMap<BadInput, Long> rejected = new EnumMap<>(BadInput.class);
    final List<long[]> eventOrder = new ArrayList<>();
    final List<AdaptationEvent> eventList = new ArrayList<>();
    long duplicates;
    long telemetry;

    final EventSegment.Visitor events = new EventSegment.Visitor() {
      @Override
      public void event(long seq, AdaptationEvent event) {
        if (!evSeen.add(seq)) {
          duplicates++;
          return;
        }
        eventOrder.add(new long[] {event.atMillis(), seq, eventList.size()});
        eventList.add(event);
      }

      @Override
      public void rejected(long seq, BadInput reason) {
        if (!evSeen.add(seq)) {
          duplicates++;
          return;
        }
        rejected.merge(reason, 1L, Long::sum);
      }
    };

    @Override
    public void key(int keyId, String gatewayId, String deviceId) {
      fileKeys.put(keyId, series.computeIfAbsent(gatewayId + '\u0000' + deviceId,
          k -> new Columns(gatewayId, deviceId)));
    }

    @Override
    public void telemetry(long seq, int keyId, long atMillis, float cpuLoad, float memoryPct, float batteryPct,
        float temperatureC) {
      if (!tmSeen.add(seq)) {
        duplicates++;
        return;
      }
      Columns c = fileKeys.get(keyId);
      if (c == null) {
        throw new UncheckedIOException(new IOException("a telemetry record refers to key " + keyId
            + " that its segment never named"));
      }
      c.add(atMillis, cpuLoad, memoryPct, batteryPct, temperatureC);
      telemetry++;
    }

    @Override
    public void rejected(long seq, BadInput reason) {
      if (!tmSeen.add(seq)) {
        duplicates++;
        return;
      }
      rejected.merge(reason, 1L, Long::sum);
    }

    History history(long torn) {
      eventOrder.sort(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
      List<AdaptationEvent> sorted = new ArrayList<>(eventOrder.size());
      Map<String, String> classes = new HashMap<>();
      for (long[] o : eventOrder) {
        AdaptationEvent e = eventList.get((int) o[2]);
        sorted.add(e);
        String type = e.type().name();
        String cls = e.details().get("class");
        if (e.deviceId() != null && cls != null && (type.equals("DEVICE_JOINED") || type.equals("HEARTBEAT_TIMING"))) {
          classes.put(e.gatewayId() + '\u0000' + e.deviceId(), cls);
        }
      }
      List<DeviceSeries> devices = new ArrayList<>(series.size());
      long from = Long.MAX_VALUE;
      long to = Long.MIN_VALUE;
      for (Map.Entry<String, Columns> en : series.entrySet()) {
        Columns c = en.getValue();
        if (c.n == 0) {
          continue;
        }
        DeviceSeries s = c.toSeries(classes.getOrDefault(en.getKey(), DeviceSeries.DEFAULT_CLASS));
        from = Math.min(from, s.atMillis()[0]);
        to = Math.max(to, s.atMillis()[s.size() - 1]);
        devices.add(s);
      }
      devices.sort(Comparator.comparing(DeviceSeries::gatewayId).thenComparing(DeviceSeries::deviceId));
      Counts counts = new Counts(telemetry, sorted.size(), rejected, duplicates, torn);
      return devices.isEmpty() ? new History(devices, sorted, counts, 0, 0)
          : new History(devices, sorted, counts, from, to);
    }
  }

  /** One device's readings while loading: growable primitive columns. */
  private static final class Columns {
    final String gatewayId;
    final String deviceId;
    long[] at = new long[64];
    float[] cpu = new float[64];
    float[] mem = new float[64];
    float[] bat = new float[64];
    float[] temp = new float[64];
    int n;

    Columns(String gatewayId, String deviceId) {
      this.gatewayId = gatewayId;
      this.deviceId = deviceId;
    }

    void add(long atMillis, float c, float m, float b, float t) {
      if (n == at.length) {
        int cap = n * 2;
        at = java.util.Arrays.copyOf(at, cap);
        cpu = java.util.Arrays.copyOf(cpu, cap);
        mem = java.util.Arrays.copyOf(mem, cap);
        bat = java.util.Arrays.copyOf(bat, cap);
        temp = java.util.Arrays.copyOf(temp, cap);
      }
      at[n] = atMillis;
      cpu[n] = c;
      mem[n] = m;
      bat[n] = b;
      temp[n] = t;
      n++;
    }

    DeviceSeries toSeries(String deviceClass) {
      int[] order = TimeOrder.sort(at, n);
      long[] a = new long[n];
      double[] c = new double[n];
      double[] m = new double[n];
      double[] b = new double[n];
      double[] t = new double[n];
      for (int i = 0; i < n; i++) {
        int j = order == null ? i : order[i];
        a[i] = at[j];
        c[i] = cpu[j];
        m[i] = mem[j];
        b[i] = bat[j];
        t[i] = temp[j];
      }
      return new DeviceSeries(gatewayId, deviceId, deviceClass, a, c, m, b, t);
    }
  }
}
