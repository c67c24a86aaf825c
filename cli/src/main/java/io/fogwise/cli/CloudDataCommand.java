package io.fogwise.cli;

import io.fogwise.cli.GatewayClient.CliFailure;
import io.fogwise.cloud.data.ContentTypes;
import io.fogwise.cloud.data.DataLimits;
import io.fogwise.cloud.data.DataStore;
import io.fogwise.cloud.data.ItemInfo;
import io.fogwise.cloud.data.ItemTooLargeException;
import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.ProtocolViolation;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fogwise cloud data put|get|list|delete}: the cloud's data, worked on directly in
 * JetStream (not through the running service, so they work while it is down). Changes are
 * announced on {@value Subjects#CLOUD_DATA_CHANGES} by the command that makes them.
 */
@Command(name = "data", mixinStandardHelpOptions = true,
    description = {"Manage the cloud data the gateways cache: items by key, each with a version and a content type,",
        "in JetStream (KV fw-cloud-data; items over 512 KiB in the object store fw-cloud-objects). Every change is",
        "announced on fw.cloud.data.changes so gateways invalidate their copies.",
        "Exit codes: 0 done, 1 no such item (or the store refused), 2 bad input (nothing changed), 3 NATS or",
        "JetStream unavailable."},
    subcommands = {CloudDataCommand.Put.class, CloudDataCommand.Get.class, CloudDataCommand.ListItems.class,
        CloudDataCommand.Delete.class})
final class CloudDataCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A data subcommand: the store on a one-shot connection; the store's refusals are exit 1. */
  abstract static class Base extends PolicyCommands.Base {
    @Override
    final int execute(PrintWriter out, PrintWriter err) throws CliFailure {
      try {
        execute(out);
        return 0;
      } catch (IllegalStateException e) {
        throw new CliFailure(1, e.getMessage());
      }
    }

    abstract void execute(PrintWriter out) throws CliFailure;

    /** The limits the store enforces; put overrides it with its {@code --max-item-bytes}. */
    DataLimits limits() {
      return DataLimits.DEFAULT;
    }

    /** Runs {@code body} with the store on a one-shot connection, closed afterwards. */
    <T> T withStore(StoreBody<T> body) throws CliFailure {
      return withNats(c -> body.run(DataStore.jetStream(c, limits(), Clock.system())));
    }
  }

  /** Work done with the store. */
  interface StoreBody<T> {
    T run(DataStore store) throws CliFailure;
  }

  /** Checks a key before anything is sent, naming the rule it breaks. */
  static String key(String key) throws CliFailure {
    try {
      return DataItem.key(key, "key");
    } catch (ProtocolViolation e) {
      throw new CliFailure(2, "'" + key + "' is not a valid key: it " + e.getMessage().replaceFirst("^field 'key' ", "")
          .replaceFirst(": '.*'$", ""));
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true,
      description = {"Store the content of FILE (or standard input, '-') as the next version of KEY, and announce it.",
          "Keys: 1-128 characters of letters, digits and . _ - / (not starting or ending with . or /, no .. or //)."})
  static final class Put extends Base {
    @Parameters(index = "0", paramLabel = "KEY", description = "The item's key, e.g. ref/stations.")
    String key;

    @Parameters(index = "1", paramLabel = "FILE|-", description = "The content: a file, or - for standard input.")
    String file;

    @Option(names = "--content-type", paramLabel = "TYPE",
        description = {"Its media type. Default: guessed from FILE's extension (.json application/json, .csv text/csv,",
            ".txt text/plain), else application/octet-stream."})
    String contentType;

    @Option(names = "--max-item-bytes", paramLabel = "N",
        defaultValue = "${env:FW_CLOUD_MAX_ITEM_BYTES:-" + DataLimits.DEFAULT_MAX_ITEM_BYTES + "}",
        description = "Refuse items larger than this (env FW_CLOUD_MAX_ITEM_BYTES). Default: ${DEFAULT-VALUE} (16 MiB).")
    long maxItemBytes;

    @Override
    DataLimits limits() {
      return DataLimits.DEFAULT.withMaxItemBytes(maxItemBytes);
    }

    @Override
    void execute(PrintWriter out) throws CliFailure {
      key(key);
      if (maxItemBytes < 0) {
        throw new CliFailure(2, "--max-item-bytes must be >= 0, got " + maxItemBytes);
      }
      boolean stdin = "-".equals(file);
      String type = contentType != null ? contentType : stdin ? ContentTypes.OCTET_STREAM : ContentTypes.guess(file);
      try {
        new DataItem(key, 1, type, 0, new byte[0]);
      } catch (ProtocolViolation e) {
        throw new CliFailure(2, "--content-type '" + type + "' is not a media type like application/json");
      }
      byte[] value = stdin ? readLimited(System.in, "standard input") : readFile(Path.of(file));
      DataItem stored = withStore(store -> {
        try {
          return store.put(key, type, value);
        } catch (ItemTooLargeException e) {
          throw new CliFailure(2, e.getMessage());
        }
      });
      boolean inline = value.length <= limits().inlineMaxBytes();
      out.println("put " + key + " v" + stored.version() + " (" + type + ", " + value.length + " bytes, in "
          + (inline ? "KV " + Subjects.CLOUD_DATA_BUCKET : "the object store " + Subjects.CLOUD_OBJECT_STORE) + ")");
    }

    private byte[] readFile(Path path) throws CliFailure {
      try {
        if (Files.isDirectory(path)) {
          throw new CliFailure(2, path + " is a directory, not a file");
        }
        if (Files.isRegularFile(path) && Files.size(path) > maxItemBytes) {
          throw new CliFailure(2, new ItemTooLargeException(key, Files.size(path), maxItemBytes).getMessage());
        }
        try (InputStream in = Files.newInputStream(path)) {
          return readLimited(in, path.toString());
        }
      } catch (NoSuchFileException e) {
        throw new CliFailure(2, "cannot read " + path + ": no such file");
      } catch (IOException e) {
        throw new CliFailure(2, "cannot read " + path + ": " + e.getMessage());
      }
    }

    /** Reads at most the limit, so a stream over it is refused without being read to its end. */
    private byte[] readLimited(InputStream in, String what) throws CliFailure {
      try {
        byte[] value = in.readNBytes((int) Math.min(maxItemBytes + 1, Integer.MAX_VALUE - 8));
        if (value.length > maxItemBytes) {
          throw new CliFailure(2, ItemTooLargeException.moreThan(key, maxItemBytes).getMessage());
        }
        return value;
      } catch (IOException e) {
        throw new CliFailure(2, "cannot read " + what + ": " + e.getMessage());
      }
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Write the current content of KEY to standard output (byte for byte) or to a file.")
  static final class Get extends Base {
    @Parameters(paramLabel = "KEY", description = "The item's key.")
    String key;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the content to FILE instead.")
    Path outFile;

    @Override
    void execute(PrintWriter out) throws CliFailure {
      key(key);
      Optional<DataItem> item = withStore(store -> store.get(key));
      if (item.isEmpty()) {
        throw new CliFailure(1, "no item with key '" + key + "' in " + Subjects.CLOUD_DATA_BUCKET);
      }
      DataItem i = item.get();
      if (outFile != null) {
        try {
          Files.write(outFile, i.value());
        } catch (IOException e) {
          throw new CliFailure(2, "cannot write " + outFile + ": " + e.getMessage());
        }
        out.println("wrote " + key + " v" + i.version() + " (" + i.contentType() + ", " + i.value().length
            + " bytes) to " + outFile);
        return;
      }
      out.flush();
      // As bytes to the process's standard output, not through the (character) writer, so binary content survives.
      OutputStream stdout = System.out;
      try {
        stdout.write(i.value());
        stdout.flush();
      } catch (IOException e) {
        throw new CliFailure(1, "cannot write to standard output: " + e.getMessage());
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Every item: key, version, type, size, when updated.")
  static final class ListItems extends Base {
    @Override
    void execute(PrintWriter out) throws CliFailure {
      List<ItemInfo> items = withStore(DataStore::list);
      if (items.isEmpty()) {
        out.println("no items in " + Subjects.CLOUD_DATA_BUCKET);
        return;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"KEY", "VERSION", "TYPE", "BYTES", "UPDATED"});
      for (ItemInfo i : items) {
        rows.add(new String[] {i.key(), Long.toString(i.version()), i.contentType(), Long.toString(i.size()),
            Instant.ofEpochMilli(i.updatedAtMillis()).truncatedTo(ChronoUnit.SECONDS).toString()});
      }
      out.print(PolicyCommands.table(rows));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete KEY, and announce it.")
  static final class Delete extends Base {
    @Parameters(paramLabel = "KEY", description = "The item's key.")
    String key;

    @Override
    void execute(PrintWriter out) throws CliFailure {
      key(key);
      Optional<DataChange> deleted = withStore(store -> store.delete(key));
      if (deleted.isEmpty()) {
        throw new CliFailure(1, "no item with key '" + key + "' in " + Subjects.CLOUD_DATA_BUCKET);
      }
      out.println("deleted " + key + " (was v" + deleted.get().version() + ")");
    }
  }
}
