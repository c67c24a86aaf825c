package io.fogwise.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "test", mixinStandardHelpOptions = true,
    description = "Run every unit and integration test (mvn -B verify) from the source tree.")
final class TestCommand implements Callable<Integer> {
  @Parameters(description = "Extra Maven arguments, e.g. -pl gateway-runtime.")
  List<String> extra = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Path root = Path.of(System.getenv().getOrDefault("FOGWISE_HOME", ".")).toAbsolutePath().normalize();
    if (!Files.isRegularFile(root.resolve("pom.xml"))) {
      System.err.println("fogwise test: no pom.xml in " + root + "; run it from the repository (./fogwise test)");
      return 2;
    }
    List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "verify"));
    cmd.addAll(extra);
    Process p = new ProcessBuilder(cmd).directory(root.toFile()).inheritIO().start();
    return p.waitFor();
  }
}
