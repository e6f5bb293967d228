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

    @Test
    void shouldUpdateAHostsInitiatorsAndSecrets() throws Exception {
        java.nio.file.Path secret = java.nio.file.Files.createTempFile(f.dir, "chap", ".txt");
        java.nio.file.Files.writeString(secret, "upd-secret-00001\n");
        java.nio.file.Path rotated = java.nio.file.Files.createTempFile(f.dir, "chap2", ".txt");
        java.nio.file.Files.writeString(rotated, "upd-secret-00002\n");
        java.nio.file.Path target = java.nio.file.Files.createTempFile(f.dir, "tchap", ".txt");
        java.nio.file.Files.writeString(target, "upd-target-0003");
        ok(f.sanctl("lun", "create", "ulun", "--size", "4M"));
        ok(f.sanctl("lun", "present", "ulun", "-i", "iqn.2026-11.cli:u1", "-l", "5"));
        ok(f.sanctl("host", "create", "upd", "-i", "iqn.2026-11.cli:u1", "--chap-user", "uu", "--chap-secret-file", secret.toString()));

        String out = ok(f.sanctl("host", "update", "upd", "--chap-secret-file", rotated.toString(),
                "--target-user", "ut", "--target-secret-file", target.toString()));
        assertTrue(out.startsWith("updated host upd, CHAP: mutual, user uu, target user ut"), out);
        assertTrue(!out.contains("upd-secret-0000") && !out.contains("upd-target-0003"), out);

        out = ok(f.sanctl("host", "update", "upd", "-i", "iqn.2026-11.cli:u2", "-i", "iqn.2026-11.cli:u3"));
        TableText t = new TableText(out, "INITIATOR");
        assertEquals("ulun", t.row("INITIATOR", "iqn.2026-11.cli:u2").get("LUN"), "the host's LUN moves to the new initiators");
        assertEquals("5", t.row("INITIATOR", "iqn.2026-11.cli:u3").get("HOST LUN"));
        TableText list = new TableText(ok(f.sanctl("host", "list")), "INITIATOR");
        assertTrue(list.rows().stream().noneMatch(r -> "iqn.2026-11.cli:u1".equals(r.get("INITIATOR"))), "u1 no longer sees ulun");

        JsonObject j = okObject(f.sanctl("host", "update", "upd", "--clear-mutual-chap", "--json"));
        assertEquals(false, j.getJsonObject("chap").getBoolean("mutual"));
        assertEquals("uu", j.getJsonObject("chap").getString("userName"));
        j = okObject(f.sanctl("host", "update", "upd", "--clear-chap", "--json"));
        assertEquals(null, j.getValue("chap"));
        assertTrue(ok(f.sanctl("host", "show", "upd")).startsWith("host upd, CHAP: none\n"), "CHAP ended");

        // refusals: one line naming the field, exit 1; usage errors exit 2
        java.nio.file.Files.writeString(secret, "short");
        refused(f.sanctl("host", "update", "upd", "--chap-user", "uu", "--chap-secret-file", secret.toString()), 400, "chap.secret");
        refused(f.sanctl("host", "update", "upd", "--chap-secret-file", rotated.toString()), 400, "chap.userName");
        refused(f.sanctl("host", "update", "upd", "-i", "not-an-iqn"), 400, "initiators[0]");
        ok(f.sanctl("host", "create", "upd-other", "-i", "iqn.2026-11.cli:taken"));
        refused(f.sanctl("host", "update", "upd", "-i", "iqn.2026-11.cli:taken"), 409, "initiators");
        refused(f.sanctl("host", "update", "nobody", "--clear-chap"), 404, "name");
        SanctlCommandsTest.usage(f.sanctl("host", "update", "upd"), "nothing to change");
        SanctlCommandsTest.usage(f.sanctl("host", "update", "upd", "--clear-chap", "--chap-user", "x"), "--clear-chap cannot be combined");
        SanctlCommandsTest.usage(f.sanctl("host", "update", "upd", "--clear-mutual-chap", "--target-user", "x"),
                "--clear-mutual-chap cannot be combined");
        SanctlCommandsTest.usage(f.sanctl("host", "update", "upd", "--chap-user", "u", "--chap-secret-file",
                f.dir.resolve("missing.txt").toString()), "cannot read --chap-secret-file");
        SanctlCommandsTest.usage(f.sanctl("host", "update"), "Missing required parameter");
        JsonObject after = okObject(f.sanctl("host", "show", "upd", "--json"));
        assertEquals(2, after.getJsonArray("initiators").size(), "refusals changed nothing");
        assertEquals(null, after.getValue("chap"));
        ok(f.sanctl("host", "delete", "upd"));
        ok(f.sanctl("host", "delete", "upd-other"));
    }
}
