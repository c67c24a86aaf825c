package io.fogwise.testsupport;

/** A JVM that starts a server, says where, and waits to be killed: what NatsServerIT kills. */
public final class HoldsNatsServer {
  private HoldsNatsServer() {}

  public static void main(String[] args) throws InterruptedException {
    NatsServer server = NatsServer.start();
    System.out.println(server.port() + " " + server.pid());
    System.out.flush();
    Thread.currentThread().join();
  }
}
