package io.fogwise.gateway.http;

import io.fogwise.gateway.cache.CloudCache;
import io.fogwise.protocol.MessageRejections;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.fogwise.protocol.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's HTTP API and Prometheus endpoint, served by its own event-loop verticle:
 *
 * <ul>
 *   <li>{@code GET /health}: the gateway's status, with {@code "status"} UP, DEGRADED (a
 *       service short of instances too long, or NATS down; named in {@code degraded},
 *       {@code nats}) or DOWN (503: the engine not running, or its last decision tick older than
 *       2 s, {@code lastTickAgeMs}); answered on the event loop from a published snapshot
 *   <li>{@code GET /devices}: every known device with its suspicion and telemetry
 *   <li>{@code GET /services}: declared services ({@code spec}) and their {@code placements}
 *   <li>{@code GET /services/{name}}: one declared spec, 404 if unknown
 *   <li>{@code POST /services}: apply a {@code ServiceSpec}, validated exactly like one
 *       arriving over NATS; 400 names the offending field
 *   <li>{@code DELETE /services/{name}}: delete a service, 404 if unknown
 *   <li>{@code POST /services/{name}/move}: {@code {"toLayer":"EDGE"}} or
 *       {@code {"toDevice":"edge-2"}}
 *   <li>{@code GET /events?limit=N}: the most recent adaptation events, newest last (default
 *       100, at most 500)
 *   <li>{@code GET /events/stream}: server-sent events, each adaptation event as it happens and
 *       heartbeat rates every second ({@link LiveFeed})
 *   <li>{@code GET /states}: every service's state (phase, reason, instances with epochs), as
 *       {@code fogwise describe} reads it
 *   <li>{@code GET /}: redirects to {@code /dashboard/}, the live web dashboard; its static files
 *       are the only paths served without a token, and hold no data
 *   <li>{@code GET /metrics}: the registry in Prometheus text format 0.0.4
 *   <li>{@code GET /cache/{key}}: an item of cloud data through the gateway's cache: its bytes with
 *       its {@code Content-Type}, {@code X-Fogwise-Version}, {@code X-Fogwise-Stale},
 *       {@code Age} (seconds) and {@code X-Fogwise-Age-Ms}; 400 malformed key, 404 not found, 504
 *       the cloud did not answer and 502 it answered badly, with no usable copy
 * </ul>
 *
 * <p>Bodies over {@link io.fogwise.protocol.MessageCodec#MAX_MESSAGE_BYTES} are refused with
 * 413. Every error is JSON: {@code {"ok":false,"error":"...","field":"...","reason":"..."}}.
 * The engine is reached only through {@link EngineAccess}, so handlers never block.
 *
 * <p>Who may call it is set by {@link Settings}: bound to loopback (the default) without a
 * tokens file, every local request is accepted; with a tokens file ({@link ApiTokens}) every
 * route but the dashboard's static files, {@code /metrics} and {@code /health} included, needs {@code Authorization: Bearer
 * <token>} (401 without a known one) and a read token may only GET (403). Bound anywhere else,
 * the server does not start without tokens and TLS unless told to be insecure.
 */
