package io.fogwise.edge;

import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The context of one hosted instance; its stop signal is a latch. */
final class InstanceContext implements ServiceContext {
  private final String serviceName;
  private final String kind;
  private final long epoch;
  private final Map<String, String> config;
  private final String deviceId;
  private final Connection connection;
  private final Clock clock;
  private final CountDownLatch stop = new CountDownLatch(1);

  InstanceContext(
      String serviceName,
      String kind,
      long epoch,
      Map<String, String> config,
      String deviceId,
      Connection connection,
      Clock clock) {
    this.serviceName = serviceName;
    this.kind = kind;
    this.epoch = epoch;
    this.config = Map.copyOf(config);
    this.deviceId = deviceId;
    this.connection = connection;
    this.clock = clock;
  }

  @Override
  public String serviceName() {
    return serviceName;
  }

  @Override
  public String kind() {
    return kind;
  }

  @Override
  public long epoch() {
    return epoch;
  }

  @Override
  public Map<String, String> config() {
    return config;
  }

  @Override
  public String deviceId() {
    return deviceId;
  }

  @Override
  public Connection connection() {
    return connection;
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public boolean isStopping() {
    return stop.getCount() == 0;
  }

  @Override
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    return stop.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  void requestStop() {
    stop.countDown();
  }

  @Override
  public String toString() {
    return "service '" + serviceName + "' (" + kind + ") epoch " + epoch + " on device " + deviceId;
  }
}
