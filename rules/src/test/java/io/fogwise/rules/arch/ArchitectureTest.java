package io.fogwise.rules.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Rule authoring does no I/O over NATS (distribution is the policy module's) and has no package cycles. */
class ArchitectureTest {
  private static JavaClasses rules;

  @BeforeAll
  static void importClasses() {
    rules = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.fogwise.rules");
  }

  @Test
  void rulesUseNoNats() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("io.nats..", "io.vertx..")
        .because("rules is authoring: fact model, actions, packs, sandbox, compiler and host")
        .check(rules);
  }

  @Test
  void rulesPackagesHaveNoCycles() {
    slices().matching("io.fogwise.(**)").should().beFreeOfCycles().check(rules);
  }
}
