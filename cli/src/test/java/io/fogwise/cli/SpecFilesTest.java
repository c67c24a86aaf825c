package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecFilesTest {
  @TempDir Path dir;

  private Path file(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  private List<String> problems(Path... files) {
    return assertThrows(SpecFiles.InvalidSpecs.class, () -> SpecFiles.read(List.of(files))).problems();
  }

  private static void assertContains(String text, String... parts) {
    for (String p : parts) {
      assertTrue(text.contains(p), "expected '" + p + "' in: " + text);
    }
  }

  @Test
  void readsAValidYamlSpecWithDefaults() throws Exception {
    Path f = file("pub.yaml", """
        name: publisher
        kind: publisher
        placement:
          layer: EDGE
          labels: {pub: "true"}
        config:
          app: demo
          rateHz: 100
        version: 1.10
        """);
    List<SpecFiles.Document> docs = SpecFiles.read(List.of(f));
    assertEquals(1, docs.size());
    ServiceSpec s = docs.get(0).spec();
    assertEquals("publisher", s.name());
    assertEquals(new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")), s.placement());
    assertEquals(Map.of("app", "demo", "rateHz", "100"), s.config());
    assertEquals("1.10", s.version(), "a version is kept as written");
    assertEquals(1, s.replicas());
    assertEquals(false, s.critical());
    assertNull(s.latencyObjectiveMs());
    assertEquals(1, docs.get(0).index());
    assertEquals(1, docs.get(0).line());
  }

  @Test
  void readsEveryDocumentOfAMultiDocumentFileAndSkipsEmptyOnes() throws Exception {
    Path f = file("subs.yml", """
        ---
        name: a
        kind: subscriber
        ---
        # nothing here
        ---
        name: b
        kind: subscriber
        replicas: 3
        ---
        """);
    List<SpecFiles.Document> docs = SpecFiles.read(List.of(f));
    assertEquals(List.of("a", "b"), docs.stream().map(d -> d.spec().name()).toList());
    assertEquals(List.of(1, 3), docs.stream().map(SpecFiles.Document::index).toList());
    assertEquals(List.of(2, 7), docs.stream().map(SpecFiles.Document::line).toList());
    assertEquals(3, docs.get(1).spec().replicas());
  }

  @Test
  void readsJson() throws Exception {
    Path f = file("svc.json", """
        {"name": "api", "image": "nginx:1.27", "replicas": 2, "critical": true, "latencyObjectiveMs": 50,
         "placement": {"layer": "FOG"}}
        """);
    ServiceSpec s = SpecFiles.read(List.of(f)).get(0).spec();
    assertEquals("nginx:1.27", s.image());
    assertEquals(2, s.replicas());
    assertEquals(true, s.critical());
    assertEquals(50L, s.latencyObjectiveMs());
    assertEquals(Layer.FOG, s.placement().layer());
  }

  @Test
  void theExamplesAreValid() throws Exception {
    Path examples = Path.of("..", "docs", "examples");
    List<SpecFiles.Document> docs =
        SpecFiles.read(List.of(examples.resolve("publisher.yaml"), examples.resolve("subscribers.yaml")));
    assertEquals(List.of("publisher", "sub-cloud", "sub-edge"), docs.stream().map(d -> d.spec().name()).toList());
    assertEquals("publisher (publisher, 1 replica, EDGE {pub=true})", ServiceCommand.summary(docs.get(0).spec()));
    assertEquals("sub-edge (subscriber, 1 replica, EDGE {sub=true})", ServiceCommand.summary(docs.get(2).spec()));
  }

  @Test
  void anUnknownFieldIsNamedByItsPathAndLine() throws Exception {
    Path f = file("subs.yaml", """
        name: a
        kind: subscriber
        ---
        name: b
        kind: subscriber
        placement:
          layer: EDGE
          lables:
            sub: "true"
        """);
    List<String> problems = problems(f);
    assertEquals(1, problems.size(), problems.toString());
    assertEquals(f + ": document 2 (line 8): field 'placement.lables': unknown field; known fields: layer, labels",
        problems.get(0));
  }

  @Test
  void negativeReplicasAreRejectedWithTheProtocolsReason() throws Exception {
    Path f = file("pub.yaml", """
        name: publisher
        kind: publisher
        replicas: -1
        """);
    assertEquals(List.of(f + ": document 1 (line 3): field 'replicas': must be within [0, 100], got -1"), problems(f));
  }

  @Test
  void aBadLayerListsTheLayers() throws Exception {
    Path f = file("pub.yaml", """
        name: publisher
        kind: publisher
        placement:
          layer: BOTTOM
        """);
    String p = problems(f).get(0);
    assertContains(p, f + ": document 1 (line 4): field 'placement.layer': has invalid value BOTTOM",
        "one of CLOUD, FOG, EDGE");
  }

  @Test
  void aMissingFieldPointsAtTheDocument() throws Exception {
    Path f = file("x.yaml", """
        # a comment

        kind: publisher
        """);
    assertEquals(List.of(f + ": document 1 (line 3): field 'name': missing"), problems(f));
  }

  @Test
  void somethingThatIsNotYamlAtAll() throws Exception {
    Path f = file("junk.yaml", "name: a\nkind: b\n\tplacement: : [\n");
    String p = problems(f).get(0);
    assertContains(p, f + ": document 1 (line 3): not valid YAML: ");
    Path text = file("prose.yaml", "This is not a spec, just a sentence.\n");
    assertContains(problems(text).get(0), text + ": document 1 (line 1): not a service spec: expected a mapping");
    Path json = file("bad.json", "{\"name\": \"a\",\n \"kind\": }");
    assertContains(problems(json).get(0), json + ": document 1 (line 2): not valid JSON: ");
  }

  @Test
  void anEmptyFileHoldsNoSpec() throws Exception {
    Path f = file("empty.yaml", "");
    assertEquals(List.of(f + ": no service spec in the file (it is empty)"), problems(f));
    Path g = file("comments.yaml", "# nothing\n---\n");
    assertEquals(List.of(g + ": no service spec in the file (only empty documents)"), problems(g));
  }

  @Test
  void everyProblemOfEveryFileIsReportedAndNothingIsReturned() throws Exception {
    Path good = file("good.yaml", "name: a\nkind: subscriber\n");
    Path bad = file("bad.yaml", "name: b\nkind: subscriber\nreplicas: 101\n---\nname: c\nkind: x\ncolour: red\n");
    List<String> problems = problems(good, bad);
    assertEquals(2, problems.size(), problems.toString());
    assertContains(problems.get(0), bad + ": document 1 (line 3): field 'replicas'");
    assertContains(problems.get(1), bad + ": document 2 (line 7): field 'colour': unknown field; known fields: name, kind");
  }

  @Test
  void aServiceDeclaredTwiceIsAnError() throws Exception {
    Path a = file("a.yaml", "name: a\nkind: subscriber\n");
    Path b = file("b.json", "{\"name\": \"a\", \"kind\": \"publisher\"}");
    assertEquals(List.of(b + ": document 1 (line 1): field 'name': service 'a' is already declared in " + a
        + " document 1 (line 1)"), problems(a, b));
  }

  @Test
  void duplicateKeysAliasesAndOtherExtensionsAreRejected() throws Exception {
    Path dup = file("dup.yaml", "name: a\nkind: subscriber\nname: b\n");
    assertEquals(List.of(dup + ": document 1 (line 3): field 'name': appears twice (first at line 1)"), problems(dup));
    Path alias = file("alias.yaml", "name: &n a\nkind: *n\n---\nname: ok\nkind: subscriber\nreplicas: -5\n");
    List<String> problems = problems(alias);
    assertContains(problems.get(0), alias + ": document 1 (line 2): field 'kind': YAML aliases");
    assertContains(problems.get(1), alias + ": document 2 (line 6): field 'replicas'");
    Path txt = file("spec.txt", "name: a\n");
    assertEquals(List.of(txt + ": not a spec file: the name must end in .yaml, .yml or .json"), problems(txt));
    assertEquals(List.of(dir.resolve("nope.yaml") + ": no such file"), problems(dir.resolve("nope.yaml")));
  }
}
