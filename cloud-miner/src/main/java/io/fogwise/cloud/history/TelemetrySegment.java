package io.fogwise.cloud.history;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The binary segment format of stored telemetry: a header, then records, each ending in a
 * CRC32C of its bytes so a record cut short by a crash (or garbled) is found.
 *
 * <pre>
 * header    "FWTM" u8 version(1) 3 bytes zero
 * key       u8 1, i32 keyId, u16 length, gatewayId UTF-8, u16 length, deviceId UTF-8, i32 crc
 * telemetry u8 2, i64 streamSeq, i32 keyId, i64 atMillis, f32 cpuLoad, f32 memoryPct,
 *           f32 batteryPct (NaN: none), f32 temperatureC (NaN: none), i32 crc
 * rejected  u8 3, i64 streamSeq, u8 BadInput ordinal, i32 crc
 * </pre>
 *
 * A key record names a (gateway, device) pair once per segment; telemetry records refer to it.
 * Floats are enough for readings that are noisy to the second digit, and keep a record at 41 bytes.
 */
final class TelemetrySegment {
  static final byte[] MAGIC = {'F', 'W', 'T', 'M', 1, 0, 0, 0};
  static final int HEADER = MAGIC.length;
  static final byte KEY = 1;
  static final byte TELEMETRY = 2;
  static final byte REJECTED = 3;
  static final int TELEMETRY_BYTES = 1 + 8 + 4 + 8 + 4 * 4 + 4;
  static final int REJECTED_BYTES = 1 + 8 + 1 + 4;

  private TelemetrySegment() {}

  /** What a segment holds, record by record. */
  interface Visitor {
    void key(int keyId, String gatewayId, String deviceId);

    void telemetry(long seq, int keyId, long atMillis, float cpuLoad, float memoryPct, float batteryPct,
        float temperatureC);

    void rejected(long seq, BadInput reason);
  }

  /**
   * Reads {@code file} up to its first incomplete or damaged record.
   *
   * @return the length of its intact part (the file's size if all of it is)
   */
  static long read(Path file, Visitor v) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < HEADER) {
        return 0;
      }
      MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      b.order(ByteOrder.BIG_ENDIAN);
      for (int i = 0; i < HEADER; i++) {
        if (b.get(i) != MAGIC[i]) {
          throw new IOException(file + " is not a Fogwise telemetry segment (bad header)");
        }
      }
      CRC32C crc = new CRC32C();
      int p = HEADER;
      int end = (int) size;
      while (p < end) {
        byte type = b.get(p);
        int len;
        if (type == TELEMETRY) {
          len = TELEMETRY_BYTES;
        } else if (type == REJECTED) {
          len = REJECTED_BYTES;
        } else if (type == KEY) {
          if (p + 7 > end) {
            return p;
          }
          int gl = Short.toUnsignedInt(b.getShort(p + 5));
          if (p + 7 + gl + 2 > end) {
            return p;
          }
          int dl = Short.toUnsignedInt(b.getShort(p + 7 + gl));
          len = 1 + 4 + 2 + gl + 2 + dl + 4;
        } else {
          return p;
        }
        if (p + len > end) {
          return p;
        }
        crc.reset();
        ByteBuffer slice = b.duplicate();
        slice.position(p).limit(p + len - 4);
        crc.update(slice);
        if ((int) crc.getValue() != b.getInt(p + len - 4)) {
          return p;
        }
        switch (type) {
          case TELEMETRY -> v.telemetry(b.getLong(p + 1), b.getInt(p + 9), b.getLong(p + 13), b.getFloat(p + 21),
              b.getFloat(p + 25), b.getFloat(p + 29), b.getFloat(p + 33));
          case REJECTED -> {
            int r = Byte.toUnsignedInt(b.get(p + 9));
            if (r >= BadInput.VALUES.length) {
              return p;
            }
            v.rejected(b.getLong(p + 1), BadInput.VALUES[r]);
          }
          default -> {
            int gl = Short.toUnsignedInt(b.getShort(p + 5));
            v.key(b.getInt(p + 1), string(b, p + 7, gl), string(b, p + 9 + gl, len - 13 - gl));
          }
        }
        p += len;
      }
      return p;
    }
  }

  private static String string(ByteBuffer b, int at, int len) {
    byte[] bytes = new byte[len];
    b.get(at, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Appends to a new segment; {@link #sync} makes what was appended durable. Not thread-safe. */
  static final class Writer implements AutoCloseable {
    private static final int BUFFER = 256 * 1024;
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.BIG_ENDIAN);
    private final Map<String, Integer> keys = new HashMap<>();
    private final CRC32C crc = new CRC32C();
    private long size;

    /** Creates {@code file} (which must not exist) with its header, durably. */
    Writer(Path file) throws IOException {
      ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      buf.put(MAGIC);
      sync();
    }

    void telemetry(long seq, String gatewayId, String deviceId, long atMillis, float cpuLoad, float memoryPct,
        float batteryPct, float temperatureC) throws IOException {
      int key = key(gatewayId, deviceId);
      room(TELEMETRY_BYTES);
      int start = buf.position();
      buf.put(TELEMETRY).putLong(seq).putInt(key).putLong(atMillis).putFloat(cpuLoad).putFloat(memoryPct)
          .putFloat(batteryPct).putFloat(temperatureC);
      seal(start);
    }

    void rejected(long seq, BadInput reason) throws IOException {
      room(REJECTED_BYTES);
      int start = buf.position();
      buf.put(REJECTED).putLong(seq).put((byte) reason.ordinal());
      seal(start);
    }

    private int key(String gatewayId, String deviceId) throws IOException {
      String k = gatewayId + '\u0000' + deviceId;
      Integer id = keys.get(k);
      if (id != null) {
        return id;
      }
      byte[] gw = gatewayId.getBytes(StandardCharsets.UTF_8);
      byte[] dev = deviceId.getBytes(StandardCharsets.UTF_8);
      if (gw.length > 0xFFFF || dev.length > 0xFFFF) {
        throw new IllegalArgumentException("ids longer than 65535 bytes");
      }
      int next = keys.size();
      room(1 + 4 + 2 + gw.length + 2 + dev.length + 4);
      int start = buf.position();
      buf.put(KEY).putInt(next).putShort((short) gw.length).put(gw).putShort((short) dev.length).put(dev);
      seal(start);
      keys.put(k, next);
      return next;
    }

    private void seal(int start) {
      crc.reset();
      ByteBuffer slice = buf.duplicate();
      slice.position(start).limit(buf.position());
      crc.update(slice);
      buf.putInt((int) crc.getValue());
    }

    private void room(int bytes) throws IOException {
      if (buf.remaining() < bytes) {
        write();
      }
    }

    private void write() throws IOException {
      buf.flip();
      while (buf.hasRemaining()) {
        size += ch.write(buf);
      }
      buf.clear();
    }

    /** Writes what is buffered and forces it to the disk. */
    void sync() throws IOException {
      write();
      ch.force(false);
    }

    /** Bytes written so far (buffered ones not included). */
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
