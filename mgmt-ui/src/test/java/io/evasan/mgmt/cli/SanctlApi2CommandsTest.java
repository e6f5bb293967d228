package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
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
class SanctlApi2CommandsTest extends CliTest {
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

    @Test
    void shouldRegisterShowAndDeleteHosts() throws Exception {
        java.nio.file.Path secret = java.nio.file.Files.createTempFile(f.dir, "chap", ".txt");
        java.nio.file.Files.writeString(secret, "host-secret-0042\n");
        java.nio.file.Path target = java.nio.file.Files.createTempFile(f.dir, "tchap", ".txt");
        java.nio.file.Files.writeString(target, "target-secret-77");
        ok(f.sanctl("lun", "create", "hlun", "--size", "4M"));
        ok(f.sanctl("lun", "present", "hlun", "-i", "iqn.2026-11.cli:h1", "-l", "2"));
        String out = ok(f.sanctl("host", "create", "cli1", "-i", "iqn.2026-11.cli:h1", "-i", "iqn.2026-11.cli:h2",
                "--chap-user", "u1", "--chap-secret-file", secret.toString(),
                "--target-user", "t1", "--target-secret-file", target.toString()));
        assertTrue(out.startsWith("created host cli1, CHAP: mutual, user u1, target user t1"), out);
        assertTrue(!out.contains("host-secret-0042") && !out.contains("target-secret-77"), out);
        TableText t = new TableText(out, "INITIATOR");
        assertEquals("hlun", t.row("INITIATOR", "iqn.2026-11.cli:h1").get("LUN"));
        assertEquals("-", t.row("INITIATOR", "iqn.2026-11.cli:h2").get("LUN"));
        JsonObject stored = okObject(f.sanctl("host", "show", "cli1", "--json"));
        assertEquals("u1", stored.getJsonObject("chap").getString("userName"));

        TableText reg = new TableText(ok(f.sanctl("host", "registered")), "HOST");
        assertEquals("iqn.2026-11.cli:h1,iqn.2026-11.cli:h2", reg.row("HOST", "cli1").get("INITIATORS"));
        TableText list = new TableText(ok(f.sanctl("host", "list")), "INITIATOR");
        assertEquals("2", list.row("INITIATOR", "iqn.2026-11.cli:h1").get("HOST LUN"));

        refused(f.sanctl("host", "create", "cli1", "-i", "iqn.2026-11.cli:h9"), 409, "name");
        refused(f.sanctl("host", "create", "cli2", "-i", "iqn.2026-11.cli:h1"), 409, "initiators");
        refused(f.sanctl("host", "create", "cli2", "-i", "not-an-iqn"), 400, "initiators[0]");
        java.nio.file.Files.writeString(secret, "short");
        refused(f.sanctl("host", "create", "cli2", "-i", "iqn.2026-11.cli:h3", "--chap-user", "u", "--chap-secret-file",
                secret.toString()), 400, "chap.secret");
        SanctlCommandsTest.usage(f.sanctl("host", "create", "cli2", "-i", "iqn.2026-11.cli:h3", "--chap-user", "u"),
                "--chap-user and --chap-secret-file go together");
        SanctlCommandsTest.usage(f.sanctl("host", "create", "cli2", "-i", "iqn.2026-11.cli:h3", "--chap-user", "u",
                "--chap-secret-file", f.dir.resolve("missing.txt").toString()), "cannot read --chap-secret-file");
        SanctlCommandsTest.usage(f.sanctl("host", "create", "cli2"), "Missing required option");
        assertEquals("deleted host cli1\n", ok(f.sanctl("host", "delete", "cli1")));
        refused(f.sanctl("host", "show", "cli1"), 404, "name");
        refused(f.sanctl("host", "delete", "cli1"), 404, "name");
    }
}
