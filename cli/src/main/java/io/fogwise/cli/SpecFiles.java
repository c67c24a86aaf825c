package io.fogwise.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceSpec;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Reads service spec files (YAML, possibly several {@code ---} documents, or JSON) and validates
 * every document exactly as the gateway will: by decoding it with {@link MessageCodec}.
 */
final class SpecFiles {
  /** Keeps {@code version: 1.10} as written instead of normalising it to 1.1. */
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
  private static final YAMLFactory YAML = new YAMLFactory();
  private static final JsonFactory JSON = new JsonFactory();

  private SpecFiles() {}

  /** One valid spec and where it came from. */
  record Document(Path file, int index, int line, ServiceSpec spec) {}

  /** Every problem found in the files, one line each, naming file, document, line and field. */
  static final class InvalidSpecs extends Exception {
    private final List<String> problems;

    InvalidSpecs(List<String> problems) {
      super(String.join("\n", problems), null, false, false);
      this.problems = List.copyOf(problems);
    }

    List<String> problems() {
      return problems;
    }
  }

  /**
   * Reads and validates all documents of all files; nothing is returned unless every one is
   * valid, so a caller never applies half a set.
   */
  static List<Document> read(List<Path> files) throws InvalidSpecs {
    Objects.requireNonNull(files, "files");
    List<Document> docs = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Path file : files) {
      readFile(file, docs, problems);
    }
    Map<String, Document> byName = new HashMap<>();
    for (Document d : docs) {
      Document first = byName.putIfAbsent(d.spec().name(), d);
      if (first != null) {
        problems.add(where(d.file(), d.index(), d.line()) + "field 'name': service '" + d.spec().name()
            + "' is already declared in " + first.file() + " document " + first.index() + " (line " + first.line() + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidSpecs(problems);
    }
    return List.copyOf(docs);
  }

  private static void readFile(Path file, List<Document> docs, List<String> problems) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
    if (!yaml && !name.endsWith(".json")) {
      problems.add(file + ": not a spec file: the name must end in .yaml, .yml or .json");
      return;
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      problems.add(file + ": no such file");
      return;
    } catch (IOException e) {
      problems.add(file + ": cannot read: " + e.getMessage());
      return;
    }
    int index = 0;
    int found = 0;
    boolean inDocument = false;
    try (JsonParser p = yaml ? YAML.createParser(bytes) : JSON.createParser(bytes)) {
      while (p.nextToken() != null) {
        index++;
        int line = p.currentTokenLocation().getLineNr();
        Map<String, Integer> lines = new HashMap<>();
        JsonNode tree;
        inDocument = true;
        try {
          tree = readValue(p, "", lines);
        } catch (Problem pr) {
          found++;
          problems.add(where(file, index, pr.line) + pr.getMessage());
          skipValue(p);
          inDocument = false;
          continue;
        }
        inDocument = false; // a syntax error from here on is in the next document
        if (tree.isNull()) {
          continue; // an empty document, e.g. after a trailing '---'
        }
        found++;
        if (!tree.isObject()) {
          problems.add(where(file, index, line) + "not a service spec: expected a mapping of fields (name, kind, "
              + "placement, ...), got " + describe(tree));
          continue;
        }
        try {
          ServiceSpec spec = MessageCodec.decode(MessageCodec.mapper().writeValueAsBytes(tree), ServiceSpec.class);
          docs.add(new Document(file, index, line, spec));
        } catch (RejectedMessageException e) {
          Integer fieldLine = lineOf(e.field(), lines);
          problems.add(where(file, index, fieldLine != null ? fieldLine : line) + explain(e));
        }
      }
    } catch (JsonProcessingException e) {
      problems.add(syntaxError(file, inDocument ? index : index + 1, e, yaml));
      return;
    } catch (IOException e) {
      problems.add(file + ": cannot read: " + e.getMessage());
      return;
    }
    if (found == 0) {
      problems.add(file + ": no service spec in the file" + (index == 0 ? " (it is empty)" : " (only empty documents)"));
    }
  }

