package io.fogwise.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every route when the gateway has an API tokens file: a request carries
 * {@code Authorization: Bearer <token>}, the token must be in the file, and its role must allow
 * the method. Missing or unknown token: 401; a read token on anything but GET: 403.
 */
final class ApiAuth implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ApiAuth.class);
  private static final String BEARER = "bearer ";
  private static final String WWW_AUTHENTICATE = "WWW-Authenticate";
  static final String HOW_TO_GET_ONE = "ask this gateway's operator for a token (they are listed, hashed, in the"
      + " file given to 'fogwise gateway --api-tokens'; see docs/security.md)";

  private final TokenFile tokens;

  ApiAuth(TokenFile tokens) {
    this.tokens = tokens;
  }

  @Override
  public void handle(RoutingContext rc) {
    TokenFile.State state = tokens.current();
    if (state.tokens() == null) {
      // the reason is in the log (it names a file and line, which callers need not see)
      HttpApiVerticle.error(rc, 503, null, "this gateway cannot read its API tokens file, so it accepts no token"
          + " until its operator fixes it (the gateway's log says why)", null);
      return;
    }
    String method = rc.request().method().name();
    String path = rc.request().path();
    Optional<String> presented = bearer(rc.request().getHeader(HttpHeaders.AUTHORIZATION));
    if (presented.isEmpty()) {
      rc.response().putHeader(WWW_AUTHENTICATE, "Bearer realm=\"fogwise\"");
      HttpApiVerticle.error(rc, 401, null, method + " " + path + " needs an API token:"
          + " send 'Authorization: Bearer <token>'; " + HOW_TO_GET_ONE, null);
      return;
    }
    Optional<ApiTokens.Entry> entry = state.tokens().find(presented.get());
    if (entry.isEmpty()) {
      LOG.debug("HTTP {} {} from {}: unknown API token", method, path, rc.request().remoteAddress());
      rc.response().putHeader(WWW_AUTHENTICATE, "Bearer realm=\"fogwise\", error=\"invalid_token\"");
      HttpApiVerticle.error(rc, 401, null, "the API token presented is not one this gateway accepts"
          + " (revoked, mistyped, or another gateway's); " + HOW_TO_GET_ONE, null);
      return;
    }
    ApiTokens.Entry who = entry.get();
    if (!who.role().permits(method)) {
      LOG.debug("HTTP {} {}: token '{}' has role {}", method, path, who.name(), who.role().tag());
      rc.response().putHeader(WWW_AUTHENTICATE, "Bearer realm=\"fogwise\", error=\"insufficient_scope\"");
      HttpApiVerticle.error(rc, 403, null, method + " " + path + " needs role " + ApiTokens.Role.OPERATOR.tag()
          + "; token '" + who.name() + "' has role " + who.role().tag() + " (GET only)", null);
      return;
    }
    rc.next();
  }

  private static Optional<String> bearer(String header) {
    if (header == null || header.length() <= BEARER.length()
        || !header.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      return Optional.empty();
    }
    String token = header.substring(BEARER.length()).strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }
}
