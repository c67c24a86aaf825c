package io.fogwise.testbed.load;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One device's heartbeat as {@link MessageCodec} encodes it, with only {@code seq} and
 * {@code sentAtMillis} written per beat: the bytes are the codec's own (encoded once, with
 * marker numbers cut out), so the protocol is the real one while a beat costs a copy instead of
 * a Jackson serialization — the difference between keeping 50k heartbeats/s on schedule on two
 * busy cores and not.
 */
final class HeartbeatTemplate {
  private static final long SEQ_MARK = 918_273_645_546_372_819L;
  private static final long SENT_MARK = 192_837_465_564_738_291L;

  private final byte[] head;
  private final byte[] middle;
  private final byte[] tail;

  /** @param prototype a heartbeat whose every field but seq and sentAtMillis is what is sent */
  HeartbeatTemplate(Heartbeat prototype) {
    Heartbeat marked = new Heartbeat(prototype.deviceId(), prototype.gatewayId(), SEQ_MARK, SENT_MARK,
        prototype.intervalMs(), prototype.layer(), prototype.deviceClass(), prototype.labels(), prototype.instances());
    byte[] json = MessageCodec.encode(marked);
    byte[] seq = Long.toString(SEQ_MARK).getBytes(StandardCharsets.US_ASCII);
    byte[] sent = Long.toString(SENT_MARK).getBytes(StandardCharsets.US_ASCII);
    int s = indexOf(json, seq);
    int t = indexOf(json, sent);
    if (s < 0 || t < 0 || t < s) {
      throw new IllegalStateException("the codec no longer writes seq before sentAtMillis as plain numbers: "
          + new String(json, StandardCharsets.UTF_8));
    }
    head = Arrays.copyOfRange(json, 0, s);
    middle = Arrays.copyOfRange(json, s + seq.length, t);
    tail = Arrays.copyOfRange(json, t + sent.length, json.length);
  }

  /** The encoded heartbeat with these two numbers (both >= 0). */
  byte[] render(long seq, long sentAtMillis) {
    int seqLen = digits(seq);
    int sentLen = digits(sentAtMillis);
    byte[] out = new byte[head.length + seqLen + middle.length + sentLen + tail.length];
    int p = 0;
    System.arraycopy(head, 0, out, p, head.length);
    p += head.length;
    writeDigits(out, p, seqLen, seq);
    p += seqLen;
    System.arraycopy(middle, 0, out, p, middle.length);
    p += middle.length;
    writeDigits(out, p, sentLen, sentAtMillis);
    p += sentLen;
    System.arraycopy(tail, 0, out, p, tail.length);
    return out;
  }

  private static int digits(long v) {
    int n = 1;
    while (v >= 10) {
      v /= 10;
      n++;
    }
    return n;
  }

  private static void writeDigits(byte[] out, int at, int len, long v) {
    for (int i = at + len - 1; i >= at; i--) {
      out[i] = (byte) ('0' + (v % 10));
      v /= 10;
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
