package io.fogwise.cloud.history;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The segment format of stored adaptation events: JSON lines, one per stream message,
 * {@code {"seq":12,"event":{...}}} or {@code {"seq":13,"rejected":"MALFORMED"}}. A last line
 * without its newline, or one that does not parse, is where a crash cut the segment short.
 */
final class EventSegment {
  /** A stored line can be larger than the event it carries (the wrapper); events are at most 64 KiB. */
  private static final int MAX_LINE = MessageCodec.MAX_MESSAGE_BYTES + 1024;

  private EventSegment() {}

  /** One line: an event or the reason a message was not one. */
  record Line(long seq, AdaptationEvent event, BadInput rejected) {}

  /** What a segment holds, line by line. */
  interface Visitor {
    void event(long seq, AdaptationEvent event);

    void rejected(long seq, BadInput reason);
  }

  /** Reads {@code file} up to its first incomplete or damaged line; returns the length of its intact part. */
  static long read(Path file, Visitor v) throws IOException {
    byte[] all = Files.readAllBytes(file);
    int p = 0;
    while (p < all.length) {
      int nl = p;
      while (nl < all.length && all[nl] != '\n') {
        nl++;
      }
      if (nl == all.length) {
        return p;
      }
      Line line;
      try {
        line = MessageCodec.decode(Arrays.copyOfRange(all, p, nl), Line.class, MAX_LINE);
      } catch (RejectedMessageException e) {
        return p;
      }
      if (line.event() != null) {
        v.event(line.seq(), line.event());
      } else if (line.rejected() != null) {
        v.rejected(line.seq(), line.rejected());
      } else {
        return p;
      }
      p = nl + 1;
    }
    return p;
  }

  /** Appends to a new segment; {@link #sync} makes it durable. Not thread-safe. */
  static final class Writer implements AutoCloseable {
    private final FileChannel ch;
    private long size;

    Writer(Path file) throws IOException {
      ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    void event(long seq, AdaptationEvent event) throws IOException {
      line(new Line(seq, event, null));
    }

    void rejected(long seq, BadInput reason) throws IOException {
      line(new Line(seq, null, reason));
    }

    private void line(Line line) throws IOException {
      byte[] json = MessageCodec.encode(line);
      ByteBuffer b = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
      while (b.hasRemaining()) {
        size += ch.write(b);
      }
    }

    void sync() throws IOException {
      ch.force(false);
    }

    long size() {
      return size;
    }

    @Override
    public void close() throws IOException {
      try {
        sync();
      } finally {
        ch.close();
      }
    }
  }
}
