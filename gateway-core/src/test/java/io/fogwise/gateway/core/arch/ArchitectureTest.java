package io.fogwise.gateway.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The decision core stays free of Vert.x, NATS and Micrometer, and its packages have no cycles. */
class ArchitectureTest {
  private static JavaClasses core;

  @BeforeAll
  static void importClasses() {
    core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.fogwise.gateway.core");
  }

  @Test
  void theCoreUsesNoVertxNatsOrMicrometer() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.nats..", "io.micrometer..")
        .because("gateway-core is the decision core the gateway, tests and the scenario kit share; transports and "
            + "meters are adapters in gateway-runtime")
        .check(core);
  }

  @ParameterizedTest
  @ValueSource(strings = {"io.vertx.core.Vertx", "io.nats.client.Connection", "io.micrometer.core.instrument.MeterRegistry"})
  void theyAreNotEvenOnItsClassPath(String className) {
    assertThrows(ClassNotFoundException.class, () -> Class.forName(className));
  }

  @Test
  void itsPackagesHaveNoCycles() {
    slices().matching("io.fogwise.(**)").should().beFreeOfCycles().check(core);
  }
}
