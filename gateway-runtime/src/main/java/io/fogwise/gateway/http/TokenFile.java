package io.fogwise.gateway.http;

import io.fogwise.protocol.time.Clock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens file as a running gateway sees it: re-read when it changes, so a revoked token stops
 * working without a restart. Whether it changed is looked at no more than once per
 * {@link #CHECK_INTERVAL} of the injected clock, on the request that finds the interval over.
 *
 * <p>When the file becomes unreadable (deleted, or edited into a malformed state) no token is
 * accepted until it is fixed: keeping the last good copy would keep a token working that the
 * edit meant to revoke.
 */
final class TokenFile {
  private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);

  /**
   * How often the file's attributes are looked at: a revoked token works at most this much
   * longer, and a stat once a second costs nothing next to the requests it guards.
   */
  static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  /** The tokens in force, or, when the file cannot be used, why ({@code tokens} is then null). */
  record State(ApiTokens tokens, String problem) {}

  /** What tells one version of the file from the next: a rename over it changes the file key. */
  private record Stamp(FileTime modified, long size, Object key) {}

  private final Path path;
  private final Clock clock;
  private State state;
  private Stamp stamp;
  private long checkedAtNanos;

  private TokenFile(Path path, Clock clock, ApiTokens tokens, Stamp stamp) {
    this.path = path;
    this.clock = clock;
    this.state = new State(tokens, null);
    this.stamp = stamp;
    this.checkedAtNanos = clock.nanos();
  }

  /**
   * Reads {@code path} for the first time; the gateway does not start when it cannot.
   *
   * @throws IllegalArgumentException on a malformed line ({@code file:line: ...})
   * @throws IOException when it cannot be read
   */
  static TokenFile open(Path path, Clock clock) throws IOException {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(clock, "clock");
    Stamp stamp = stamp(path);
    return new TokenFile(path, clock, ApiTokens.load(path), stamp);
  }

  Path path() {
    return path;
  }

  /**
   * The tokens in force now. Reads the file's attributes when {@link #CHECK_INTERVAL} has passed
   * since they were last read, and the file itself only when they changed (at most
   * {@link ApiTokens#MAX_FILE_BYTES}, a sub-millisecond read).
   */
  synchronized State current() {
    long now = clock.nanos();
    if (now - checkedAtNanos < CHECK_INTERVAL.toNanos()) {
      return state;
    }
    checkedAtNanos = now;
    Stamp seen;
    try {
      seen = stamp(path);
    } catch (NoSuchFileException e) {
      return unusable(null, path + " no longer exists");
    } catch (IOException e) {
      return unusable(null, "cannot read " + path + ": " + e);
    }
    if (seen.equals(stamp)) {
      return state;
    }
    try {
      ApiTokens tokens = ApiTokens.load(path);
      stamp = seen;
      state = new State(tokens, null);
      LOG.info("API tokens re-read from {}: {} token(s)", path, tokens.entries().size());
    } catch (IllegalArgumentException e) {
      return unusable(seen, e.getMessage());
    } catch (IOException e) {
      return unusable(seen, "cannot read " + path + ": " + e);
    }
    return state;
  }

  private State unusable(Stamp seen, String why) {
    boolean news = state.tokens() != null || !why.equals(state.problem());
    stamp = seen;
    state = new State(null, why);
    if (news) {
      LOG.warn("API tokens file unusable, refusing every HTTP request until it is fixed: {}", why);
    }
    return state;
  }

  private static Stamp stamp(Path path) throws IOException {
    BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
    return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
  }
}
