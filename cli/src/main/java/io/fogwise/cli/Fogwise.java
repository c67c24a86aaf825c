package io.fogwise.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fogwise} command. */
@Command(
    name = "fogwise",
    mixinStandardHelpOptions = true,
    version = "fogwise 0.1.0",
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
      RulesCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Fogwise implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Fogwise());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("fogwise " + cmd.getCommandName() + ": " + ex.getMessage());
      return 1;
    });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
