package io.fogwise.gateway.orchestrator;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A unix-socket proxy in front of the Docker engine's socket that a test can cut and restore: the
 * engine going away and coming back, as seen by a client of the proxy, while the engine itself
 * (and everything else on it) keeps running.
 */
final class EngineProxy implements AutoCloseable {
  private final Path path;
  private final Path engine;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private volatile ServerSocketChannel server;

  EngineProxy(Path path, Path engine) throws IOException {
    this.path = path;
    this.engine = engine;
    restore();
  }

  /** The client URL of the proxy ({@code unix://...}). */
  String url() {
    return "unix://" + path;
  }

  /** Starts accepting (again). */
  synchronized void restore() throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(path));
    server = s;
    Thread t = new Thread(() -> accept(s), "engine-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  /** The engine is gone: no new connection is accepted and every open one is closed. */
  synchronized void cut() throws IOException {
    server.close();
    Files.deleteIfExists(path);
    for (SocketChannel c : open) {
      c.close();
    }
    open.clear();
  }

  private void accept(ServerSocketChannel s) {
    while (s.isOpen()) {
      try {
        SocketChannel client = s.accept();
        SocketChannel upstream = SocketChannel.open(UnixDomainSocketAddress.of(engine));
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        return; // cut
      }
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
    Thread t = new Thread(() -> {
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      try {
        while (from.read(buf) >= 0) {
          buf.flip();
          while (buf.hasRemaining()) {
            to.write(buf);
          }
          buf.clear();
        }
      } catch (IOException e) {
        // closed
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }, "engine-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
