package io.evasan.nsc.api;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The cell API package holds types and interfaces only (interfaces, records, enums), and exposes nothing of
 * the layers below the controller or of any impl package — so a client of the API (mgmt-ui, see its
 * ArchitectureTest) never needs them.
 */
class CellApiShapeTest {
    private static final JavaClasses API = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.evasan.nsc.api");

    @Test
    void typesAndInterfacesOnly() {
        classes().that().resideInAPackage("io.evasan.nsc.api")
                .should().beInterfaces().orShould().beRecords().orShould().beEnums()
                .check(API);
    }

    @Test
    void exposesNoLowerLayerAndNoImpl() {
        noClasses().that().resideInAPackage("io.evasan.nsc.api")
                .should().dependOnClassesThat().resideInAnyPackage("io.evasan.raid..", "io.evasan.mld..",
                        "io.evasan.sharing..", "io.evasan.mapping..", "..impl..")
                .check(API);
    }
}
