package io.fogwise.rules;

import java.util.Objects;

/** One decision a rule took through {@link Actions}, with the rule that took it. */
public sealed interface Action {

  /** The name of the rule whose right-hand side called the action. */
  String rule();

  /** One line a user understands. */
  String reason();

  /** A device was declared lost. */
  record DeclareLost(String deviceId, double phi, String reason, String rule) implements Action {
    public DeclareLost {
      Objects.requireNonNull(deviceId, "deviceId");
    }
  }

  /** A service was excluded from a device. */
  record Exclude(String service, String deviceId, String reason, String rule) implements Action {
    public Exclude {
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(deviceId, "deviceId");
    }
  }

  /** An alert was raised. */
  record Alert(String reason, String rule) implements Action {}
}