  /** Builds the tree of one value, recording the line of every field by its dotted path. */
  private static JsonNode readValue(JsonParser p, String path, Map<String, Integer> lines) throws IOException {
    JsonToken t = p.currentToken();
    if (p instanceof YAMLParser y && y.isCurrentAlias()) {
      throw new Problem(p.currentTokenLocation().getLineNr(),
          (path.isEmpty() ? "" : "field '" + path + "': ") + "YAML aliases (*" + p.getText() + ") are not supported; write the value out");
    }
    switch (t) {
      case START_OBJECT: {
        ObjectNode o = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          String child = path.isEmpty() ? name : path + "." + name;
          int line = p.currentTokenLocation().getLineNr();
          if (o.has(name)) {
            throw new Problem(line, "field '" + child + "': appears twice (first at line " + lines.get(child) + ")");
          }
          lines.put(child, line);
          p.nextToken();
          o.set(name, readValue(p, child, lines));
        }
        return o;
      }
      case START_ARRAY: {
        ArrayNode a = NODES.arrayNode();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          String child = path + "[" + i++ + "]";
          lines.put(child, p.currentTokenLocation().getLineNr());
          a.add(readValue(p, child, lines));
        }
        return a;
      }
      case VALUE_STRING:
        return NODES.textNode(p.getText());
      case VALUE_NUMBER_INT:
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? NODES.numberNode(p.getBigIntegerValue()) : NODES.numberNode(p.getLongValue());
      case VALUE_NUMBER_FLOAT:
        return NODES.numberNode(p.getDecimalValue());
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      default:
        throw new Problem(p.currentTokenLocation().getLineNr(),
            (path.isEmpty() ? "" : "field '" + path + "': ") + "unsupported value '" + p.getText() + "'");
    }
  }

  private static void skipValue(JsonParser p) throws IOException {
    while (p.currentToken() != null && p.getParsingContext().getParent() != null) {
      p.nextToken();
    }
  }

  /** The line of {@code field}, or of its nearest enclosing field (a missing field has none). */
  private static Integer lineOf(String field, Map<String, Integer> lines) {
    String f = field;
    while (f != null && !f.isEmpty()) {
      Integer line = lines.get(f);
      if (line != null) {
        return line;
      }
      int cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      f = cut < 0 ? null : f.substring(0, cut);
    }
    return null;
  }

  /** The codec's rejection as {@code field 'x': reason}, with the allowed values where they help. */
  static String explain(RejectedMessageException e) {
    String m = e.getMessage();
    String prefix = ServiceSpec.class.getSimpleName() + ": ";
    if (m.startsWith(prefix)) {
      m = m.substring(prefix.length());
    }
    String field = e.field();
    if (field == null) {
      return m;
    }
    String reason;
    if (m.equals("unknown field '" + field + "'")) {
      reason = "unknown field";
      List<String> known = fieldsOf(typeAt(parentOf(field)));
      if (!known.isEmpty()) {
        reason += "; known fields: " + String.join(", ", known);
      }
    } else if (m.equals("missing field '" + field + "'")) {
      reason = "missing";
    } else if (m.startsWith("field '" + field + "' ")) {
      reason = m.substring(("field '" + field + "' ").length());
      Class<?> type = typeAt(field);
      if (type != null && type.isEnum() && reason.startsWith("has invalid value")) {
        reason += "; one of " + Arrays.stream(type.getEnumConstants()).map(String::valueOf).collect(Collectors.joining(", "));
      }
    } else {
      reason = m;
    }
    return "field '" + field + "': " + reason;
  }

  /** The type of a dotted path in a spec, following record components; null when unknown. */
  private static Class<?> typeAt(String path) {
    Class<?> type = ServiceSpec.class;
    if (path == null || path.isEmpty()) {
      return type;
    }
    for (String segment : path.split("\\.")) {
      if (type == null || !type.isRecord() || segment.contains("[")) {
        return null;
      }
      Class<?> next = null;
      for (RecordComponent c : type.getRecordComponents()) {
        if (c.getName().equals(segment)) {
          next = c.getType();
        }
      }
      type = next;
    }
    return type;
  }

  private static String parentOf(String field) {
    int cut = field.lastIndexOf('.');
    return cut < 0 ? "" : field.substring(0, cut);
  }

  private static List<String> fieldsOf(Class<?> type) {
    if (type == null || !type.isRecord()) {
      return List.of();
    }
    return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
  }

  private static String syntaxError(Path file, int index, JsonProcessingException e, boolean yaml) {
    String problem = firstLine(e.getOriginalMessage());
    int line = e.getLocation() != null ? e.getLocation().getLineNr() : -1;
    // SnakeYAML says what is wrong and where more precisely than the location Jackson reports.
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblem() != null) {
        problem = m.getProblem();
        if (m.getProblemMark() != null) {
          line = m.getProblemMark().getLine() + 1;
        }
        break;
      }
    }
    if (e instanceof JsonParseException && !yaml) {
      problem = problem.replaceAll(" at \\[Source.*$", "");
    }
    return where(file, index, line) + "not valid " + (yaml ? "YAML" : "JSON") + ": " + problem.strip();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String describe(JsonNode n) {
    if (n.isArray()) {
      return "a list";
    }
    return n.isTextual() ? "the text '" + abbreviate(n.asText()) + "'" : "the value " + abbreviate(n.toString());
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static String where(Path file, int index, int line) {
    return file + ": document " + index + (line > 0 ? " (line " + line + ")" : "") + ": ";
  }

  /** A problem found while building a tree, before the codec sees it. */
  private static final class Problem extends IOException {
    final int line;

    Problem(int line, String message) {
      super(message);
      this.line = line;
    }
  }
}
