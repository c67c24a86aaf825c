package io.fogwise.cli;

import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fogwise identity}: the operator's enrolment, rotation and revocation of identities. */
@Command(name = "identity", mixinStandardHelpOptions = true,
    description = {"Manage identities: who may connect to the hub, and what each may do there.",
        "Everything lives in the identity home (--home, env FW_HOME, default ~/.fogwise); the hub serves it."},
    subcommands = {IdentityCommand.Init.class, IdentityCommand.Issue.class, IdentityCommand.ExportSite.class,
        IdentityCommand.Revoke.class,
        IdentityCommand.ListIdentities.class, IdentityCommand.Token.class, IdentityCommand.Cert.class})
final class IdentityCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code --home} and {@code --nats}, and the one-line failure of every subcommand. */
  abstract static class Base implements Callable<Integer> {
    @Option(names = "--home", paramLabel = "DIR", defaultValue = "${env:FW_HOME}",
        description = "Identity home (env FW_HOME). Default: ~/.fogwise.")
    Path home;

    @Option(names = "--nats", paramLabel = "URL", defaultValue = "${env:FW_NATS_URL:-nats://127.0.0.1:4222}",
        description = "The hub to push account changes to (env FW_NATS_URL). Default: ${DEFAULT-VALUE}.")
    String nats;

    @Spec CommandSpec spec;

    Path home() {
      return home != null ? home : IdentityOptions.defaultHome();
    }

    @Override
    public final Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        return execute(out, err);
      } catch (IllegalArgumentException | IllegalStateException e) {
        err.println(spec.qualifiedName() + ": " + e.getMessage());
        return 2;
      } finally {
        out.flush();
        err.flush();
      }
    }

    abstract int execute(PrintWriter out, PrintWriter err);

    /** Pushes the account to the hub; a hub that cannot be reached gets it when it next starts. */
    void push(IdentityHome h, PrintWriter out, PrintWriter err) {
      try {
        long t0 = System.nanoTime();
        String answer = h.pushAccount(nats);
        out.printf("hub %s: %s (%d ms)%n", nats, answer, (System.nanoTime() - t0) / 1_000_000);
      } catch (IllegalStateException | IllegalArgumentException e) {
        err.println("WARNING: account change not pushed: " + e.getMessage());
      }
    }
  }

  /**
   * Creates the gateway's buckets as the operator (a gateway may not create streams); a hub that
   * cannot be reached creates them when it next starts.
   */
  static void provision(IdentityHome h, String gatewayId, PrintWriter out, PrintWriter err, String nats) {
    try (io.nats.client.Connection c = io.nats.client.Nats.connect(io.fogwise.protocol.NatsOptions
        .oneShot(nats, IdentityHome.PUSH_TIMEOUT, h.operatorAuth()).build())) {
      io.fogwise.protocol.Buckets.ensureAll(c, io.fogwise.protocol.Buckets.ofGateway(gatewayId));
      io.fogwise.protocol.HistoryStreams.ensureCloud(c.jetStreamManagement(), java.util.List.of(gatewayId));
      out.println("  buckets " + io.fogwise.protocol.Subjects.desiredBucket(gatewayId) + ", "
          + io.fogwise.protocol.Subjects.cacheBucket(gatewayId) + " ready on the hub");
    } catch (java.io.IOException e) {
      err.println("WARNING: the gateway's buckets were not created now (" + e.getMessage()
          + "); the hub creates them when it next starts");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create the identity home: operator, accounts, CA, the hub's certificate and the operator 'admin'.")
  static final class Init extends Base {
    @Override
    int execute(PrintWriter out, PrintWriter err) {
      if (IdentityHome.exists(home())) {
        out.println("identity home " + home() + " already exists; nothing changed");
        return 0;
      }
      IdentityHome h = IdentityHome.init(home());
      out.println("created identity home " + h.dir());
      out.println("  CA certificate: " + h.caFile() + "  (give it to every component: --ca)");
      out.println("  operator credentials: " + h.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR));
      out.println("start the hub with: fogwise hub --home " + h.dir());
      return 0;
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = {"Issue credentials for ROLE (device, gateway, cloud, operator, miner) named ID; issuing again rotates",
          "(the new key works at once, the old one until 'identity revoke --keep-newest').",
          "A gateway also gets its scoped key for its instances' credentials, which is pushed to the hub."})
  static final class Issue extends Base {
    @Parameters(index = "0", paramLabel = "ROLE", description = "device, gateway, cloud, operator or miner (a gateway's"
        + " leaf-node link, role leaf, is issued with the gateway).")
    String role;

    @Parameters(index = "1", paramLabel = "ID", description = "The device, gateway, service or operator id.")
    String id;

    @Option(names = "--gateway", paramLabel = "ID", description = "The device's gateway (devices only).")
    String gateway;

    @Option(names = "--mqtt", description = "A sensor that connects over MQTT (devices only): writes its password, a "
        + "bearer-token JWT allowing its own heartbeat and telemetry only, instead of credentials for an agent.")
    boolean mqtt;

    @Override
    int execute(PrintWriter out, PrintWriter err) {
      Role r = Role.parse(role);
      if (r == Role.DEVICE && gateway == null) {
        throw new IllegalArgumentException("a device belongs to a gateway: add --gateway <id>");
      }
      if (mqtt && r != Role.DEVICE) {
        throw new IllegalArgumentException("--mqtt applies to devices only");
      }
      IdentityHome h = IdentityHome.openOrInit(home());
      if (mqtt) {
        Path password = h.issueMqtt(id, gateway);
        out.println("issued MQTT device " + id + " of gateway " + gateway + ": " + password);
        out.println("  connect to the hub's --mqtt-port over TLS (CA " + h.caFile() + ") with any user name and the"
            + " contents of that file as password; publish on fw/hb/" + gateway + "/" + id + " and fw/tm/" + gateway
            + "/" + id);
        return 0;
      }
      Path file = h.issue(r, id, gateway);
      out.println("issued " + r.label() + " " + id + (gateway != null ? " of gateway " + gateway : "") + ": " + file);
      if (r == Role.GATEWAY) {
        out.println("  instance signing key: " + h.instanceKeyFile(id));
        out.println("  its site's leaf-node link ('fogwise gateway --leaf'): " + h.credsFile(Role.LEAF, id));
        push(h, out, err);
        provision(h, id, out, err, nats);
      }
      out.println("  run it with: --creds " + file + " --ca " + h.caFile());
      return 0;
    }
  }

  @Command(name = "export-site", mixinStandardHelpOptions = true,
      description = {"Write what the site of gateway GATEWAY needs to a new directory: the operator's and accounts'",
          "JWTs, the CA certificate, a certificate for the site's NATS, and the credentials of the gateway (with its",
          "instance key), its leaf links and its devices; no private key of the operator, the accounts or the CA.",
          "Copy it to the site host and run 'fogwise gateway --id GATEWAY --leaf HUB:7422 --home DIR' there."})
  static final class ExportSite extends Base {
    @Parameters(index = "0", paramLabel = "GATEWAY")
    String gateway;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "A new (or empty) directory.")
    Path out;

    @Option(names = "--host", paramLabel = "NAME",
        description = "A name or address devices reach the site's NATS at, for its certificate (repeatable).")
    List<String> hosts = new ArrayList<>();

    @Override
    int execute(PrintWriter out, PrintWriter err) {
      IdentityHome h = IdentityHome.open(home());
      List<Path> files = h.exportSite(gateway, this.out, hosts);
      out.println("site " + gateway + " exported to " + this.out + " (" + files.size() + " files, no fleet keys)");
      out.println("  on the site host: fogwise gateway --id " + gateway + " --leaf <hub>:7422 --home " + this.out);
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = {"Revoke every key of ROLE ID and push the change: the hub closes its connections at once.",
          "With --keep-newest, all but the newest (to finish a rotation)."})
  static final class Revoke extends Base {
    @Parameters(index = "0", paramLabel = "ROLE")
    String role;

    @Parameters(index = "1", paramLabel = "ID")
    String id;

    @Option(names = "--keep-newest", description = "Keep the newest key (finish a rotation).")
    boolean keepNewest;

    @Override
    int execute(PrintWriter out, PrintWriter err) {
      IdentityHome h = IdentityHome.open(home());
      int n = h.revoke(Role.parse(role), id, keepNewest);
      out.println("revoked " + n + " key(s) of " + Role.parse(role).label() + " " + id);
      push(h, out, err);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List every identity issued, revoked ones too.")
  static final class ListIdentities extends Base {
    @Override
    int execute(PrintWriter out, PrintWriter err) {
      IdentityHome h = IdentityHome.open(home());
      out.printf("%-9s %-20s %-12s %-22s %-22s %s%n", "ROLE", "ID", "GATEWAY", "ISSUED", "REVOKED", "KEY");
      for (IdentityHome.Entry e : h.list()) {
        out.printf("%-9s %-20s %-12s %-22s %-22s %s%n", e.role(), e.id(), e.gateway() == null ? "-" : e.gateway(),
            Instant.ofEpochSecond(e.issuedAt()), e.revoked() ? Instant.ofEpochSecond(e.revokedAt()).toString() : "-",
            e.publicKey());
      }
      return 0;
    }
  }

  @Command(name = "token", mixinStandardHelpOptions = true,
      description = {"Manage the HTTP API's bearer tokens (the file a gateway reads with --api-tokens).",
          "  token create NAME --role read|operator   prints the token once; only its SHA-256 is stored",
          "  token revoke NAME                        gateways stop accepting it within a second",
          "  token list"})
  static final class Token extends Base {
    @Parameters(index = "0", paramLabel = "ACTION", description = "create, revoke or list.")
    String action;

    @Parameters(index = "1", paramLabel = "NAME", arity = "0..1", description = "Who the token is for.")
    String name;

    @Option(names = "--role", paramLabel = "ROLE", defaultValue = "read",
        description = "read (GET only, /metrics included) or operator (everything). Default: ${DEFAULT-VALUE}.")
    String role;

    @Option(names = "--file", paramLabel = "FILE", description = "The tokens file. Default: <home>/api-tokens.")
    Path file;

    @Override
    int execute(PrintWriter out, PrintWriter err) {
      Path f = file != null ? file : home().resolve("api-tokens");
      try {
        switch (action) {
          case "create" -> {
            require(name);
            var r = io.fogwise.gateway.http.ApiTokens.Role.of(role).orElseThrow(() ->
                new IllegalArgumentException("--role must be read or operator, got '" + role + "'"));
            String token = io.fogwise.gateway.http.ApiTokens.newToken();
            java.nio.file.Files.createDirectories(f.toAbsolutePath().getParent());
            io.fogwise.gateway.http.ApiTokens.add(f, io.fogwise.gateway.http.ApiTokens.Entry.of(name, r, token));
            out.println(token);
            err.println("token '" + name + "' (" + r.tag() + ") added to " + f + "; it is shown only now. "
                + "Use it as: Authorization: Bearer <token>");
          }
          case "revoke" -> {
            require(name);
            if (!io.fogwise.gateway.http.ApiTokens.remove(f, name)) {
              throw new IllegalArgumentException("no token named '" + name + "' in " + f);
            }
            out.println("revoked token '" + name + "' in " + f);
          }
          case "list" -> {
            out.printf("%-24s %-9s %s%n", "NAME", "ROLE", "SHA-256");
            for (var e : io.fogwise.gateway.http.ApiTokens.load(f).entries()) {
              out.printf("%-24s %-9s %s%n", e.name(), e.role().tag(), e.sha256());
            }
          }
          default -> throw new IllegalArgumentException("ACTION must be create, revoke or list, got '" + action + "'");
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot use the tokens file " + f + ": " + e.getMessage(), e);
      }
      return 0;
    }

    private static void require(String name) {
      if (name == null) {
        throw new IllegalArgumentException("give the token's NAME");
      }
    }
  }

  @Command(name = "cert", mixinStandardHelpOptions = true,
      description = {"Issue a TLS certificate from the home's CA, e.g. for a gateway's HTTP API bound beyond",
          "loopback (--http-tls-cert/--http-tls-key). Writes <home>/certs/NAME.pem and NAME-key.pem."})
  static final class Cert extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--host", paramLabel = "NAME|IP", required = true,
        description = "A DNS name or IP address the certificate is valid for (repeatable).")
    java.util.List<String> hosts;

    @Override
    int execute(PrintWriter out, PrintWriter err) {
      IdentityHome h = IdentityHome.open(home());
      try {
        Path dir = java.nio.file.Files.createDirectories(h.dir().resolve("certs"));
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + "-key.pem");
        io.fogwise.identity.CertificateAuthority.load(h.caFile(), h.dir().resolve("keys/ca-key.pem"))
            .issue(name, hosts, cert, key);
        out.println("certificate " + cert + " and key " + key + " for " + String.join(", ", hosts)
            + " (clients trust " + h.caFile() + ")");
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot write the certificate: " + e.getMessage(), e);
      }
      return 0;
    }
  }
}
