package io.fogwise.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** The public keys a gateway accepts policy from, by key id. */
public final class TrustedKeys {
  private final Map<String, PublicKey> keys;

  private TrustedKeys(Map<String, PublicKey> keys) {
    this.keys = Map.copyOf(keys);
  }

  /** No trusted key: every pushed bundle is refused (the built-in packs stay live). */
  public static TrustedKeys none() {
    return new TrustedKeys(Map.of());
  }

  public static TrustedKeys of(PublicKey... keys) {
    Map<String, PublicKey> m = new LinkedHashMap<>();
    for (PublicKey k : keys) {
      m.put(PolicyBundles.keyId(k), k);
    }
    return new TrustedKeys(m);
  }

  /** Reads {@code .pub} files, or every {@code .pub} file in the directories given. */
  public static TrustedKeys load(List<Path> paths) throws IOException {
    Map<String, PublicKey> m = new LinkedHashMap<>();
    for (Path p : paths) {
      List<Path> files;
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          files = s.filter(f -> f.toString().endsWith(".pub")).sorted().toList();
        }
      } else {
        files = List.of(p);
      }
      for (Path f : files) {
        try {
          PublicKey k = PolicyBundles.decodePublic(Files.readString(f, StandardCharsets.UTF_8));
          m.put(PolicyBundles.keyId(k), k);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
          throw new IOException(f + " is not an Ed25519 public key written by 'fogwise rules keygen': " + e.getMessage(), e);
        }
      }
    }
    return new TrustedKeys(m);
  }

  /** The key with {@code keyId}, or null. */
  public PublicKey get(String keyId) {
    return keys.get(keyId);
  }

  public Set<String> ids() {
    return keys.keySet();
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }
}
