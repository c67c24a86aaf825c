package io.fogwise.gateway.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API tokens a gateway accepts, as read from a tokens file: one line per token,
 * {@code <name> <role> <sha256-hex of the token>}, like htpasswd; blank lines and lines starting
 * with {@code #} are ignored. Only hashes are stored, so the file does not hand out access.
 *
 * <p>Tokens are looked up in constant time ({@link #find}); the file is changed with
 * {@link #add} and {@link #remove}, which replace it atomically so a gateway re-reading it never
 * sees half a file.
 */
public final class ApiTokens {
  /** What every token made by {@link #newToken()} starts with, so a leaked one is recognisable. */
  public static final String TOKEN_PREFIX = "fwt_";
  /** Random bytes in a token: 256 bits, beyond guessing and beyond brute-forcing its hash. */
  public static final int TOKEN_BYTES = 32;
  /**
   * The largest tokens file read (about 10,000 tokens): the gateway re-reads it on its HTTP event
   * loop when it changes, which must stay a sub-millisecond read.
   */
  public static final long MAX_FILE_BYTES = 1L << 20;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern FIELDS = Pattern.compile("\\s+");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a token may do. */
  public enum Role {
    /** GET (and HEAD) only: health, devices, services, events, metrics, cache reads. */
    READ("read"),
    /** Everything, including applying, moving and deleting services. */
    OPERATOR("operator");

    private final String tag;

    Role(String tag) {
      this.tag = tag;
    }

    /** The role's name in the tokens file. */
    public String tag() {
      return tag;
    }

    /** Whether a token of this role may make a request with HTTP method {@code method}. */
    public boolean permits(String method) {
      return this == OPERATOR || "GET".equals(method) || "HEAD".equals(method);
    }

    /** The role named {@code tag} in the tokens file, or empty. */
    public static Optional<Role> of(String tag) {
      for (Role r : values()) {
        if (r.tag.equals(tag)) {
          return Optional.of(r);
        }
      }
      return Optional.empty();
    }
  }

  /** One line of the tokens file: who the token belongs to, its role, the SHA-256 of the token (hex). */
  public record Entry(String name, Role role, String sha256) {
    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(sha256, "sha256");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("token name must be 1-64 of [A-Za-z0-9_.@-], starting with a letter"
            + " or digit, got '" + name + "'");
      }
      if (!SHA256_HEX.matcher(sha256).matches()) {
        throw new IllegalArgumentException("token hash must be 64 hex digits (SHA-256), got '" + sha256 + "'");
      }
      sha256 = sha256.toLowerCase(Locale.ROOT);
    }

    /** The entry for {@code token} (not stored: only its hash is). */
    public static Entry of(String name, Role role, String token) {
      return new Entry(name, role, hash(token));
    }

    /** The entry as a line of the tokens file. */
    public String line() {
      return name + " " + role.tag() + " " + sha256;
    }
  }

  private final List<Entry> entries;
  private final byte[][] hashes;

  private ApiTokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
    this.hashes = new byte[this.entries.size()][];
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] = HexFormat.of().parseHex(this.entries.get(i).sha256());
    }
  }

  /**
   * Reads a tokens file.
   *
   * @throws IllegalArgumentException on a malformed line, as {@code file:line: what is wrong}
   * @throws IOException when the file cannot be read
   */
  public static ApiTokens load(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IllegalArgumentException(file + ": " + size + " bytes, more than a tokens file may hold ("
          + MAX_FILE_BYTES + ")");
    }
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /** Parses the text of a tokens file; {@code source} names it in errors ({@code source:line: ...}). */
  public static ApiTokens parse(String text, String source) {
    Objects.requireNonNull(text, "text");
    List<Entry> entries = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + ":" + (i + 1) + ": ";
      String[] f = FIELDS.split(line);
      if (f.length != 3) {
        throw new IllegalArgumentException(where + "expected '<name> <role> <sha256-hex>', got " + f.length
            + " field" + (f.length == 1 ? "" : "s"));
      }
      Role role = Role.of(f[1]).orElseThrow(() -> new IllegalArgumentException(
          where + "unknown role '" + f[1] + "'; roles are read and operator"));
      Entry entry;
      try {
        entry = new Entry(f[0], role, f[2]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + e.getMessage(), e);
      }
      for (Entry other : entries) {
        if (other.name().equals(entry.name())) {
          throw new IllegalArgumentException(where + "token name '" + entry.name() + "' is used twice");
        }
      }
      entries.add(entry);
    }
    return new ApiTokens(entries);
  }

  /** A fresh token: {@code fwt_} and 32 random bytes, base64url without padding. */
  public static String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    RANDOM.nextBytes(bytes);
    return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The SHA-256 of {@code token}'s UTF-8 bytes, lower-case hex: what the tokens file stores. */
  public static String hash(String token) {
    return HexFormat.of().formatHex(sha256(Objects.requireNonNull(token, "token")));
  }

  /** Every entry, in file order. */
  public List<Entry> entries() {
    return entries;
  }

  /**
   * The entry whose hash is the hash of {@code presented}, or empty. Every entry is compared, with
   * {@link MessageDigest#isEqual}, so the time taken says nothing about which entries came close.
   */
  public Optional<Entry> find(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    byte[] h = sha256(presented);
    Entry found = null;
    for (int i = 0; i < hashes.length; i++) {
      if (MessageDigest.isEqual(hashes[i], h) && found == null) {
        found = entries.get(i);
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * Adds {@code entry} to the tokens file, creating it (readable by its owner only, where the file
   * system has POSIX permissions) if it does not exist.
   *
   * @throws IllegalArgumentException when the file already has a token of that name, or is malformed
   */
  public static void add(Path file, Entry entry) throws IOException {
    Objects.requireNonNull(entry, "entry");
    String text = readIfExists(file);
    ApiTokens current = parse(text, file.toString());
    if (current.entries.stream().anyMatch(e -> e.name().equals(entry.name()))) {
      throw new IllegalArgumentException(file + " already has a token named '" + entry.name()
          + "'; revoke it first or choose another name");
    }
    String sep = text.isEmpty() || text.endsWith("\n") ? "" : "\n";
    replace(file, text + sep + entry.line() + "\n");
  }

  /**
   * Removes the token named {@code name} from the tokens file, keeping every other line (comments
   * included) as it was.
   *
   * @return whether there was such a token
   */
  public static boolean remove(Path file, String name) throws IOException {
    Objects.requireNonNull(name, "name");
    String text = readIfExists(file);
    parse(text, file.toString()); // refuse to rewrite a file this class cannot read
    StringBuilder kept = new StringBuilder();
    boolean removed = false;
    for (String line : (Iterable<String>) text.lines()::iterator) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("#") && FIELDS.split(s)[0].equals(name)) {
        removed = true;
        continue;
      }
      kept.append(line).append('\n');
    }
    if (!removed) {
      return false;
    }
    String out = kept.toString();
    replace(file, out);
    return true;
  }

  private static String readIfExists(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return "";
    }
  }

  /** Writes a sibling temporary file and moves it over {@code file}: readers see the old or the new file. */
  private static void replace(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
    }
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "ApiTokens[" + entries.size() + " tokens]";
  }
}
