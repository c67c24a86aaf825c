package io.fogwise.edge.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The agent and the services it hosts do not depend on each other both ways. */
class ArchitectureTest {

  @Test
  void edgePackagesHaveNoCycles() {
    slices().matching("io.fogwise.(**)").should().beFreeOfCycles()
        .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.fogwise.edge"));
  }
}
