package io.fogwise.cli;

import io.fogwise.policy.PolicyBundles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fogwise rules keygen}: an Ed25519 key pair for signing policy bundles. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
    description = {"Create an Ed25519 key pair for signing policy: DIR/NAME.key (private, mode 600) and DIR/NAME.pub",
        "(give it to the gateways that should trust this key). Prints the key id. Never overwrites a file.",
        "Exit codes: 0 created, 2 bad name, a file exists, or DIR is not writable."})
final class RulesKeygenCommand implements Callable<Integer> {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

  @Spec CommandSpec spec;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the keys (created).")
  Path out;

  @Option(names = "--name", required = true, paramLabel = "NAME", description = "Base name of the two files.")
  String name;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      return keygen(o, err);
    } finally {
      o.flush();
      err.flush();
    }
  }

  private int keygen(PrintWriter o, PrintWriter err) {
    if (!NAME.matcher(name).matches()) {
      err.println("fogwise rules keygen: --name must be letters, digits, '_', '.', '-' (at most 64), got '" + name + "'");
      return 2;
    }
    Path keyFile = out.resolve(name + ".key");
    Path pubFile = out.resolve(name + ".pub");
    for (Path p : new Path[] {keyFile, pubFile}) {
      if (Files.exists(p)) {
        err.println("fogwise rules keygen: " + p + " exists; not overwriting it (choose another --name or --out)");
        return 2;
      }
    }
    KeyPair pair = PolicyBundles.generateKeyPair();
    try {
      Files.createDirectories(out);
      writeNew(keyFile, PolicyBundles.encodePrivate(pair.getPrivate()), true);
      try {
        writeNew(pubFile, PolicyBundles.encodePublic(pair.getPublic()), false);
      } catch (IOException e) {
        // A private key without its .pub is unusable by push: leave no half pair behind.
        Files.deleteIfExists(keyFile);
        throw e;
      }
    } catch (FileAlreadyExistsException e) {
      err.println("fogwise rules keygen: " + e.getFile() + " exists; not overwriting it");
      return 2;
    } catch (IOException e) {
      err.println("fogwise rules keygen: cannot write to " + out + ": " + e);
      return 2;
    }
    o.println("key id " + PolicyBundles.keyId(pair.getPublic()));
    o.println("private key " + keyFile + " (keep it secret; sign with: fogwise rules push ... --key " + keyFile + ")");
    o.println("public key  " + pubFile + " (install it on the gateways that should accept policy signed with it)");
    return 0;
  }

  /** Creates {@code file} (failing if it exists), owner-only if {@code secret}, and writes {@code text}. */
  private static void writeNew(Path file, String text, boolean secret) throws IOException {
    boolean posix = Files.getFileStore(file.toAbsolutePath().getParent()).supportsFileAttributeView("posix");
    if (posix) {
      // Created with its final mode: the secret is never readable by others, not even for a moment.
      Files.createFile(file, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
    } else {
      Files.createFile(file);
    }
    Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }
}
