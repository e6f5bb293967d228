package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void shouldCreateDiskGroups() {
        String out = ok(f.sanctl("group", "create", "cg1", "--drives", "6", "--size", "64M"));
        assertTrue(out.startsWith("created disk group 1 cg1: 6 drives, "), out);
        TableText drives = new TableText(out, "GROUP");
        assertEquals("AVAILABLE", drives.row("DRIVE", "5").get("STATE"));
        JsonObject g = okObject(f.sanctl("group", "create", "cg2", "-n", "6", "--sizes", "64M,64M,64M,96M,96M,96M", "--json"));
        assertEquals(100663296L, g.getJsonArray("drives").getJsonObject(5).getLong("capacityBytes"));
        refused(f.sanctl("group", "create", "cg1", "-n", "6", "-s", "64M"), 409, "name");
        refused(f.sanctl("group", "create", "cg3", "-n", "5", "-s", "64M"), 400, "drives");
        refused(f.sanctl("group", "create", "cg3", "-n", "6", "--sizes", "64M,64M"), 400, "driveSizeBytes");
        SanctlCommandsTest.usage(f.sanctl("group", "create", "cg3", "-n", "6"), "Missing required argument");
        SanctlCommandsTest.usage(f.sanctl("group", "create", "cg3", "-n", "6", "-s", "64M", "--sizes", "64M"), "mutually exclusive");
        TableText groups = new TableText(ok(f.sanctl("pool", "show")), "GROUP");
        assertEquals("6", groups.row("NAME", "cg1").get("DRIVES"));
    }
}
