package io.fogwise.protocol.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.fogwise.protocol.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed JSON Schemas ({@code docs/schemas}) are what the generator makes of the records
 * today, every golden message is valid against its message's schema, and the schemas do refuse:
 * a missing required field, an unknown field, a wrong type.
 */
class ProtocolSchemasTest {
  private static final Path DOCS = Path.of("..", "docs");
  private static final Path GOLDEN = Path.of("src/test/resources/golden");
  private static ProtocolSchemas generator;

  @BeforeAll
  static void generate() throws Exception {
    generator = new ProtocolSchemas(Path.of("src/main/java"), GOLDEN);
  }

  @Test
  void theCommittedSchemasAreTheGeneratedOnes() throws Exception {
    Map<String, String> want = generator.all();
    Path dir = DOCS.resolve("schemas");
    if (Boolean.getBoolean("fogwise.schemas.write")) {
      Files.createDirectories(dir);
      for (Map.Entry<String, String> e : want.entrySet()) {
        Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
      }
    }
    Set<String> committed;
    try (Stream<Path> s = Files.list(dir)) {
      committed = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".schema.json"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
    String regenerate = "; regenerate them with: mvn -B -o test -pl protocol -Dtest=ProtocolSchemasTest"
        + " -Dfogwise.schemas.write=true";
    assertEquals(want.keySet(), committed, "the schema files in " + dir + regenerate);
    for (Map.Entry<String, String> e : want.entrySet()) {
      assertEquals(e.getValue(), Files.readString(dir.resolve(e.getKey()), StandardCharsets.UTF_8),
          e.getKey() + " differs from what the records say" + regenerate);
    }
  }

  @Test
  void everyGoldenMessageIsValidAgainstItsSchema() throws Exception {
    int checked = 0;
    for (ProtocolSchemas.Message m : ProtocolSchemas.MESSAGES) {
      Schema schema = schema(m);
      for (String g : m.goldens()) {
        JsonNode message = MessageCodec.mapper().readTree(generator.golden(g));
        assertEquals(List.of(), schema.validate(message), g + " against " + m.name() + ".schema.json");
        checked++;
      }
    }
    assertTrue(checked >= 15, "golden messages checked: " + checked);
  }

  @Test
  void theSchemasRefuseWhatTheCodecRefuses() throws Exception {
    ProtocolSchemas.Message hb = ProtocolSchemas.MESSAGES.get(0);
    Schema schema = schema(hb);
    ObjectNode golden = (ObjectNode) MessageCodec.mapper().readTree(generator.golden("heartbeat.json"));

    ObjectNode missing = golden.deepCopy();
    missing.remove("deviceId");
    assertFalse(schema.validate(missing).isEmpty(), "deviceId is required");

    ObjectNode unknown = golden.deepCopy();
    unknown.put("colour", "blue");
    assertFalse(schema.validate(unknown).isEmpty(), "unknown fields are refused");

    ObjectNode wrongType = golden.deepCopy();
    wrongType.put("seq", "forty-two");
    assertFalse(schema.validate(wrongType).isEmpty(), "seq is an integer");

    ObjectNode badLayer = golden.deepCopy();
    badLayer.put("layer", "ORBIT");
    assertFalse(schema.validate(badLayer).isEmpty(), "layer is CLOUD, FOG or EDGE");
  }

  private static Schema schema(ProtocolSchemas.Message m) throws Exception {
    // resolved offline: the schemas refer only to their own $defs
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
        .getSchema(generator.schema(m));
  }
}
