package io.fogwise.gateway.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Properties;

/**
 * The process around a component: JVM memory, garbage collection, threads and classes; CPU,
 * uptime and open files; and {@code fogwise_build_info} (version and commit, value 1). Close
 * it when the component stops, so the garbage collection listeners are removed.
 */
public final class ProcessMetrics implements AutoCloseable {
  /** Written when the module is packaged; the commit comes from {@code -Dfogwise.commit}, as for {@code --version}. */
  static final String BUILD_RESOURCE = "/io/fogwise/gateway/metrics/build.properties";

  private final JvmGcMetrics gc;

  private ProcessMetrics(JvmGcMetrics gc) {
    this.gc = gc;
  }

  /** Binds the JVM, process and build-info series of {@code component} ({@code gateway}, ...) to {@code registry}. */
  public static ProcessMetrics bind(MeterRegistry registry, String component) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(component, "component");
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    Properties build = build();
    Gauge.builder("fogwise.build.info", () -> 1)
        .description("the Fogwise build this process runs: version and commit (value 1)")
        .tag("component", component)
        .tag("version", build.getProperty("version", "unknown"))
        .tag("commit", build.getProperty("commit", "unknown"))
        .register(registry);
    return new ProcessMetrics(gc);
  }

  /** The version and commit the module was packaged with; "unknown" where the build did not say. */
  static Properties build() {
    Properties p = new Properties();
    try (InputStream in = ProcessMetrics.class.getResourceAsStream(BUILD_RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // no build info: the gauge says "unknown"
    }
    // an unfiltered resource (an IDE build) still holds the placeholders
    p.stringPropertyNames().stream().filter(k -> p.getProperty(k).startsWith("${")).forEach(k -> p.setProperty(k,
        "unknown"));
    return p;
  }

  @Override
  public void close() {
    gc.close();
  }
}
