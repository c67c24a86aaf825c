package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.auth.NatsAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --creds}, {@code --ca}, {@code --home} and {@code --insecure}: how a command or a
 * component authenticates to the hub. Without {@code --creds}, the identity home (default
 * {@code ~/.fogwise}, env {@code FW_HOME}) supplies {@code creds/<role>-<id>.creds} and
 * {@code ca.pem}, as {@code fogwise identity issue} writes them.
 */
final class IdentityOptions {
  @Option(names = "--creds", paramLabel = "FILE", defaultValue = "${env:FW_CREDS}",
      description = "NATS credentials file (env FW_CREDS). Default: <home>/creds/<role>-<id>.creds.")
  Path creds;

  @Option(names = "--ca", paramLabel = "FILE", defaultValue = "${env:FW_CA}",
      description = "CA certificate of the hub's TLS (env FW_CA). Default: <home>/ca.pem.")
  Path ca;

  @Option(names = "--home", paramLabel = "DIR", defaultValue = "${env:FW_HOME}",
      description = "Identity home (env FW_HOME). Default: ~/.fogwise.")
  Path home;

  @Option(names = "--insecure",
      description = "Connect without credentials or TLS, to a hub run with --insecure. Anyone on the network "
          + "could then do what this component does.")
  boolean insecure;

  /** The identity home these options name: {@code --home}, {@code FW_HOME} or {@code ~/.fogwise}. */
  Path home() {
    return home != null ? home : defaultHome();
  }

  static Path defaultHome() {
    return Path.of(System.getProperty("user.home"), ".fogwise");
  }

  /**
   * How identity {@code id} of {@code role} connects.
   *
   * @throws CliFailure (exit 2) saying which file is missing and how to get it
   */
  NatsAuth resolve(Role role, String id, String command) throws CliFailure {
    if (insecure) {
      System.err.println("WARNING: " + command + " connects with --insecure: no authentication, no TLS. Only a hub "
          + "run with --insecure accepts this, and there anyone who reaches the port can do anything.");
      return NatsAuth.insecure();
    }
    Path c = credsFile(role, id);
    Path a = ca != null ? ca : home().resolve("ca.pem");
    if (!Files.isRegularFile(c)) {
      throw new CliFailure(2, "no credentials for " + role.label() + " '" + id + "': " + c + " does not exist; issue "
          + "them with 'fogwise identity issue " + role.label() + " " + id
          + (role == Role.DEVICE ? " --gateway <gateway>" : "") + "' (or give --creds FILE)");
    }
    if (!Files.isRegularFile(a)) {
      throw new CliFailure(2, "no CA certificate: " + a + " does not exist; give --ca FILE (the hub's ca.pem)");
    }
    try {
      return NatsAuth.files(c, a);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, e.getMessage());
    }
  }

  /** The credentials file: {@code --creds}, or the home's file for this identity. */
  Path credsFile(Role role, String id) {
    return creds != null ? creds : home().resolve("creds").resolve(role.label() + "-" + id + ".creds");
  }

  /** A gateway's instance key: beside its credentials ({@code X.creds} → {@code X.instance.nk}). */
  Path instanceKeyFile(String gatewayId) {
    Path c = credsFile(Role.GATEWAY, gatewayId);
    String name = c.getFileName().toString();
    String base = name.endsWith(".creds") ? name.substring(0, name.length() - ".creds".length()) : name;
    return c.resolveSibling(base + ".instance.nk");
  }

  /** The operator's default identity ({@value IdentityHome#DEFAULT_OPERATOR}). */
  NatsAuth operator(String command) throws CliFailure {
    return resolve(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, command);
  }
}
