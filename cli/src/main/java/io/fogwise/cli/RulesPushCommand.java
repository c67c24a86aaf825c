package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.policy.PolicyBundle;
import io.fogwise.policy.PolicyBundles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fogwise rules push}: signs rule files as the next version of a scope, publishes it to
 * the policy bucket and waits for each online gateway's outcome.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = {"Sign FILEs (.drl files, or directories of them) and parameters as the next version of a scope,",
        "make it live in the policy bucket and wait for each online gateway of that scope to apply it.",
        "Prints GATEWAY, VERSION, STATE, MS (publish to outcome), FIRST ERROR.",
        "Exit codes: 0 applied by every online gateway (or none online), 1 rejected or rolled back by one,",
        "2 bad input (nothing published), 3 a gateway did not answer within --timeout, or NATS unreachable."})
final class RulesPushCommand extends PolicyCommands.Base {
  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Rule files or directories of .drl files.")
  List<Path> files;

  @Option(names = "--scope", required = true, paramLabel = "SCOPE",
      description = "'global' (every gateway) or 'gw.<gatewayId>' (one gateway, on top of global).")
  String scope;

  @Option(names = "--param", paramLabel = "NAME=VALUE",
      description = "A parameter; its type (number, boolean, string) is inferred from the value. Repeatable.")
  List<String> params = new ArrayList<>();

  @Option(names = "--key", required = true, paramLabel = "NAME.key",
      description = "Private key from 'fogwise rules keygen'; NAME.pub must be beside it.")
  Path key;

  @Option(names = "--author", paramLabel = "NAME", description = "Recorded in the bundle. Default: the user name.")
  String author;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      converter = PolicyCommands.DurationConverter.class,
      description = "How long to wait for the gateways' outcomes (10s, 500ms, 2m). Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--no-precompile",
      description = {"Publish the rule files only: every gateway compiles them itself. By default the push compiles",
          "each effective rule set it makes live once, refuses rules that do not compile, and stores signed",
          "compiled artifacts that gateways load instead of compiling."})
  boolean noPrecompile;

  @Override
  int execute(PrintWriter out, PrintWriter err) throws CliFailure {
    String s = PolicyCommands.scope(scope);
    Map<String, PolicyBundle.Param> parameters = PolicyCommands.params(params);
    List<PolicyBundle.RuleFile> sources = PolicyCommands.ruleFiles(files);
    PolicyBundles.SigningKey signingKey = PolicyCommands.signingKey(key);
    String by = author == null || author.isBlank() ? PolicyCommands.user() : author;
    return withNats(nats -> PolicyAcks.pushNewVersion(nats, s, by, sources, parameters, signingKey, !noPrecompile,
        timeout, out, err));
  }
}
