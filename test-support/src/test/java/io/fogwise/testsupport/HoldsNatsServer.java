package io.fogwise.testsupport;

import java.nio.file.Path;

/** A JVM that starts a server, says where, and waits to be killed: what NatsServerIT kills. */
public final class HoldsNatsServer {
  private HoldsNatsServer() {}

  public static void main(String[] args) throws InterruptedException {
    // a store of the test's: a JVM killed with SIGKILL cannot remove a temporary one
    NatsServer server = NatsServer.start(0, Path.of(args[0]));
    System.out.println(server.port() + " " + server.pid());
    System.out.flush();
    Thread.currentThread().join();
  }
}
