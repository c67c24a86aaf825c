package io.fogwise.gateway.core.scenario;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads scenario files (YAML). Strict: an unknown key, a missing field, a bad duration or an
 * unknown device is an error naming the file and line, and nothing of a bad file is run.
 *
 * <pre>
 * name: a silent device is declared lost and its service moved
 * duration: 10s
 * devices:
 *   - {id: e1, layer: EDGE, labels: {pub: "true"}}
 *   - {id: e2, layer: EDGE, labels: {pub: "true"}}
 * services:
 *   - {name: publisher, kind: publisher, placement: {layer: EDGE, labels: {pub: "true"}}}
 * instances:
 *   - {service: publisher, device: e1}
 * timeline:
 *   - {at: 2s, device: e1, heartbeats: stop}
 * expect:
 *   - {at: 2.8s, within: 300ms, action: declareLost, device: e1}
 *   - {after: 2s, before: 4s, action: exclude, service: publisher, device: e1}
 * never:
 *   - {action: declareLost, device: e2}
 * </pre>
 */
public final class ScenarioFiles {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TOP = Set.of("name", "description", "duration", "tick", "parameters", "devices",
      "services", "instances", "timeline", "expect", "never");
  private static final Set<String> DEVICE = Set.of("id", "layer", "class", "labels", "heartbeatMs", "telemetryMs",
      "temperature", "battery", "cpu", "startMs", "refuseStarts");
  private static final Set<String> INSTANCE = Set.of("service", "device", "version");
  private static final Set<String> EVENT = Set.of("at", "device", "heartbeats", "temperature", "battery", "cpu",
      "memory", "stall", "latency", "apply", "parameter");
  private static final Set<String> LATENCY = Set.of("service", "subscriber", "p99Ms", "p50Ms", "every", "until");
  private static final Set<String> EXPECT = Set.of("action", "at", "within", "after", "before", "device", "service",
      "layer", "replicas", "key", "value", "rule", "reason", "epoch");

  private ScenarioFiles() {}

  /** The scenario files in {@code dir} (recursively: {@code *.yaml}, {@code *.yml}), sorted. */
  public static List<Path> find(Path dir) throws IOException {
    if (Files.isRegularFile(dir)) {
      return List.of(dir);
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    }
  }

