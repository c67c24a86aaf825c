package io.fogwise.testbed.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Builds the command line that runs {@code fogwise <args>} as a separate OS process. */
@FunctionalInterface
public interface ComponentLauncher {

  /** The full command for {@code fogwise <args>}. */
  List<String> command(List<String> args);

  /**
   * Runs components with this JVM's java binary and class path.
   *
   * @param mainClass the {@code fogwise} main class
   * @param jvmOptions options for each child JVM
   */
  static ComponentLauncher currentJvm(String mainClass, List<String> jvmOptions) {
    Objects.requireNonNull(mainClass, "mainClass");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("java.class.path");
    List<String> options = List.copyOf(jvmOptions);
    return args -> {
      List<String> cmd = new ArrayList<>();
      cmd.add(java);
      cmd.addAll(options);
      cmd.add("-cp");
      cmd.add(classPath);
      cmd.add(mainClass);
      cmd.addAll(args);
      return cmd;
    };
  }

  /** JVM options that keep a small component's start-up and footprint low on a 2-core machine. */
  List<String> SMALL_JVM = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx128m",
      "-XX:-UsePerfData", "-Dorg.slf4j.simpleLogger.showDateTime=true",
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");

  /** JVM options for a gateway. */
  List<String> GATEWAY_JVM = List.of("-XX:+UseSerialGC", "-Xmx384m", "-XX:-UsePerfData",
      "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
}
