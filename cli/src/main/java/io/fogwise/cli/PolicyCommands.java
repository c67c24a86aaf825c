package io.fogwise.cli;

import io.fogwise.protocol.Subjects;
import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import io.fogwise.policy.PolicyRejected;
import io.fogwise.policy.TrustedKeys;
import io.fogwise.protocol.NatsOptions;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What the policy subcommands of {@code fogwise rules} share: NATS, keys, rule files, tables. */
final class PolicyCommands {
  private PolicyCommands() {}

  /** {@code --nats}. */
  static final class NatsOption {
    @Option(names = "--nats", paramLabel = "URL", defaultValue = "${env:FW_NATS_URL:-nats://127.0.0.1:4222}",
        description = "NATS URL (env FW_NATS_URL). Default: ${DEFAULT-VALUE}.")
    String nats;

    @picocli.CommandLine.Mixin IdentityOptions identity;

    /** Connects once as the operator, without reconnecting: a CLI call either reaches NATS now or says it cannot. */
    Connection connect() throws CliFailure {
      Options options;
      var auth = identity.operator("fogwise");
      try {
        options = NatsOptions.oneShot(nats, Duration.ofSeconds(5), auth)
            .build();
      } catch (IllegalArgumentException e) {
        throw new CliFailure(2, "not a valid NATS URL: '" + nats + "' (" + e.getMessage() + ")");
      }
      try {
        return Nats.connect(options);
      } catch (IOException e) {
        throw new CliFailure(3, "cannot reach NATS at " + nats + " (" + e.getMessage()
            + "); is the hub running (fogwise hub)? set --nats or FW_NATS_URL");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliFailure(3, "interrupted while connecting to NATS at " + nats);
      }
    }
  }

  /**
   * Runs a subcommand that talks to NATS once and turns a {@link CliFailure} into one line
   * ({@code fogwise <command> <subcommand>: why}) and its exit code; NATS trouble that escapes
   * as an unchecked I/O error is exit 3. Shared by {@code fogwise rules} and {@code fogwise cloud data}.
   */
  abstract static class Base implements Callable<Integer> {
    @Mixin NatsOption natsOption;
    @Spec CommandSpec spec;