  /** Reads one scenario file. */
  public static Scenario load(Path file) throws ScenarioFileException {
    String name = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ScenarioFileException(name, 0, "cannot read: " + e.getMessage());
    }
    return parse(name, text);
  }

  /** Reads scenario text; {@code name} is used in messages. */
  public static Scenario parse(String name, String text) throws ScenarioFileException {
    Map<String, Integer> lines = new HashMap<>();
    JsonNode root;
    try {
      lines = lineIndex(text);
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ScenarioFileException(name, e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
          "not valid YAML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ScenarioFileException(name, 0, "cannot read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new ScenarioFileException(name, 1, "a scenario is a mapping with name, devices, timeline and expect");
    }
    return new Reader(name, lines).scenario(root);
  }

  /** JSON pointer of every node → its 1-based line. */
  private static Map<String, Integer> lineIndex(String text) throws IOException {
    Map<String, Integer> lines = new HashMap<>();
    try (JsonParser p = YAML.getFactory().createParser(text)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t == JsonToken.FIELD_NAME) {
          continue;
        }
        String ptr = p.getParsingContext().pathAsPointer().toString();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          ptr = p.getParsingContext().getParent() == null ? "" : p.getParsingContext().getParent().pathAsPointer().toString();
        }
        lines.putIfAbsent(ptr, p.currentTokenLocation().getLineNr());
      }
    }
    return lines;
  }

  /** Walks the tree, knowing where each node was written. */
  private static final class Reader {
    final String file;
    final Map<String, Integer> lines;

    Reader(String file, Map<String, Integer> lines) {
      this.file = file;
      this.lines = lines;
    }

    ScenarioFileException error(String ptr, String message) {
      Integer line = lines.get(ptr);
      String at = ptr.isEmpty() ? "" : ptr.substring(1).replace('/', '.') + ": ";
      return new ScenarioFileException(file, line == null ? 0 : line, at + message);
    }

    void known(JsonNode node, String ptr, Set<String> keys) throws ScenarioFileException {
      if (!node.isObject()) {
        throw error(ptr, "must be a mapping");
      }
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!keys.contains(k)) {
          throw error(ptr + "/" + k, "unknown field '" + k + "'; known: " + String.join(", ", keys.stream().sorted().toList()));
        }
      }
    }

    String text(JsonNode node, String ptr, String key, boolean required) throws ScenarioFileException {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        if (required) {
          throw error(ptr, "missing field '" + key + "'");
        }
        return null;
      }
      if (!v.isValueNode()) {
        throw error(ptr + "/" + key, "must be a single value");
      }
      return v.asText();
    }

    long duration(JsonNode node, String ptr, String key, Long dflt) throws ScenarioFileException {
      String v = text(node, ptr, key, dflt == null);
      if (v == null) {
        return dflt;
      }
      try {
        return Durations.parse(v);
      } catch (IllegalArgumentException e) {
        throw error(ptr + "/" + key, e.getMessage());
      }
    }

    Double number(JsonNode node, String ptr, String key) throws ScenarioFileException {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        return null;
      }
      if (!v.isNumber()) {
        throw error(ptr + "/" + key, "must be a number, got '" + v.asText() + "'");
      }
      return v.asDouble();
    }

    Map<String, String> strings(JsonNode node, String ptr, String key) throws ScenarioFileException {
      JsonNode v = node.get(key);
      Map<String, String> out = new LinkedHashMap<>();
      if (v == null || v.isNull()) {
        return out;
      }
      if (!v.isObject()) {
        throw error(ptr + "/" + key, "must be a mapping of names to values");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isValueNode()) {
          throw error(ptr + "/" + key + "/" + e.getKey(), "must be a single value");
        }
        out.put(e.getKey(), e.getValue().asText());
      }
      return out;
    }

    List<JsonNode> list(JsonNode root, String key) throws ScenarioFileException {
      JsonNode v = root.get(key);
      List<JsonNode> out = new ArrayList<>();
      if (v == null || v.isNull()) {
        return out;
      }
      if (!v.isArray()) {
        throw error("/" + key, "must be a list");
      }
      v.forEach(out::add);
      return out;
    }

    Scenario scenario(JsonNode root) throws ScenarioFileException {
      known(root, "", TOP);
      String name = text(root, "", "name", true);
      long duration = duration(root, "", "duration", null);
      long tick = duration(root, "", "tick", Scenario.DEFAULT_TICK_MS);
      Map<String, String> params = strings(root, "", "parameters");
      List<Scenario.DeviceDecl> devices = new ArrayList<>();
      List<JsonNode> ds = list(root, "devices");
      if (ds.isEmpty()) {
        throw error("", "a scenario needs at least one device");
      }
      for (int i = 0; i < ds.size(); i++) {
        String ptr = "/devices/" + i;
        JsonNode d = ds.get(i);
        known(d, ptr, DEVICE);
        Layer layer = layer(text(d, ptr, "layer", true), ptr + "/layer");
        Double hb = number(d, ptr, "heartbeatMs");
        Double tm = number(d, ptr, "telemetryMs");
        Double cpu = number(d, ptr, "cpu");
        Double startMs = number(d, ptr, "startMs");
        if (startMs != null && startMs < 0) {
          throw error(ptr + "/startMs", "must not be negative");
        }
        devices.add(new Scenario.DeviceDecl(text(d, ptr, "id", true), layer, text(d, ptr, "class", false),
            strings(d, ptr, "labels"), hb == null ? 200 : hb.longValue(), tm == null ? 1000 : tm.longValue(),
            number(d, ptr, "temperature"), number(d, ptr, "battery"), cpu == null ? 0.1 : cpu,
            startMs == null ? 0 : startMs.longValue(), text(d, ptr, "refuseStarts", false)));
      }
      Set<String> ids = new java.util.HashSet<>();
      for (Scenario.DeviceDecl d : devices) {
        ids.add(d.id());
      }
      List<ServiceSpec> services = new ArrayList<>();
      List<JsonNode> ss = list(root, "services");
      for (int i = 0; i < ss.size(); i++) {
        services.add(spec(ss.get(i), "/services/" + i));
      }
      Set<String> names = new java.util.HashSet<>();
      services.forEach(s -> names.add(s.name()));
      List<Scenario.InstanceDecl> instances = new ArrayList<>();
      List<JsonNode> is = list(root, "instances");
      for (int i = 0; i < is.size(); i++) {
        String ptr = "/instances/" + i;
        JsonNode n = is.get(i);
        known(n, ptr, INSTANCE);
        String svc = text(n, ptr, "service", true);
        String dev = text(n, ptr, "device", true);
        if (!names.contains(svc)) {
          throw error(ptr + "/service", "no service '" + svc + "' is declared");
        }
        if (!ids.contains(dev)) {
          throw error(ptr + "/device", "no device '" + dev + "' is declared");
        }
        instances.add(new Scenario.InstanceDecl(svc, dev, text(n, ptr, "version", false)));
      }
      List<Scenario.Event> timeline = new ArrayList<>();
      List<JsonNode> ts = list(root, "timeline");
      for (int i = 0; i < ts.size(); i++) {
        timeline.add(event(ts.get(i), "/timeline/" + i, ids, names));
      }
      List<Expectation> expected = new ArrayList<>();
      List<JsonNode> es = list(root, "expect");
      for (int i = 0; i < es.size(); i++) {
        expected.add(expectation(es.get(i), "/expect/" + i));
      }
      List<Expectation> never = new ArrayList<>();
      List<JsonNode> ns = list(root, "never");
      for (int i = 0; i < ns.size(); i++) {
        never.add(expectation(ns.get(i), "/never/" + i));
      }
      if (expected.isEmpty() && never.isEmpty()) {
        throw error("", "a scenario must expect something (expect:) or forbid something (never:)");
      }
      try {
        return new Scenario(name, file, duration, tick, params, devices, services, instances, timeline, expected, never);
      } catch (IllegalArgumentException e) {
        throw error("", e.getMessage());
      }
    }

    Layer layer(String v, String ptr) throws ScenarioFileException {
      try {
        return Layer.valueOf(v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw error(ptr, "'" + v + "' is not a layer; one of CLOUD, FOG, EDGE");
      }
    }

    ServiceSpec spec(JsonNode node, String ptr) throws ScenarioFileException {
      try {
        return MessageCodec.decode(JSON.writeValueAsBytes(node), ServiceSpec.class);
      } catch (RejectedMessageException e) {
        String where = e.field() == null ? ptr : ptr + "/" + e.field().replace('.', '/');
        throw error(lines.containsKey(where) ? where : ptr, e.getMessage());
      } catch (IOException e) {
        throw error(ptr, e.getMessage());
      }
    }

    Scenario.Event event(JsonNode n, String ptr, Set<String> ids, Set<String> names) throws ScenarioFileException {
      known(n, ptr, EVENT);
      long at = duration(n, ptr, "at", null);
      String device = text(n, ptr, "device", false);
      if (device != null && !ids.contains(device)) {
        throw error(ptr + "/device", "no device '" + device + "' is declared");
      }
      int kinds = 0;
      Scenario.Event event = null;
      String hb = text(n, ptr, "heartbeats", false);
      if (hb != null) {
        kinds++;
        requireDevice(device, ptr, "heartbeats");
        event = switch (hb) {
          case "stop" -> new Scenario.HeartbeatsStop(at, device);
          case "resume" -> new Scenario.HeartbeatsResume(at, device);
          default -> throw error(ptr + "/heartbeats", "'" + hb + "' must be stop or resume");
        };
      }
      Double temp = number(n, ptr, "temperature");
      Double battery = number(n, ptr, "battery");
      Double cpu = number(n, ptr, "cpu");
      Double memory = number(n, ptr, "memory");
      if (memory != null && (memory < 0 || memory > 100)) {
        throw error(ptr + "/memory", "must be a percentage within [0, 100], got " + memory);
      }
      if (temp != null || battery != null || cpu != null || memory != null) {
        kinds++;
        requireDevice(device, ptr, "telemetry");
        event = new Scenario.TelemetryChange(at, device, temp, battery, cpu, memory);
      }
      String stall = text(n, ptr, "stall", false);
      if (stall != null) {
        kinds++;
        requireDevice(device, ptr, "stall");
        if (!names.contains(stall)) {
          throw error(ptr + "/stall", "no service '" + stall + "' is declared");
        }
        event = new Scenario.Stall(at, stall, device);
      }
      JsonNode lat = n.get("latency");
      if (lat != null) {
        kinds++;
        String lp = ptr + "/latency";
        known(lat, lp, LATENCY);
        String svc = text(lat, lp, "service", true);
        String sub = text(lat, lp, "subscriber", true);
        Double p99 = number(lat, lp, "p99Ms");
        if (p99 == null) {
          throw error(lp, "missing field 'p99Ms'");
        }
        Double p50 = number(lat, lp, "p50Ms");
        long every = lat.has("every") ? duration(lat, lp, "every", null) : 0;
        long until = lat.has("until") ? duration(lat, lp, "until", null) : Long.MAX_VALUE;
        event = new Scenario.LatencyReport(at, svc, sub, (long) ((p50 == null ? p99 / 2 : p50) * 1000),
            (long) (p99 * 1000), every, until);
      }
      JsonNode apply = n.get("apply");
      if (apply != null) {
        kinds++;
        event = new Scenario.ApplyService(at, spec(apply, ptr + "/apply"));
      }
      JsonNode param = n.get("parameter");
      if (param != null) {
        kinds++;
        Map<String, String> kv = strings(n, ptr, "parameter");
        if (kv.size() != 1) {
          throw error(ptr + "/parameter", "must set exactly one parameter, e.g. {detect.phiThreshold: \"10\"}");
        }
        Map.Entry<String, String> e = kv.entrySet().iterator().next();
        event = new Scenario.SetParameter(at, e.getKey(), e.getValue());
      }
      if (kinds != 1) {
        throw error(ptr, "an event does exactly one of: heartbeats, temperature/battery/cpu/memory, stall, latency,"
            + " apply, parameter");
      }
      return event;
    }

    void requireDevice(String device, String ptr, String what) throws ScenarioFileException {
      if (device == null) {
        throw error(ptr, "'" + what + "' needs a device");
      }
    }

    Expectation expectation(JsonNode n, String ptr) throws ScenarioFileException {
      known(n, ptr, EXPECT);
      String type = text(n, ptr, "action", true);
      if (!Occurred.TYPES.contains(type)) {
        throw error(ptr + "/action", "unknown action '" + type + "'; known: " + String.join(", ", Occurred.TYPES));
      }
      Map<String, String> fields = new LinkedHashMap<>();
      for (String k : List.of("device", "service", "layer", "replicas", "key", "value", "rule", "reason", "epoch")) {
        String v = text(n, ptr, k, false);
        if (v != null) {
          fields.put(k, k.equals("layer") ? layer(v, ptr + "/layer").name() : v);
        }
      }
      long from = 0;
      long to = Long.MAX_VALUE;
      String window = "";
      if (n.has("at")) {
        long at = duration(n, ptr, "at", null);
        long within = duration(n, ptr, "within", 0L);
        from = Math.max(0, at - within);
        to = at + within;
        window = text(n, ptr, "at", true) + (within > 0 ? " ±" + text(n, ptr, "within", true) : "");
        if (n.has("after") || n.has("before")) {
          throw error(ptr, "use either at/within or after/before, not both");
        }
      } else {
        if (n.has("within")) {
          throw error(ptr + "/within", "'within' goes with 'at'");
        }
        if (n.has("after")) {
          from = duration(n, ptr, "after", null);
          window = "after " + text(n, ptr, "after", true);
        }
        if (n.has("before")) {
          to = duration(n, ptr, "before", null);
          window = (window.isEmpty() ? "" : window + ", ") + "before " + text(n, ptr, "before", true);
        }
      }
      Integer line = lines.get(ptr);
      try {
        return new Expectation(type, fields, from, to, window, file + (line == null ? "" : ":" + line));
      } catch (IllegalArgumentException e) {
        throw error(ptr, e.getMessage());
      }
    }
  }
}
