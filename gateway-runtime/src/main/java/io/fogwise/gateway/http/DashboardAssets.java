package io.fogwise.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard's page, script, style and charting library, read once from this jar and served
 * by exact path (nothing else under {@value #PREFIX} exists). They hold no data: every number the
 * page shows comes from the API with the caller's token, so these are served without one.
 */
final class DashboardAssets {
  static final String PREFIX = "/dashboard/";
  /** Scripts and styles from this server only, no inline script, never inside another site's frame. */
  static final String CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
      + " form-action 'none'; frame-ancestors 'none'";
  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";

  private record Asset(String contentType, Buffer bytes) {}

  private final Map<String, Asset> assets;

  private DashboardAssets(Map<String, Asset> assets) {
    this.assets = assets;
  }

  /** Reads every asset from the classpath (blocking: call it off the event loop). */
  static DashboardAssets load() {
    Map<String, Asset> m = new LinkedHashMap<>();
    m.put(PREFIX, read("fogwise-dashboard/index.html", "text/html; charset=utf-8"));
    m.put(PREFIX + "dashboard.js", read("fogwise-dashboard/dashboard.js", "text/javascript; charset=utf-8"));
    m.put(PREFIX + "dashboard.css", read("fogwise-dashboard/dashboard.css", "text/css; charset=utf-8"));
    m.put(PREFIX + "uPlot.iife.min.js", read(UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"));
    m.put(PREFIX + "uPlot.min.css", read(UPLOT + "uPlot.min.css", "text/css; charset=utf-8"));
    return new DashboardAssets(Map.copyOf(m));
  }

  private static Asset read(String resource, String contentType) {
    try (InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard resource " + resource + " is missing from the gateway's"
            + " classpath (a broken build?)");
      }
      return new Asset(contentType, Buffer.buffer(in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the dashboard resource " + resource, e);
    }
  }

  /** Serves the asset at the request's path, or passes the request on (to a 404). */
  void serve(RoutingContext rc) {
    Asset a = assets.get(rc.request().path());
    if (a == null) {
      rc.next();
      return;
    }
    rc.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, a.contentType())
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .end(a.bytes());
  }
}
