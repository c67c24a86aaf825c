package io.fogwise.cli;

import io.fogwise.testsupport.NatsServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "hub", mixinStandardHelpOptions = true,
    description = "Run the messaging hub: nats-server with JetStream, until Ctrl-C.")
final class HubCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "4222", description = "Client port (0 = a free one). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--store", description = "JetStream store directory (default: a temporary one).")
  Path store;

  @Override
  public Integer call() throws Exception {
    NatsServer hub = NatsServer.start(port, store);
    System.out.println("hub: nats-server (pid " + hub.pid() + ") listening on " + hub.url());
    Waiting.untilShutdown(hub, "hub");
    return 0;
  }
}
