package io.fogwise.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** What is listening on a loopback port, as tests of the hub and its launcher ask it. */
public final class Ports {
  private Ports() {}

  /** Whether nothing listens on loopback {@code port} (it can be bound now). */
  public static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** Whether a NATS server answers on loopback {@code port} (its first line is {@code INFO}). */
  public static boolean answersNats(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      s.setSoTimeout(2_000);
      String info = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
      return info != null && info.startsWith("INFO ");
    }
  }
}
