package io.fogwise.rules.model;

/** What the gateway believes about a device. */
public enum DeviceState {
  /** Heartbeats arrive as expected. */
  ALIVE,
  /** A rule declared it lost; its instances are not trusted until it returns. */
  LOST
}