    @Override
    public final Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        return execute(out, err);
      } catch (CliFailure f) {
        err.println(spec.qualifiedName() + ": " + f.getMessage());
        return f.exitCode();
      } catch (UncheckedIOException e) {
        err.println(spec.qualifiedName() + ": " + e.getMessage());
        return 3;
      } finally {
        out.flush();
        err.flush();
      }
    }

    /** Does the work; returns the exit code. */
    abstract int execute(PrintWriter out, PrintWriter err) throws CliFailure;

    /** Runs {@code body} with a connection, closed afterwards. */
    <T> T withNats(NatsBody<T> body) throws CliFailure {
      Connection c = natsOption.connect();
      try {
        return body.run(c);
      } finally {
        try {
          c.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Work done with a NATS connection. */
  interface NatsBody<T> {
    T run(Connection nats) throws CliFailure;
  }

  /** Checks a {@code --scope} value. */
  static String scope(String scope) throws CliFailure {
    if (!PolicyBundle.isScope(scope)) {
      throw new CliFailure(2, "--scope must be 'global' or 'gw.<gatewayId>' (letters, digits, '-', '_'), got '"
          + scope + "'");
    }
    return scope;
  }

  /** The gateway a scope belongs to, or null for {@code global}. */
  static String gatewayOf(String scope) {
    return scope.startsWith("gw.") ? scope.substring(3) : null;
  }

  private static final Pattern PARAM = Pattern.compile("([A-Za-z_][A-Za-z0-9_.-]{0,63})=(.*)", Pattern.DOTALL);

  /** {@code k=v} pairs as typed parameters (number, boolean or string, inferred). */
  static Map<String, PolicyBundle.Param> params(List<String> pairs) throws CliFailure {
    Map<String, PolicyBundle.Param> m = new TreeMap<>();
    for (String pair : pairs) {
      Matcher matcher = PARAM.matcher(pair);
      if (!matcher.matches()) {
        throw new CliFailure(2, "--param must be NAME=VALUE with NAME a letter or '_' followed by letters, digits, '_',"
            + " '.', '-', got '" + pair + "'");
      }
      if (m.put(matcher.group(1), PolicyBundle.Param.infer(matcher.group(2))) != null) {
        throw new CliFailure(2, "--param " + matcher.group(1) + " is given twice");
      }
    }
    return m;
  }

  /** Reads {@code .drl} files (or directories of them) as bundle sources, by file name. */
  static List<PolicyBundle.RuleFile> ruleFiles(List<Path> paths) throws CliFailure {
    Map<String, Path> given = new LinkedHashMap<>();
    List<PolicyBundle.RuleFile> files = new ArrayList<>();
    for (Path p : paths) {
      List<Path> drls;
      try {
        drls = RulesCommand.Check.expand(p);
      } catch (IOException e) {
        throw new CliFailure(2, "cannot read " + p + ": " + e.getMessage());
      }
      if (drls.isEmpty()) {
        throw new CliFailure(2, p + (Files.isDirectory(p) ? " holds no .drl files" : " is not a .drl file"));
      }
      for (Path f : drls) {
        String name = f.getFileName().toString();
        Path other = given.putIfAbsent(name, f);
        if (other != null) {
          throw new CliFailure(2, f + " and " + other + " have the same name; a bundle needs distinct file names");
        }
        try {
          files.add(new PolicyBundle.RuleFile(name, Files.readString(f, StandardCharsets.UTF_8)));
        } catch (IOException e) {
          throw new CliFailure(2, "cannot read " + f + ": " + e.getMessage());
        }
      }
    }
    return files;
  }

  /**
   * The signing key in {@code keyFile} ({@code NAME.key}), with its id computed from
   * {@code NAME.pub} beside it; the two are checked to be a pair.
   */
  static PolicyBundles.SigningKey signingKey(Path keyFile) throws CliFailure {
    String name = keyFile.getFileName() == null ? "" : keyFile.getFileName().toString();
    if (!name.endsWith(".key")) {
      throw new CliFailure(2, "--key must name a private key file NAME.key written by 'fogwise rules keygen', got "
          + keyFile);
    }
    Path pubFile = keyFile.resolveSibling(name.substring(0, name.length() - 4) + ".pub");
    PublicKey pub;
    try {
      pub = PolicyBundles.decodePublic(Files.readString(pubFile, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CliFailure(2, "cannot read the public key " + pubFile + " that must sit beside " + keyFile + ": "
          + e.getMessage());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new CliFailure(2, pubFile + " is not an Ed25519 public key written by 'fogwise rules keygen'");
    }
    PolicyBundles.SigningKey key;
    try {
      key = PolicyBundles.decodePrivate(Files.readString(keyFile, StandardCharsets.UTF_8), pub);
    } catch (IOException e) {
      throw new CliFailure(2, "cannot read the private key " + keyFile + ": " + e.getMessage());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new CliFailure(2, keyFile + " is not an Ed25519 private key written by 'fogwise rules keygen'");
    }
    // A key that does not match its .pub would sign bundles every gateway refuses: say so now.
    PolicyBundle probe = PolicyBundles.sign(Subjects.GLOBAL_SCOPE, 1, "probe", 0, List.of(), Map.of(), key);
    try {
      PolicyBundles.verify(probe, TrustedKeys.of(pub), Subjects.GLOBAL_SCOPE, 1);
    } catch (PolicyRejected e) {
      throw new CliFailure(2, keyFile + " and " + pubFile + " are not a key pair");
    }
    return key;
  }

  /** The user running the command, for authorship. */
  static String user() {
    String u = System.getProperty("user.name");
    return u == null || u.isBlank() ? "unknown" : u;
  }

  /**
   * The one duration syntax of every option that takes a time: {@code 10s}, {@code 500ms},
   * {@code 0.8ms}, {@code 2m}, {@code 1h} or a plain number of seconds; more than zero, up to 1 h.
   */
  static class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern D = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");
    private final Duration max;
    private final boolean zeroAllowed;

    DurationConverter() {
      this(Duration.ofHours(1));
    }

    DurationConverter(Duration max) {
      this(max, false);
    }

    DurationConverter(Duration max, boolean zeroAllowed) {
      this.max = max;
      this.zeroAllowed = zeroAllowed;
    }

    @Override
    public Duration convert(String value) {
      Matcher m = D.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a duration like 10s, 500ms, 2m or 1h");
      }
      double n = Double.parseDouble(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      double millis = switch (unit) {
        case "ms" -> n;
        case "m" -> n * 60_000;
        case "h" -> n * 3_600_000;
        default -> n * 1000;
      };
      long nanos = Math.round(millis * 1_000_000);
      if ((zeroAllowed ? nanos < 0 : millis < 1) || millis > max.toMillis()) {
        throw new picocli.CommandLine.TypeConversionException("'" + value + "' must be within " + (zeroAllowed ? "[" : "(")
            + "0, " + (max.toHours() > 0 ? max.toHours() + " h" : max.toMillis() >= 1000 ? max.toSeconds() + " s"
            : max.toMillis() + " ms") + "]");
      }
      return Duration.ofNanos(nanos);
    }
  }

  /** As {@link DurationConverter}, from 0 to 10 s with sub-millisecond precision: an emulated link's delay. */
  static final class DelayConverter extends DurationConverter {
    DelayConverter() {
      super(Duration.ofSeconds(10), true);
    }
  }

  /** As {@link DurationConverter}, up to 7 days: how long a cached copy may be served stale can be long. */
  static final class LongDurationConverter extends DurationConverter {
    LongDurationConverter() {
      super(Duration.ofDays(7));
    }
  }

  /** Left-aligned columns separated by two spaces, header first. */
  static String table(List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(String.format("%-" + width[i] + "s", row[i]));
        if (i < row.length - 1) {
          line.append("  ");
        }
      }
      sb.append(line.toString().stripTrailing()).append(System.lineSeparator());
    }
    return sb.toString();
  }
}
