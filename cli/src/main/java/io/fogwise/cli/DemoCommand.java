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

  @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "3s", converter = PolicyCommands.DurationConverter.class,
      description = "Traffic before the kill. Default: ${DEFAULT-VALUE}.")
  Duration warmup;

  @Option(names = "--warmup-s", hidden = true, description = "Deprecated: --warmup in seconds.")
  Integer warmupSeconds;

  @Option(names = "--after", paramLabel = "DURATION", defaultValue = "3s", converter = PolicyCommands.DurationConverter.class,
      description = "Traffic after recovery. Default: ${DEFAULT-VALUE}.")
  Duration after;

  @Option(names = "--after-s", hidden = true, description = "Deprecated: --after in seconds.")
  Integer afterSeconds;

  @Option(names = "--orchestrator", defaultValue = "process",
      description = {"Where the agents run services: process (in their own JVM) or docker (containers from the images",
          "images/build.sh builds, on the local Docker engine). Default: ${DEFAULT-VALUE}."})
  String orchestrator;

  @Option(names = "--cloud-outage",
      description = {"Instead: a site that runs on while its cloud link is down. The gateway runs its site's NATS as a",
          "leaf node of the cloud hub behind an emulated link; the link is cut, a device killed (its service moves),",
          "a cached item served stale, a policy pushed in the cloud and the gateway restarted; then the link returns,",
          "the policy lands and the queued history arrives once, in order. Exits 1 if any step is missing."})
  boolean cloudOutage;

  @Override
  public Integer call() throws Exception {
    if (cloudOutage) {
      return cloudOutage();
    }
    Path runDir = Files.createTempDirectory("fogwise-demo-");
    Timeline timeline = new Timeline(System.out);
    timeline.log("fogwise demo: logs of every process go to %s", runDir);
    Demo demo = new Demo(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()), timeline,
        new Demo.Options(rate, warmupSeconds != null ? Duration.ofSeconds(warmupSeconds) : warmup,
            afterSeconds != null ? Duration.ofSeconds(afterSeconds) : after, runDir, orchestrator));
    ObjectNode summary;
    try {
      summary = demo.run();
    } catch (Demo.DemoFailure e) {
      timeline.log("demo FAILED: %s", e.getMessage());
      return 1;
    }
    if (json != null) {
      BenchCommand.write(json, summary, timeline);
    }
    boolean ok = summary.get("ok").asBoolean();
    timeline.log("demo %s in %.1f s", ok ? "passed" : "FAILED", summary.get("durationMs").asLong() / 1000.0);
    return ok ? 0 : 1;
  }

  private int cloudOutage() throws Exception {
    Path runDir = Files.createTempDirectory("fogwise-outage-");
    Timeline timeline = new Timeline(System.out);
    timeline.log("fogwise demo --cloud-outage: logs of every process go to %s", runDir);
    long t0 = System.nanoTime();
    var scenario = new io.fogwise.testbed.outage.CloudOutageScenario(
        ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()), timeline,
        new io.fogwise.testbed.outage.CloudOutageScenario.Settings(runDir, rate > 0 ? Math.min(rate, 1000) : 50,
            Duration.ofSeconds(40)));
    var result = scenario.run();
    ObjectNode summary = io.fogwise.testbed.outage.CloudOutageScenario.toJson(result);
    summary.put("durationMs", (System.nanoTime() - t0) / 1_000_000L);
    timeline.log("summary (each step confirmed from outside: site and cloud observers, the leaf node's log, the streams)");
    for (var step : result.steps()) {
      System.out.printf("  %-6s %s: %s%n", step.ok() ? "ok" : "FAILED", step.name(), step.detail());
    }
    if (json != null) {
      BenchCommand.write(json, summary, timeline);
    }
    timeline.log("demo --cloud-outage %s in %.1f s", result.ok() ? "passed" : "FAILED",
        (System.nanoTime() - t0) / 1e9);
    return result.ok() ? 0 : 1;
  }
}
