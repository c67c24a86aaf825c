package io.fogwise.cli;

import io.fogwise.gateway.cache.CloudCache;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fogwise gateway}'s options for its cache of cloud data: how much it holds, how long a
 * copy is fresh and when it is refreshed ahead. The rest keep their
 * {@link CloudCache.Settings} defaults.
 */
final class CacheOptions {
  @Spec(Spec.Target.MIXEE) CommandSpec mixee;

  @Option(names = "--cache-max-bytes", paramLabel = "BYTES", defaultValue = "" + CloudCache.Settings.DEFAULT_MAX_BYTES,
      description = "Bytes of cached cloud data (values plus key lengths) before the least valuable are evicted."
          + " Default: ${DEFAULT-VALUE}.")
  long maxBytes;

  @Option(names = "--cache-fresh-for", paramLabel = "DURATION", converter = PolicyCommands.DurationConverter.class,
      description = "How long a cached copy is fresh; after that a read asks the cloud first. Default: 5m.")
  Duration freshFor;

  @Option(names = "--cache-refresh-after", paramLabel = "DURATION", converter = PolicyCommands.DurationConverter.class,
      description = "A copy read this long after it was loaded is refreshed in the background. Default: 30s.")
  Duration refreshAfter;

  /** The settings, or a usage error that names the option. */
  CloudCache.Settings settings() {
    CloudCache.Settings.Builder b = CloudCache.Settings.builder();
    try {
      b.maxBytes(maxBytes);
      if (freshFor != null) {
        b.expireAfterWrite(freshFor);
      }
      if (refreshAfter != null) {
        b.refreshAfterWrite(refreshAfter);
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), "fogwise gateway: " + e.getMessage()
          + " (--cache-max-bytes, --cache-fresh-for, --cache-refresh-after)");
    }
  }
}
