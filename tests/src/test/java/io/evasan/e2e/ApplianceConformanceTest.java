package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.iscsi.realclient.IscsiTestCu;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * libiscsi's iscsi-test-cu against the whole appliance, not a RAM disk: a thin RAID0 LUN on the
 * sparse-file pool, through the controller's write-back cache, the sharing tree and the mapping.
 * Same honest rules as the iscsi module's run (one process per suite, -d -v, two connections,
 * skips counted apart); fails on any failure or skip in the claimed suites; the table goes to
 * {@code target/iscsi-test-cu-appliance.md}.
 */
class ApplianceConformanceTest {
    @TempDir
    Path dir;

    @Test
    void shouldPassClaimedIscsiTestCuSuitesAgainstTheAppliance() throws Exception {
        Clients.require("iscsi-test-cu");
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir.resolve("data"), "127.0.0.1", 0,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID0, 100L << 20, true, false, "127.0.0.1", 0);
        List<IscsiTestCu.SuiteResult> results;
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            results = IscsiTestCu.runAll(app.iscsiUrl(0), Paths.get("target", "iscsi-test-cu-appliance"), 600);
        }
        String report = IscsiTestCu.report(results);
        Files.writeString(Paths.get("target", "iscsi-test-cu-appliance.md"), report, StandardCharsets.UTF_8);
        System.out.println(report);
        assertEquals(List.of(), IscsiTestCu.problems(results),
                "claimed suites must pass fully against the appliance; see target/iscsi-test-cu-appliance/<suite>.log");
    }
}
