package io.fogwise.cloud.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The cloud service's packages: the data store is a room of its own that the service uses, not the other way;
 * mining is pure computation over a history snapshot.
 */
class ArchitectureTest {
  private static final JavaClasses CLOUD = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.fogwise.cloud");

  @Test
  void cloudPackagesHaveNoCycles() {
    slices().matching("io.fogwise.(**)").should().beFreeOfCycles().check(CLOUD);
  }

  @Test
  void theMinersHistoryDoesNotKnowTheServiceNorTheDataStore() {
    noClasses().that().resideInAPackage("io.fogwise.cloud.history..")
        .should().dependOnClassesThat().resideInAnyPackage("io.fogwise.cloud", "io.fogwise.cloud.data..")
        .check(CLOUD);
  }

  @Test
  void miningIsComputationOverASnapshot() {
    // the miners read a History and return a MiningResult: no NATS, no store, no publishing
    noClasses().that().resideInAPackage("io.fogwise.cloud.mining..")
        .should().dependOnClassesThat().resideInAnyPackage("io.nats..", "io.fogwise.cloud.publish..",
            "io.fogwise.cloud.data..")
        .check(CLOUD);
  }

  @Test
  void theDataStoreDoesNotKnowTheService() {
    noClasses().that().resideInAPackage("io.fogwise.cloud.data..")
        .should().dependOnClassesThat().resideInAPackage("io.fogwise.cloud").check(CLOUD);
  }
}
