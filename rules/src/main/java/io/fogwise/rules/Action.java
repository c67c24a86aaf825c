package io.fogwise.rules;

import io.fogwise.protocol.Layer;
import java.util.Objects;

/** One decision a rule took through {@link Actions}, with the rule that took it. */
public sealed interface Action {
  /**
   * Calls {@code h}'s method for this action's type. Handlers implement one method per type, so
   * a new action type is a compile error in every handler until it is handled (an exhaustive
   * switch, in Java 17 terms).
   */
  void accept(Handler h);

  /** One method per action type. */
  interface Handler {
    void declareLost(DeclareLost a);

    void exclude(Exclude a);

    void quarantine(Quarantine a);

    void release(Release a);

    void migrate(Migrate a);

    void setReplicas(SetReplicas a);

    void restart(Restart a);

    void setParameter(SetParameter a);

    void alert(Alert a);
  }

  /** The name of the rule whose right-hand side called the action. */
  String rule();

  /** One line a user understands. */
  String reason();

  /** What the action is about: a device id, a service name or a parameter key. */
  String subject();

  /** A device was declared lost. */
  record DeclareLost(String deviceId, double phi, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.declareLost(this);
    }

    public DeclareLost {
      Objects.requireNonNull(deviceId, "deviceId");
    }

    @Override
    public String subject() {
      return deviceId;
    }
  }

  /** A service was excluded from a device. */
  record Exclude(String service, String deviceId, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.exclude(this);
    }

    public Exclude {
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(deviceId, "deviceId");
    }

    @Override
    public String subject() {
      return service + "@" + deviceId;
    }
  }

  /** A device was quarantined. */
  record Quarantine(String deviceId, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.quarantine(this);
    }

    public Quarantine {
      Objects.requireNonNull(deviceId, "deviceId");
    }

    @Override
    public String subject() {
      return deviceId;
    }
  }

  /** A quarantine was ended. */
  record Release(String deviceId, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.release(this);
    }

    public Release {
      Objects.requireNonNull(deviceId, "deviceId");
    }

    @Override
    public String subject() {
      return deviceId;
    }
  }

  /** A service is to move to a layer or a device (exactly one of them is set). */
  record Migrate(String service, Layer layer, String deviceId, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.migrate(this);
    }

    public Migrate {
      Objects.requireNonNull(service, "service");
      if ((layer == null) == (deviceId == null)) {
        throw new IllegalArgumentException("migrate needs exactly one of a layer or a device");
      }
    }

    @Override
    public String subject() {
      return service;
    }
  }

  /** A service's replica count was set. */
  record SetReplicas(String service, int replicas, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.setReplicas(this);
    }

    public SetReplicas {
      Objects.requireNonNull(service, "service");
      if (replicas < 0 || replicas > 100) {
        throw new IllegalArgumentException("replicas must be within [0, 100], got " + replicas);
      }
    }

    @Override
    public String subject() {
      return service;
    }
  }

  /** An instance is to be replaced. */
  record Restart(String service, String deviceId, long epoch, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.restart(this);
    }

    public Restart {
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(deviceId, "deviceId");
    }

    @Override
    public String subject() {
      return service + "@" + deviceId;
    }
  }

  /** A parameter was set. */
  record SetParameter(String key, String value, String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.setParameter(this);
    }

    public SetParameter {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }

    @Override
    public String subject() {
      return key;
    }
  }

  /** An alert was raised. */
  record Alert(String reason, String rule) implements Action {
    @Override
    public void accept(Handler h) {
      h.alert(this);
    }

    @Override
    public String subject() {
      return "";
    }
  }
}
