package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sanctl commands of the last management gaps against a running appliance: {@code snapshot create --policy}
 * (and, when present, the disk-group and host commands).
 */
class SanctlApi2CommandsTest {
    static CliFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new CliFixture();
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void shouldCreateSnapshotsWithAPolicy() {
        ok(f.sanctl("lun", "create", "pol1", "--size", "8M"));
        JsonObject rf = okObject(f.sanctl("snapshot", "create", "pol1", "pol1-rf", "--policy", "RESERVE_FULL", "--json"));
        assertEquals("RESERVE_FULL", rf.getString("policy"));
        JsonObject od = okObject(f.sanctl("snapshot", "create", "pol1", "pol1-od", "--policy", "ON_DEMAND", "--json"));
        assertEquals("ON_DEMAND", od.getString("policy"));
        refused(f.sanctl("snapshot", "create", "pol1", "pol1-x", "--policy", "RESERVED"), 400, "policy");
    }
}
