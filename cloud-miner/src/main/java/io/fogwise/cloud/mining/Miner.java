package io.fogwise.cloud.mining;

import io.fogwise.cloud.history.History;
import io.fogwise.cloud.history.MiningPass;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One mining pass: heartbeat timing per device class ({@link HeartbeatMiner}) and failure
 * precursors ({@link PrecursorMiner}) over a history snapshot, turned into a {@link
 * MiningResult}: the generated DRL ({@link DrlWriter}), the mined parameters, findings for
 * operators and the reasons nothing is published.
 */
public final class Miner implements MiningPass {
  private final HeartbeatMiner heartbeats;
  private final PrecursorMiner precursors;
  private final Clock clock;

  public Miner(HeartbeatMiner heartbeats, PrecursorMiner precursors, Clock clock) {
    this.heartbeats = Objects.requireNonNull(heartbeats, "heartbeats");
    this.precursors = Objects.requireNonNull(precursors, "precursors");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A miner with default options. */
  public static Miner withDefaults(Clock clock) {
    return new Miner(HeartbeatMiner.withDefaults(), PrecursorMiner.withDefaults(), clock);
  }

  /** Mines {@code history}. A pass over too little data publishes nothing and says why. */
  @Override
  public MiningResult mine(History history) {
    Objects.requireNonNull(history, "history");
    long start = System.nanoTime();
    HeartbeatMiner.Result hb = heartbeats.mine(history);
    PrecursorMiner.Result pr = precursors.mine(history);
    List<String> findings = new ArrayList<>();
    hb.classes().forEach(c -> findings.add(c.finding()));
    hb.refusals().forEach(r -> findings.add("no threshold: " + r));
    if (hb.badValues() > 0) {
      findings.add(hb.badValues() + " heartbeat intervals excluded (unreadable, zero or longer than a gap)");
    }
    findings.addAll(pr.findings());
    for (PrecursorRule r : pr.rules()) {
      findings.add(String.format(Locale.ROOT, "rule \"%s\": %s (%d of %d training windows died within the horizon;"
          + " held out: %d of %d devices)", r.name(), PrecursorMiner.describe(r.conditions()), r.support(), r.matched(),
          r.validationDied(), r.validationDevices()));
    }
    if (pr.badValues() > 0) {
      findings.add(String.format(Locale.ROOT, "%d of %d telemetry readings had absurd values or times (excluded)",
          pr.badValues(), pr.readings()));
    }
    Map<String, String> parameters = new TreeMap<>(hb.parameters());
    String drl = DrlWriter.write(pr.rules(), history.fromMillis(), history.toMillis(), precursors.options().horizonMs());
    List<String> refusals = new ArrayList<>();
    if (drl == null && parameters.isEmpty()) {
      refusals.addAll(pr.refusals());
      refusals.addAll(hb.refusals());
    } else {
      pr.refusals().forEach(r -> findings.add("no rules: " + r));
    }
    findings.add(String.format(Locale.ROOT, "mining pass over %d devices and %d events took %d ms",
        history.devices().size(), history.events().size(), (System.nanoTime() - start) / 1_000_000L));
    return new MiningResult(clock.millis(), history.fromMillis(), history.toMillis(), drl, parameters, findings,
        refusals);
  }
}
