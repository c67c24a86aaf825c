package io.fogwise.protocol.schema;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.Telemetry;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates the JSON Schemas of the protocol's messages ({@code docs/schemas/}) from the
 * message records: one schema per message, nested records under {@code $defs}, field
 * descriptions from the records' {@code @param} Javadoc, and as required every field the codec
 * refuses to go without (tried on the golden messages). After changing a message, regenerate
 * them with {@code mvn -B -o test -pl protocol -Dtest=ProtocolSchemasTest
 * -Dfogwise.schemas.write=true}; {@code ProtocolSchemasTest} fails while the committed schemas
 * differ.
 */
public final class ProtocolSchemas {
  /** A message of the protocol: its schema's name, record, subject and golden examples. */
  public record Message(String name, Class<? extends Record> type, String subject, String direction,
      List<String> goldens) {}

  /** Every message on the bus, in the order {@code docs/protocol.md} lists them. */
  public static final List<Message> MESSAGES = List.of(
      new Message("heartbeat", Heartbeat.class, "fw.hb.<gatewayId>.<deviceId>", "device → gateway",
          List.of("heartbeat.json", "heartbeat-kinds.json", "heartbeat-sensor.json")),
      new Message("telemetry", Telemetry.class, "fw.tm.<gatewayId>.<deviceId>", "device → gateway",
          List.of("telemetry.json", "telemetry-sensor.json")),
      new Message("command", Command.class, "fw.cmd.<gatewayId>.<deviceId>", "gateway → device (request)",
          List.of("command-start.json", "command-activate.json", "command-attach.json", "command-hub-moved.json")),
      new Message("command-reply", CommandReply.class, "reply to a command", "device → gateway (reply)",
          List.of("command-reply-error.json", "command-reply-handover.json")),
      new Message("adaptation-event", AdaptationEvent.class, "fw.ev.<gatewayId>", "gateway → all",
          List.of("event-device-lost.json")),
      new Message("gateway-status", GatewayStatus.class, "fw.gw.<gatewayId>.status", "gateway → all",
          List.of("status.json")),
      new Message("service-request", ServiceRequest.class, "fw.gw.<gatewayId>.svc", "operator → gateway (request)",
          List.of("service-move.json")),
      new Message("service-response", ServiceResponse.class, "reply to a service request",
          "gateway → operator (reply)", List.of()),
      new Message("service-spec", ServiceSpec.class, "in service requests and spec files", "operator → gateway",
          List.of("service-spec.json")),
      new Message("policy-outcome", PolicyOutcome.class, "fw.gw.<gatewayId>.rules", "gateway → cloud", List.of()),
      new Message("data-request", DataRequest.class, "fw.gw.<gatewayId>.cache.get, fw.cloud.data.get",
          "device → gateway → cloud (request)", List.of()),
      new Message("data-reply", DataReply.class, "reply to a data request", "gateway/cloud → requester (reply)",
          List.of()),
      new Message("data-change", DataChange.class, "fw.cloud.data.changes", "cloud → gateways", List.of()),
      new Message("app-message", AppMessage.class, "fw.data.<app>.<channel>", "publisher → subscribers",
          List.of("app-message.json")),
      new Message("subscriber-stats", SubscriberStats.class, "fw.stats.<service>", "subscriber → gateway",
          List.of()));

  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final Pattern PARAM = Pattern.compile("@param\\s+(\\w+)\\s+([^@]*)", Pattern.DOTALL);

  private final Path sourceRoot;
  private final Path goldenRoot;
  /** Instances of records found in the golden messages, to learn which fields are required. */
  private final Map<Class<?>, List<Record>> samples = new LinkedHashMap<>();

  /**
   * @param sourceRoot the protocol module's {@code src/main/java} (for the descriptions)
   * @param goldenRoot the golden messages' directory
   */
  public ProtocolSchemas(Path sourceRoot, Path goldenRoot) throws IOException {
    this.sourceRoot = sourceRoot;
    this.goldenRoot = goldenRoot;
    for (Message m : MESSAGES) {
      for (String g : m.goldens()) {
        collect(MessageCodec.mapper().readValue(Files.readAllBytes(goldenRoot.resolve(g)), m.type()));
      }
    }
  }

