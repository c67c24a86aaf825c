package io.fogwise.edge;

import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The context of one hosted instance. Its stop signal is a flag plus a condition; a wake-up
 * (after an activation) is a one-shot permit, like {@code LockSupport.unpark}, so one that
 * arrives before the service starts waiting is not lost.
 */
final class InstanceContext implements ServiceContext {
  private final String serviceName;
  private final String kind;
  private final long epoch;
  private final Map<String, String> config;
  private final String deviceId;
  private final String gatewayId;
  private volatile Connection connection;
  private volatile java.nio.file.Path latencyLogDir;
  private final boolean ownsConnection;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private volatile boolean stopping;
  private boolean wakePermit;

  InstanceContext(
      String serviceName,
      String kind,
      long epoch,
      Map<String, String> config,
      String deviceId,
      String gatewayId,
      Connection connection,
      boolean ownsConnection,
      Clock clock) {
    this.serviceName = serviceName;
    this.kind = kind;
    this.epoch = epoch;
    this.config = Map.copyOf(config);
    this.deviceId = deviceId;
    this.gatewayId = gatewayId;
    this.connection = connection;
    this.ownsConnection = ownsConnection;
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
  public String gatewayId() {
    return gatewayId;
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
    return stopping;
  }

  @Override
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (!stopping && !wakePermit && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
      wakePermit = false;
      return stopping;
    } finally {
      lock.unlock();
    }
  }

  /** Like {@link #awaitStop} but not ended by a wake-up, which stays for the service's next wait. */
  boolean awaitStopIgnoringWake(Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (!stopping && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
      return stopping;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public java.util.Optional<java.nio.file.Path> latencyLogDir() {
    return java.util.Optional.ofNullable(latencyLogDir);
  }

  /** Sets where a subscriber writes its per-message lines (before the service is created). */
  InstanceContext latencyLogDir(java.nio.file.Path dir) {
    this.latencyLogDir = dir;
    return this;
  }

  /**
   * A hub move: from now on {@link #connection()} is {@code next}; returns the connection used
   * until now, which the caller closes once the service no longer uses it.
   */
  Connection useConnection(Connection next) {
    Connection old = connection;
    connection = next;
    return old;
  }

  /** Whether the instance has a connection of its own (its own credentials), closed when it stops. */
  boolean ownsConnection() {
    return ownsConnection;
  }

  /** Closes the instance's own connection, if it has one; the agent's shared one stays. */
  void closeOwnConnection() {
    if (ownsConnection) {
      try {
        connection.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void requestStop() {
    lock.lock();
    try {
      stopping = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Ends the current or the next {@link #awaitStop} early. */
  void wake() {
    lock.lock();
    try {
      wakePermit = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "service '" + serviceName + "' (" + kind + ") epoch " + epoch + " on device " + deviceId;
  }
}
