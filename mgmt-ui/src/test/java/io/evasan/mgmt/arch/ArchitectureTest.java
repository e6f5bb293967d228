package io.evasan.mgmt.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * "The cell API is the only door" (issue 12): the management appliance's main code reaches the storage
 * stack only through {@code io.evasan.nsc.api} (and the controller's public, non-impl packages). It may not
 * depend on the layers below the controller ({@code io.evasan.raid}, {@code io.evasan.mld},
 * {@code io.evasan.sharing}, {@code io.evasan.mapping}) nor on any {@code impl} package outside mgmt-ui.
 *
 * <p>History: introduced as a {@code FreezingArchRule} over the 274 violations of the time (commit "mgmt-ui:
 * ArchUnit rule ..."); the moves behind {@code io.evasan.nsc.api} emptied its store, so it is now a plain rule:
 * any violation fails the build. Should debt ever have to be tolerated again, wrap the rule in
 * {@code FreezingArchRule.freeze(...)} with a committed store rather than weakening it.
 */
class ArchitectureTest {
    private static final JavaClasses MGMT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.evasan.mgmt");

    static final ArchRule ONLY_THE_CELL_API = noClasses()
            .that().resideInAPackage("io.evasan.mgmt..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.evasan.raid..", "io.evasan.mld..", "io.evasan.sharing..", "io.evasan.mapping..")
            .orShould().dependOnClassesThat(
                    com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage("io.evasan..impl..")
                            .and(com.tngtech.archunit.base.DescribedPredicate.not(
                                    com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage("io.evasan.mgmt..")))
                            .as("an impl package of another module"))
            .as("mgmt-ui reaches the cell only through io.evasan.nsc.api (no raid, mld, sharing, mapping or foreign impl)");

    /**
     * Within the controller's module, only the cell API and the value types its methods name: not the
     * {@code Controller} class, its configuration, the cache, the services or the cell's implementation.
     */
    static final ArchRule ONLY_THE_API_OF_THE_CONTROLLER = noClasses()
            .that().resideInAPackage("io.evasan.mgmt..")
            .should().dependOnClassesThat(
                    com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage("io.evasan.nsc..")
                            .and(com.tngtech.archunit.base.DescribedPredicate.not(
                                    com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage(
                                            "io.evasan.nsc.api..", "io.evasan.nsc.lun", "io.evasan.nsc.marker",
                                            "io.evasan.nsc.backup")))
                            .as("a class of nsc-controller outside its cell API (io.evasan.nsc.api) and value types"))
            .as("mgmt-ui reaches the controller only through io.evasan.nsc.api (no Controller, cache, service or cell impl)");

    @Test
    void mgmtReachesTheControllerOnlyThroughItsApi() {
        ONLY_THE_API_OF_THE_CONTROLLER.check(MGMT);
    }

    @Test
    void mgmtUsesOnlyTheCellApi() {
        ONLY_THE_CELL_API.check(MGMT);
    }
}
