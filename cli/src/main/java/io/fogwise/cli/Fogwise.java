package io.fogwise.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Properties;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code fogwise} command. */
@Command(
    name = "fogwise",
    mixinStandardHelpOptions = true,
    versionProvider = Fogwise.BuildInfo.class,
    description = "Self-adapting IoT gateways: fog gateways, edge agents, cloud policy.",
    subcommands = {
      DemoCommand.class,
      HubCommand.class,
      IdentityCommand.class,
      GatewayCommand.class,
      CloudCommand.class,
      EdgeCommand.class,
      InstanceCommand.class,
      TestCommand.class,
      BenchCommand.class,
      ServiceCommand.class,
      GetCommand.class,
      DescribeCommand.class,
      EventsCommand.class,
      StatusCommand.class,
      RulesCommand.class,
      Fogwise.Completion.class,
      CommandLine.HelpCommand.class
    })
public final class Fogwise implements Runnable {
  /** The environment variable {@code --log-level} may also come from. */
  static final String ENV_LOG_LEVEL = "FW_LOG_LEVEL";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--log-level", paramLabel = "LEVEL", scope = ScopeType.INHERIT,
      description = "Log level of a component: error, warn, info (default), debug or trace (env FW_LOG_LEVEL).")
  void logLevel(String level) {
    if (logLevel(new String[] {"--log-level", level}, null) == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--log-level must be error, warn, info, debug or trace, got '" + level + "'");
    }
  }

  public static void main(String[] args) {
    String level = logLevel(args, System.getenv(ENV_LOG_LEVEL));
    if (level != null) {
      // before the first logger exists: SLF4J's simple logger reads its level once
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    }
    System.exit(commandLine().execute(args));
  }

  /** The log level asked for on the command line ({@code --log-level X} wins) or in the environment, or null. */
  static String logLevel(String[] args, String env) {
    String level = env == null || env.isBlank() ? null : env.trim();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--log-level") && i + 1 < args.length) {
        level = args[i + 1];
      } else if (args[i].startsWith("--log-level=")) {
        level = args[i].substring("--log-level=".length());
      } else if (args[i].equals("--")) {
        break;
      }
    }
    if (level == null) {
      return null;
    }
    String l = level.toLowerCase(Locale.ROOT);
    return switch (l) {
      case "error", "warn", "info", "debug", "trace", "off" -> l;
      default -> null; // the option's own check says what is wrong
    };
  }

  /** The configured command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Fogwise());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
      return 1;
    });
    cl.setParameterExceptionHandler(Fogwise::usageError);
    Summaries.install(cl);
    return cl;
  }

  /**
   * A usage error in one line and where help is (and picocli's "did you mean" suggestions), not
   * the whole usage: the mistake stays on the screen.
   */
  static int usageError(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    String message = ex.getMessage() == null ? "invalid arguments" : ex.getMessage().strip();
    err.println(name + ": " + message + " (see '" + name + " --help')");
    CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
    err.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code fogwise --version}: the version and the commit the jar was built from. */
  static final class BuildInfo implements CommandLine.IVersionProvider {
    /** Written when the jar is packaged (see the cli module's pom). */
    static final String RESOURCE = "/fogwise-build.properties";

    @Override
    public String[] getVersion() {
      Properties p = read();
      return new String[] {"fogwise " + p.getProperty("version", "0.1.0-SNAPSHOT") + " (commit "
          + p.getProperty("commit", "unknown") + ", built " + p.getProperty("built", "unknown") + ")",
          "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
    }

    static Properties read() {
      Properties p = new Properties();
      try (InputStream in = Fogwise.class.getResourceAsStream(RESOURCE)) {
        if (in != null) {
          p.load(in);
        }
      } catch (java.io.IOException e) {
        // no build info: the version says "unknown"
      }
      return p;
    }
  }

  /** {@code fogwise completion}: a bash/zsh completion script for every command and option. */
  @Command(name = "completion", mixinStandardHelpOptions = true,
      description = {"Print a bash/zsh completion script for fogwise.",
          "Use: source <(fogwise completion)   (or save it to /etc/bash_completion.d/fogwise)."})
  static final class Completion implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      CommandLine root = spec.root().commandLine();
      String script = AutoComplete.bash(root.getCommandName(), root);
      PrintWriter out = spec.commandLine().getOut();
      out.print(script);
      out.flush();
    }
  }
}