public final class GatewayHttpServer {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GatewayHttpServer.class);

  private final Vertx vertx;
  private final String deploymentId;
  private final int port;
  private final Settings settings;
  private final AtomicBoolean closed = new AtomicBoolean();

  private GatewayHttpServer(Vertx vertx, String deploymentId, int port, Settings settings) {
    this.vertx = vertx;
    this.deploymentId = deploymentId;
    this.port = port;
    this.settings = settings;
  }

  /**
   * Starts serving on {@code port} (0 picks a free one). The future fails, saying which port
   * and why, when the server cannot listen.
   *
   * @param engine how to reach the decision core, e.g. {@link EngineAccess#onContext}
   * @param registry the registry {@code GET /metrics} renders; it is scraped on the engine's
   *     decision thread, because gauges there read engine state
   */
  public static Future<GatewayHttpServer> start(
      Vertx vertx, int port, EngineAccess engine, PrometheusMeterRegistry registry) {
    return start(vertx, port, engine, null, registry);
  }

  /**
   * Starts serving on {@code port}, with {@code GET /health} answered from {@code health} on the
   * event loop (never waiting for the decision thread), or through {@code engine} when null.
   */
  public static Future<GatewayHttpServer> start(
      Vertx vertx, int port, EngineAccess engine, HealthSource health, PrometheusMeterRegistry registry) {
    return start(vertx, port, engine, health, registry, null, null);
  }

  /**
   * Starts serving, with {@code GET /cache/{key}} read through {@code cache} (null: no cache);
   * malformed keys are counted in {@code rejections} as kind {@code cache}. Bound to loopback
   * without tokens ({@link Settings#DEFAULT}).
   */
  public static Future<GatewayHttpServer> start(Vertx vertx, int port, EngineAccess engine, HealthSource health,
      PrometheusMeterRegistry registry, CloudCache cache, MessageRejections rejections) {
    return start(vertx, port, Settings.DEFAULT, Clock.system(), engine, health, registry, cache, rejections);
  }

  /**
   * Starts serving on {@code settings}' host and {@code port}, with its tokens and TLS. The future
   * fails with a one-line reason when the settings are refused ({@link Settings#refusal()}), the
   * tokens file cannot be read (naming its file and line), or the server cannot listen.
   *
   * @param clock when the tokens file is looked at again (at most once per second)
   */
  public static Future<GatewayHttpServer> start(Vertx vertx, int port, Settings settings, Clock clock,
      EngineAccess engine, HealthSource health, PrometheusMeterRegistry registry, CloudCache cache,
      MessageRejections rejections) {
    return start(vertx, port, settings, clock, engine, health, registry, cache, rejections, LiveFeed.none());
  }

  /**
   * Starts serving as above, with {@code GET /events/stream} and the dashboard's live view fed
   * by {@code feed}.
   */
  public static Future<GatewayHttpServer> start(Vertx vertx, int port, Settings settings, Clock clock,
      EngineAccess engine, HealthSource health, PrometheusMeterRegistry registry, CloudCache cache,
      MessageRejections rejections, LiveFeed feed) {
    Objects.requireNonNull(feed, "feed");
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(registry, "registry");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("HTTP port must be within [0, 65535], got " + port);
    }
    Optional<String> refused = settings.refusal();
    if (refused.isPresent()) {
      return Future.failedFuture(new IllegalArgumentException(refused.get()));
    }
    // file reads: off the event loop
    return vertx.executeBlocking(() -> {
      readable(settings.tlsCert, "--http-tls-cert");
      readable(settings.tlsKey, "--http-tls-key");
      return settings.apiTokens == null ? null : TokenFile.open(settings.apiTokens, clock);
    }).compose(tokens -> {
      HttpApiVerticle verticle = new HttpApiVerticle(port, settings, tokens, engine, health, registry, cache, rejections,
          feed);
      return vertx.deployVerticle(verticle)
          .map(id -> new GatewayHttpServer(vertx, id, verticle.actualPort(), settings))
          .recover(err -> Future.failedFuture(new IllegalStateException(
              "HTTP API could not listen on " + settings.host + " port " + port + ": " + err.getMessage()
                  + (port == 0 ? "" : "; choose another port or 0 for a free one"), err)))
          .onSuccess(server -> warnIfExposed(server, tokens));
    });
  }

  private static void readable(Path file, String flag) {
    if (file != null && !Files.isReadable(file)) {
      throw new IllegalArgumentException(flag + " " + file + ": no such readable file");
    }
  }

  private static void warnIfExposed(GatewayHttpServer server, TokenFile tokens) {
    Settings s = server.settings;
    if (s.loopback()) {
      return;
    }
    List<String> without = new ArrayList<>();
    if (tokens == null) {
      without.add("API tokens");
    }
    if (!s.tls()) {
      without.add("TLS");
    }
    if (!without.isEmpty()) {
      LOG.warn("INSECURE (--insecure-http): the HTTP API at {} is reachable from other hosts without {}: {}",
          server.url(), String.join(" and ", without), tokens == null
              ? "anyone who can reach it can read this gateway and apply, move and delete its services"
              : "tokens cross the network in clear text");
    }
  }

  /** The host the server is bound to, e.g. {@code 127.0.0.1}. */
  public String host() {
    return settings.host;
  }

  /** Where the server is reached, e.g. {@code https://0.0.0.0:8443/}. */
  public String url() {
    String h = settings.host.contains(":") ? "[" + settings.host + "]" : settings.host;
    return (settings.tls() ? "https" : "http") + "://" + h + ":" + port + "/";
  }

  /** The port the server listens on. */
  public int port() {
    return port;
  }

  /** Stops serving; later calls do nothing. */
  public Future<Void> close() {
    if (!closed.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    return vertx.undeploy(deploymentId);
  }

  /**
   * Where the HTTP API listens and who may call it: the bind host (default
   * {@value #DEFAULT_HOST}), an API tokens file, TLS (PEM certificate chain and key) and whether
   * to serve insecurely when bound beyond loopback. Immutable; build with {@link #builder()}.
   */
  public static final class Settings {
    /** Loopback: only processes on this host reach the API unless it is bound elsewhere on purpose. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Loopback, no tokens, no TLS. */
    public static final Settings DEFAULT = builder().build();

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    final String host;
    final Path apiTokens;
    final Path tlsCert;
    final Path tlsKey;
    final boolean insecure;

    private Settings(Builder b) {
      this.host = b.host;
      this.apiTokens = b.apiTokens;
      this.tlsCert = b.tlsCert;
      this.tlsKey = b.tlsKey;
      this.insecure = b.insecure;
    }

    public static Builder builder() {
      return new Builder();
    }

    public String host() {
      return host;
    }

    /** The API tokens file; without one, no token is asked for (allowed on loopback only). */
    public Optional<Path> apiTokens() {
      return Optional.ofNullable(apiTokens);
    }

    /** Whether the API is served over TLS. */
    public boolean tls() {
      return tlsCert != null && tlsKey != null;
    }

    public boolean insecure() {
      return insecure;
    }

    /** Whether the host is loopback ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}): no other host reaches it. */
    public boolean loopback() {
      return isLoopback(host);
    }

    /**
     * Why these settings must not be served, in one line naming the missing flags, or empty.
     * Beyond loopback the API needs an API tokens file and TLS, unless {@code insecure}; a TLS
     * certificate needs its key and the other way round, wherever it is bound.
     */
    public Optional<String> refusal() {
      if ((tlsCert == null) != (tlsKey == null)) {
        return Optional.of("TLS for the HTTP API needs both --http-tls-cert and --http-tls-key: missing "
            + (tlsCert == null ? "--http-tls-cert FILE" : "--http-tls-key FILE"));
      }
      if (loopback() || insecure) {
        return Optional.empty();
      }
      List<String> missing = new ArrayList<>();
      if (apiTokens == null) {
        missing.add("--api-tokens FILE");
      }
      if (!tls()) {
        missing.add("--http-tls-cert FILE");
        missing.add("--http-tls-key FILE");
      }
      if (missing.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of("the HTTP API bound to " + host + " is reachable from other hosts, so it needs API tokens"
          + " and TLS: missing " + String.join(", ", missing) + " (or bind it to loopback with --http-host 127.0.0.1,"
          + " or serve it unprotected with --insecure-http)");
    }

    static boolean isLoopback(String host) {
      if (host.equalsIgnoreCase("localhost")) {
        return true;
      }
      Matcher v4 = IPV4.matcher(host);
      if (v4.matches()) {
        for (int i = 1; i <= 4; i++) {
          if (Integer.parseInt(v4.group(i)) > 255) {
            return false;
          }
        }
        return Integer.parseInt(v4.group(1)) == 127;
      }
      if (host.contains(":")) { // an IPv6 literal: parsed, never looked up in DNS
        try {
          return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
          return false;
        }
      }
      return false; // a name other than localhost may resolve anywhere: treat it as reachable
    }

    @Override
    public String toString() {
      return "host " + host + (apiTokens == null ? ", no API tokens" : ", API tokens " + apiTokens)
          + (tls() ? ", TLS" : ", no TLS") + (insecure ? ", insecure" : "");
    }

    /** Builds {@link Settings}. */
    public static final class Builder {
      private String host = DEFAULT_HOST;
      private Path apiTokens;
      private Path tlsCert;
      private Path tlsKey;
      private boolean insecure;

      private Builder() {}

      /** The address to bind: an IP literal ({@code 0.0.0.0} for every interface) or a host name. */
      public Builder host(String v) {
        Objects.requireNonNull(v, "host");
        String h = v.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
          h = h.substring(1, h.length() - 1);
        }
        if (h.isEmpty() || h.chars().anyMatch(Character::isWhitespace)) {
          throw new IllegalArgumentException("HTTP host must be an address or host name, got '" + v + "'");
        }
        this.host = h;
        return this;
      }

      /** The API tokens file (see {@link ApiTokens}); null for none. */
      public Builder apiTokens(Path v) { this.apiTokens = v; return this; }
      /** The PEM certificate chain served over TLS; null for none. */
      public Builder tlsCert(Path v) { this.tlsCert = v; return this; }
      /** The PEM private key (PKCS#8 or PKCS#1) of {@link #tlsCert}; null for none. */
      public Builder tlsKey(Path v) { this.tlsKey = v; return this; }
      /** Serve beyond loopback without API tokens or TLS (a loud warning at start). */
      public Builder insecure(boolean v) { this.insecure = v; return this; }

      public Settings build() {
        return new Settings(this);
      }
    }
  }
}
