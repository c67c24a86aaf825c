package io.fogwise.protocol;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The opt-in durable mode of an application's data channels: instead of core NATS
 * (at-most-once), {@code fw.data.<app>.>} is captured by one JetStream stream per application,
 * {@link #streamName(String) fwd_<app>}, publishers publish with the message id {@code
 * service/epoch/number} (so the stream drops duplicates within {@link #DUPLICATE_WINDOW}), and
 * subscribers read through a durable consumer named after their service, which pushes to
 * {@link #deliverSubject(String) fw.dlv.<service>}.
 *
 * <p>Declared in a publisher's or subscriber's configuration: {@value #KEY_DURABLE} ({@code
 * true}/{@code false}, default false), {@value #KEY_MAX_AGE} (a duration such as {@code 24h},
 * {@code 30m}, {@code 90s}; default {@link #DEFAULT_MAX_AGE}) and {@value #KEY_MAX_BYTES} (bytes,
 * optionally with a {@code KiB}/{@code MiB}/{@code GiB} suffix; default {@link
 * #DEFAULT_MAX_BYTES}). The stream keeps messages by age and size and discards the oldest.
 *
 * <p>Streams and consumers are made by an operator ({@link DurableStreams#provision}),
 * never by an instance: whoever may create a consumer, or pull from one, chooses where the hub
 * delivers the stream's messages — any subject, with a payload an instance published — so an
 * instance only subscribes to its consumer's fixed delivery subject and acknowledges.
 *
 * <p>The stream name is lower case and carries the application name as the credentials' tag
 * {@code stream} does, because nats-server 2.9 fills a permission template only in a token that
 * is a template as a whole (probed on 2.9.10):
 * {@code $JS.API.STREAM.INFO.{{tag(stream)}}} can be granted, {@code ...FWD_{{tag(app)}}} cannot.
 *
 * @param app the application whose channels are durable
 * @param maxAge how long the stream keeps a message
 * @param maxBytes how many bytes the stream keeps at most
 */
public record DurableChannel(String app, Duration maxAge, long maxBytes) {
  /** Configuration key: whether the channel is durable. */
  public static final String KEY_DURABLE = "durable";
  /** Configuration key: how long the stream keeps messages. */
  public static final String KEY_MAX_AGE = "durableMaxAge";
  /** Configuration key: how many bytes the stream keeps. */
  public static final String KEY_MAX_BYTES = "durableMaxBytes";
  /** A day: a site cut off over a night and a morning still finds its data. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(24);
  /** 256 MiB: a day of a 100 Hz channel of 200-byte messages is ≈ 1.7 GiB, so size is the usual limit. */
  public static final long DEFAULT_MAX_BYTES = 256L << 20;
  /** Shortest age accepted: below it a consumer that reconnects after a hub restart finds nothing. */
  public static final Duration MIN_MAX_AGE = Duration.ofMinutes(1);
  /** Smallest size accepted (1 MiB). */
  public static final long MIN_MAX_BYTES = 1L << 20;
  /**
   * How long the stream remembers message ids to drop duplicates: 2 min covers a publisher's
   * re-sends across a hub restart and a hand-over, which take seconds.
   */
  public static final Duration DUPLICATE_WINDOW = Duration.ofMinutes(2);
  /** Redelivery of a message not acknowledged within this: a subscriber that died, or lost its ack to a hub restart. */
  public static final Duration ACK_WAIT = Duration.ofSeconds(5);
  /** Messages delivered to a subscriber and not yet acknowledged, at most: bounds what a slow subscriber holds. */
  public static final int MAX_ACK_PENDING = 1024;
  /** The prefix of every durable-channel stream. */
  public static final String STREAM_PREFIX = "fwd_";

  private static final Pattern APP = Pattern.compile("[a-z0-9_-]{1,64}");
  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h|d)");
  private static final Pattern BYTES = Pattern.compile("([0-9]{1,19})(B|KiB|MiB|GiB)?");

  public DurableChannel {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(maxAge, "maxAge");
    if (!APP.matcher(app).matches()) {
      throw new IllegalArgumentException("a durable channel's application name must be lower-case letters, digits, "
          + "'-' or '_' (at most 64), got '" + Checks.abbreviate(app) + "'");
    }
    if (maxAge.compareTo(MIN_MAX_AGE) < 0) {
      throw new IllegalArgumentException("'" + KEY_MAX_AGE + "' must be at least " + MIN_MAX_AGE.toMinutes()
          + "m, got " + maxAge);
    }
    if (maxBytes < MIN_MAX_BYTES) {
      throw new IllegalArgumentException("'" + KEY_MAX_BYTES + "' must be at least " + MIN_MAX_BYTES
          + " bytes (1 MiB), got " + maxBytes);
    }
  }

  /**
   * The durable channel a service configuration declares, or empty when it is not durable
   * ({@value #KEY_DURABLE} absent or {@code false}). {@code app} defaults to {@link
   * Subjects#DEFAULT_APP}, as the built-in services' does.
   *
   * @throws ProtocolViolation (an {@link IllegalArgumentException}) naming the field {@code
   *     config.<key>} and what it must be
   */
  public static Optional<DurableChannel> fromConfig(Map<String, String> config) {
    Objects.requireNonNull(config, "config");
    String durable = value(config, KEY_DURABLE);
    if (durable == null || durable.equalsIgnoreCase("false")) {
      // the limits are still checked: a typo must not wait until someone turns durable on
      maxAge(config);
      maxBytes(config);
      return Optional.empty();
    }
    if (!durable.equalsIgnoreCase("true")) {
      throw bad(KEY_DURABLE, "must be true or false, got '" + Checks.abbreviate(durable) + "'");
    }
    String app = value(config, "app");
    if (app != null && !APP.matcher(app).matches()) {
      throw bad("app", "must be lower-case letters, digits, '-' or '_' (at most 64) for a durable channel, whose "
          + "stream and permissions are named after it, got '" + Checks.abbreviate(app) + "'");
    }
    return Optional.of(new DurableChannel(app == null ? Subjects.DEFAULT_APP : app, maxAge(config), maxBytes(config)));
  }

  /**
   * Checks the durable keys of a spec's configuration.
   *
   * @throws ProtocolViolation naming the field {@code config.<key>}
   */
  static void checkConfig(Map<String, String> config) {
    fromConfig(config);
  }

  /** The stream of application {@code app}'s durable channels: {@code fwd_<app>}. */
  public static String streamName(String app) {
    return STREAM_PREFIX + Subjects.token(app);
  }

  /** This channel's stream. */
  public String stream() {
    return streamName(app);
  }

  /** The subjects the stream captures: every channel of the application, {@code fw.data.<app>.>}. */
  public String subjects() {
    return "fw.data." + app + ".>";
  }

  /**
   * The message id a publisher sends message {@code number} of {@code epoch} of {@code service}
   * with: the same id on every re-send, so the stream stores it once.
   */
  public static String messageId(String service, long epoch, long number) {
    return service + "/" + epoch + "/" + number;
  }

  /**
   * The subject a durable subscriber's consumer pushes to: {@code fw.dlv.<service>}. Outside
   * {@code fw.data.>} (the stream would capture it again), and only the service's instances may
   * subscribe to it.
   */
  public static String deliverSubject(String service) {
    return "fw.dlv." + Subjects.token(service);
  }

  private static String value(Map<String, String> config, String key) {
    String v = config.get(key);
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static Duration maxAge(Map<String, String> config) {
    String v = value(config, KEY_MAX_AGE);
    if (v == null) {
      return DEFAULT_MAX_AGE;
    }
    Matcher m = DURATION.matcher(v);
    if (!m.matches()) {
      throw bad(KEY_MAX_AGE, "must be a duration such as 24h, 30m, 90s or 7d, got '" + Checks.abbreviate(v) + "'");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    if (d.compareTo(MIN_MAX_AGE) < 0) {
      throw bad(KEY_MAX_AGE, "must be at least " + MIN_MAX_AGE.toMinutes() + "m, got '" + v + "'");
    }
    return d;
  }

  private static long maxBytes(Map<String, String> config) {
    String v = value(config, KEY_MAX_BYTES);
    if (v == null) {
      return DEFAULT_MAX_BYTES;
    }
    Matcher m = BYTES.matcher(v);
    ProtocolViolation expected = bad(KEY_MAX_BYTES, "must be a size in bytes, optionally with KiB, MiB or GiB, of at"
        + " least 1 MiB, got '" + Checks.abbreviate(v) + "'");
    if (!m.matches()) {
      throw expected;
    }
    int shift = m.group(2) == null ? 0 : switch (m.group(2).toUpperCase(Locale.ROOT)) {
      case "KIB" -> 10;
      case "MIB" -> 20;
      case "GIB" -> 30;
      default -> 0;
    };
    try {
      long n = Long.parseLong(m.group(1));
      if (n > (Long.MAX_VALUE >> shift)) {
        throw expected;
      }
      long bytes = n << shift;
      if (bytes < MIN_MAX_BYTES) {
        throw expected;
      }
      return bytes;
    } catch (NumberFormatException e) {
      throw expected;
    }
  }

  private static ProtocolViolation bad(String key, String why) {
    return ProtocolViolation.invalid("config." + key, why);
  }

}
