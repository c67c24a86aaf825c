package io.fogwise.protocol;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.Source;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The history streams the cloud's miner reads, {@value Subjects#EVENTS_STREAM} and
 * {@value Subjects#TELEMETRY_STREAM}, and their store-and-forward from sites.
 *
 * <p>A gateway running a leaf node keeps its events and its devices' telemetry in streams of
 * the same names in its own JetStream domain ({@link #site}); the leaf link does not carry
 * those subjects to the cloud, so the cloud's streams receive a site's history only by
 * <em>sourcing</em> the site's streams ({@link #cloud}): in order, once each, and after an
 * outage from where the link dropped. Gateways connected to the cloud hub directly are
 * captured by subject.
 */
public final class HistoryStreams {
  /** How long the cloud keeps history. */
  public static final Duration CLOUD_MAX_AGE = Duration.ofDays(30);
  /** The most history the cloud keeps per stream. */
  public static final long CLOUD_MAX_BYTES = 4L * 1024 * 1024 * 1024;
  /** How long a site keeps history it could not yet forward. */
  public static final Duration SITE_MAX_AGE = Duration.ofDays(7);
  /** The most history a site keeps per stream while the cloud is unreachable. */
  public static final long SITE_MAX_BYTES = 1024L * 1024 * 1024;
  /** A message published again with the same {@code Nats-Msg-Id} within this window is stored once. */
  private static final Duration DUPLICATE_WINDOW = Duration.ofMinutes(2);

  private HistoryStreams() {}

  /** A site's {@value Subjects#EVENTS_STREAM}: its gateway's events, on the leaf node. */
  public static StreamConfiguration siteEvents(String gatewayId) {
    return site(Subjects.EVENTS_STREAM, Subjects.events(gatewayId), gatewayId, "adaptation events");
  }

  /** A site's {@value Subjects#TELEMETRY_STREAM}: its devices' telemetry, on the leaf node. */
  public static StreamConfiguration siteTelemetry(String gatewayId) {
    return site(Subjects.TELEMETRY_STREAM, Subjects.telemetries(gatewayId), gatewayId, "device telemetry");
  }

  private static StreamConfiguration site(String name, String subject, String gatewayId, String what) {
    return StreamConfiguration.builder().name(name).subjects(subject).storageType(StorageType.File)
        .maxAge(SITE_MAX_AGE).maxBytes(SITE_MAX_BYTES).duplicateWindow(DUPLICATE_WINDOW)
        .description("Fogwise site " + gatewayId + ": " + what + ", forwarded to the cloud by its sourcing")
        .build();
  }

  /** The cloud's {@value Subjects#EVENTS_STREAM}, sourcing the sites of {@code leafGateways}. */
  public static StreamConfiguration cloudEvents(Collection<String> leafGateways) {
    return cloud(Subjects.EVENTS_STREAM, Subjects.ALL_EVENTS, leafGateways, "adaptation events of every gateway");
  }

  /** The cloud's {@value Subjects#TELEMETRY_STREAM}, sourcing the sites of {@code leafGateways}. */
  public static StreamConfiguration cloudTelemetry(Collection<String> leafGateways) {
    return cloud(Subjects.TELEMETRY_STREAM, Subjects.ALL_TELEMETRY, leafGateways, "telemetry of every device");
  }

  private static StreamConfiguration cloud(String name, String subject, Collection<String> gateways, String what) {
    List<Source> sources = new ArrayList<>();
    for (String gw : new TreeSet<>(gateways)) {
      sources.add(Source.builder().sourceName(name).domain(Subjects.gatewayDomain(gw)).build());
    }
    return StreamConfiguration.builder().name(name).subjects(subject).storageType(StorageType.File)
        .maxAge(CLOUD_MAX_AGE).maxBytes(CLOUD_MAX_BYTES).sources(sources)
        .description("Fogwise: " + what + " (direct gateways by subject, sites by sourcing their leaf streams)")
        .build();
  }

  /**
   * Creates the cloud's history streams, or adds sources for gateways they do not source yet
   * (a source once added stays: a site's history still queued must not be cut off).
   */
  public static void ensureCloud(JetStreamManagement jsm, Collection<String> leafGateways) throws IOException {
    Objects.requireNonNull(jsm, "jsm");
    for (StreamConfiguration wanted : List.of(cloudEvents(leafGateways), cloudTelemetry(leafGateways))) {
      StreamInfo info = info(jsm, wanted.getName());
      try {
        if (info == null) {
          jsm.addStream(wanted);
          continue;
        }
        Set<String> have = new LinkedHashSet<>();
        List<Source> merged = new ArrayList<>(info.getConfiguration().getSources());
        merged.forEach(s -> have.add(key(s)));
        boolean changed = false;
        for (Source s : wanted.getSources()) {
          if (have.add(key(s))) {
            merged.add(s);
            changed = true;
          }
        }
        if (changed) {
          jsm.updateStream(StreamConfiguration.builder(info.getConfiguration()).sources(merged).build());
        }
      } catch (JetStreamApiException e) {
        throw new IOException("cannot create or update stream " + wanted.getName() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Creates a site's history streams on its leaf node, unless they exist. */
  public static void ensureSite(JetStreamManagement jsm, String gatewayId) throws IOException {
    for (StreamConfiguration wanted : List.of(siteEvents(gatewayId), siteTelemetry(gatewayId))) {
      try {
        if (info(jsm, wanted.getName()) == null) {
          jsm.addStream(wanted);
        }
      } catch (JetStreamApiException e) {
        throw new IOException("cannot create stream " + wanted.getName() + " on the leaf node of " + gatewayId + ": "
            + e.getMessage(), e);
      }
    }
  }

  private static String key(Source s) {
    return s.getName() + "@" + (s.getExternal() == null ? "" : s.getExternal().getApi());
  }

  private static StreamInfo info(JetStreamManagement jsm, String stream) throws IOException {
    try {
      return jsm.getStreamInfo(stream);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == 10059) {
        return null;
      }
      throw new IOException("cannot look up stream " + stream + ": " + e.getMessage(), e);
    }
  }
}