  /** File name to schema text, for every message. */
  public Map<String, String> all() throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Message m : MESSAGES) {
      out.put(m.name() + ".schema.json", text(schema(m)));
    }
    return out;
  }

  /** The schema of one message. */
  public ObjectNode schema(Message m) throws IOException {
    Map<String, ObjectNode> defs = new TreeMap<>();
    ObjectNode s = F.objectNode();
    s.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    s.put("title", m.type().getSimpleName());
    s.put("description", classDescription(m.type()) + " Subject: " + m.subject() + " (" + m.direction() + ").");
    s.setAll(record(m.type(), defs));
    if (!defs.isEmpty()) {
      ObjectNode d = s.putObject("$defs");
      defs.forEach(d::set);
    }
    return s;
  }

  private ObjectNode record(Class<?> type, Map<String, ObjectNode> defs) throws IOException {
    ObjectNode s = F.objectNode();
    s.put("type", "object");
    ObjectNode props = s.putObject("properties");
    Map<String, String> docs = params(type);
    List<String> required = new ArrayList<>();
    for (RecordComponent c : type.getRecordComponents()) {
      ObjectNode p = type(c.getGenericType(), defs);
      String doc = docs.get(c.getName());
      if (doc != null) {
        p.put("description", doc);
      }
      props.set(c.getName(), p);
      if (isRequired(type, c)) {
        required.add(c.getName());
      }
    }
    if (!required.isEmpty()) {
      ArrayNode r = s.putArray("required");
      required.forEach(r::add);
    }
    // the codec refuses unknown fields
    s.put("additionalProperties", false);
    return s;
  }

  private ObjectNode type(Type t, Map<String, ObjectNode> defs) throws IOException {
    ObjectNode s = F.objectNode();
    if (t instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      Type[] args = pt.getActualTypeArguments();
      if (Collection.class.isAssignableFrom(raw)) {
        s.put("type", "array");
        s.set("items", type(args[0], defs));
        return s;
      }
      if (Map.class.isAssignableFrom(raw)) {
        s.put("type", "object");
        s.set("additionalProperties", type(args[1], defs));
        return s;
      }
      throw new IllegalArgumentException("no schema for " + t);
    }
    Class<?> c = (Class<?>) t;
    if (c == String.class) {
      s.put("type", "string");
    } else if (c == byte[].class) {
      s.put("type", "string");
      s.put("contentEncoding", "base64");
    } else if (c == long.class || c == int.class || c == Long.class || c == Integer.class) {
      s.put("type", "integer");
    } else if (c == double.class || c == Double.class || c == float.class || c == Float.class) {
      s.put("type", "number");
    } else if (c == boolean.class || c == Boolean.class) {
      s.put("type", "boolean");
    } else if (c.isEnum()) {
      s.put("type", "string");
      ArrayNode e = s.putArray("enum");
      for (Object v : c.getEnumConstants()) {
        e.add(((Enum<?>) v).name());
      }
    } else if (c.isRecord()) {
      String name = c.getEnclosingClass() != null ? c.getEnclosingClass().getSimpleName() + c.getSimpleName()
          : c.getSimpleName();
      if (!defs.containsKey(name)) {
        defs.put(name, F.objectNode()); // recursion guard
        ObjectNode d = F.objectNode();
        String doc = classDescription(c);
        if (!doc.isEmpty()) {
          d.put("description", doc);
        }
        d.setAll(record(c, defs));
        defs.put(name, d);
      }
      s.put("$ref", "#/$defs/" + name);
    } else {
      throw new IllegalArgumentException("no schema for " + c);
    }
    return s;
  }

  /**
   * Whether the codec refuses a message without the field: tried on every sample of the record
   * found in the golden messages (its encoding, the field removed, decoded again). A field is
   * required when no sample decodes without it; with no sample, none is.
   */
  private boolean isRequired(Class<?> type, RecordComponent c) {
    List<Record> found = samples.getOrDefault(type, List.of());
    if (found.isEmpty()) {
      return false;
    }
    for (Record sample : found) {
      ObjectNode json = MessageCodec.mapper().valueToTree(sample);
      json.remove(c.getName());
      try {
        MessageCodec.decode(MessageCodec.mapper().writeValueAsBytes(json), type);
        return false; // accepted without it at least once
      } catch (RejectedMessageException refused) {
        // maybe required only in some cases (e.g. one action): try the next sample
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return true;
  }

  private void collect(Object o) {
    if (o instanceof Record r) {
      samples.computeIfAbsent(r.getClass(), k -> new ArrayList<>()).add(r);
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        try {
          collect(c.getAccessor().invoke(r));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
    } else if (o instanceof Collection<?> c) {
      c.forEach(this::collect);
    } else if (o instanceof Map<?, ?> m) {
      m.values().forEach(this::collect);
    }
  }

  /** The record's {@code @param} descriptions, from its source file. */
  private Map<String, String> params(Class<?> type) throws IOException {
    String doc = javadoc(type);
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = PARAM.matcher(doc);
    while (m.find()) {
      out.put(m.group(1), clean(m.group(2)));
    }
    return out;
  }

  /** The first sentence of the record's Javadoc, from its source file. */
  private String classDescription(Class<?> type) throws IOException {
    String doc = javadoc(type);
    int at = doc.indexOf("@param");
    String text = clean(at >= 0 ? doc.substring(0, at) : doc);
    int p = text.indexOf("<p>");
    text = p >= 0 ? text.substring(0, p).trim() : text;
    return text;
  }

  /** The Javadoc comment right before the declaration of {@code type} (a top-level or nested record). */
  private String javadoc(Class<?> type) throws IOException {
    Class<?> top = type;
    while (top.getEnclosingClass() != null) {
      top = top.getEnclosingClass();
    }
    Path file = sourceRoot.resolve(top.getName().replace('.', '/') + ".java");
    String src = Files.readString(file, StandardCharsets.UTF_8);
    Matcher decl = Pattern.compile("\\brecord\\s+" + type.getSimpleName() + "\\s*\\(").matcher(src);
    if (!decl.find()) {
      return "";
    }
    int end = src.lastIndexOf("*/", decl.start());
    int start = src.lastIndexOf("/**", end);
    if (end < 0 || start < 0 || !src.substring(end + 2, decl.start()).replaceAll("@\\w+(\\([^)]*\\))?", "")
        .replaceAll("public|static|final", "").isBlank()) {
      return "";
    }
    return src.substring(start + 3, end);
  }

  private static String clean(String javadoc) {
    String s = javadoc.replaceAll("(?m)^\\s*\\*\\s?", " ");
    // code keeps its angle brackets (fw.hb.<gatewayId>...); HTML tags go
    Matcher code = Pattern.compile("\\{@(?:code|link|linkplain|literal)\\s+([^}]*)}").matcher(s);
    StringBuilder b = new StringBuilder();
    while (code.find()) {
      code.appendReplacement(b, Matcher.quoteReplacement(code.group(1).replace('<', '\u0001').replace('>', '\u0002')));
    }
    code.appendTail(b);
    s = b.toString().replaceAll("<[^>]+>", "").replaceAll("\\s+", " ").trim();
    return s.replace('\u0001', '<').replace('\u0002', '>')
        .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }

  static String text(ObjectNode schema) throws IOException {
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
    return MessageCodec.mapper().copy().writer(pp).writeValueAsString(schema) + "\n";
  }

  /** A golden message's bytes. */
  public byte[] golden(String name) throws IOException {
    try (InputStream in = Files.newInputStream(goldenRoot.resolve(name))) {
      return in.readAllBytes();
    }
  }
}
