package io.fogwise.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.demo.Demo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Run the closed loop on this machine: hub, gateway and five agents as separate processes,",
        "the paper's publisher/subscriber app, then SIGKILL the publisher's device and watch the failover."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Also write the summary as JSON to this file.")
  Path json;

  @Option(names = "--rate", defaultValue = "100", description = "Publisher rate in messages/s. Default: ${DEFAULT-VALUE}.")
  int rate;

  @Option(names = "--warmup-s", defaultValue = "3", description = "Seconds of traffic before the kill. Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--after-s", defaultValue = "3", description = "Seconds of traffic after recovery. Default: ${DEFAULT-VALUE}.")
  int afterSeconds;

  @Override
  public Integer call() throws Exception {
    Path runDir = Files.createTempDirectory("fogwise-demo-");
    Timeline timeline = new Timeline(System.out);
    timeline.log("fogwise demo: logs of every process go to %s", runDir);
    Demo demo = new Demo(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()), timeline,
        new Demo.Options(rate, Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(afterSeconds), runDir));
    ObjectNode summary;
    try {
      summary = demo.run();
    } catch (Demo.DemoFailure e) {
      timeline.log("demo FAILED: %s", e.getMessage());
      return 1;
    }
    if (json != null) {
      Path parent = json.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      MessageCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), summary);
      timeline.log("summary written to %s", json);
    }
    boolean ok = summary.get("ok").asBoolean();
    timeline.log("demo %s in %.1f s", ok ? "passed" : "FAILED", summary.get("durationMs").asLong() / 1000.0);
    return ok ? 0 : 1;
  }
}
