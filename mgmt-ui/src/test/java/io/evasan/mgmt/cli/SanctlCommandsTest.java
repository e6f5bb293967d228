package io.evasan.mgmt.cli;

import io.evasan.raid.drive.DriveState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.evasan.mgmt.cli.CliFixture.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CLI test: each sanctl command against a running appliance (real pool, controller and management
 * server on a loopback port), run in-process through picocli with captured stdout/stderr. Every command
 * is checked as a table and with --json, plus exit codes and the error line for refusals, 401 without a
 * token, usage errors and an unreachable appliance.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SanctlCommandsTest extends CliTest {
    // ---- helpers ----

    static String ok(Run r) {
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), r::toString);
        return r.out();
    }

    static JsonObject okObject(Run r) {
        return new JsonObject(ok(r));
    }

    static JsonArray okArray(Run r) {
        return new JsonArray(ok(r));
    }

    /** Exit 1, nothing on stdout, exactly one stderr line "sanctl: <status> <text> (field <field>)". */
    static String refused(Run r, int status, String field) {
        assertEquals(1, r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        String suffix = field == null ? "" : " (field " + field + ")";
        assertTrue(r.err().startsWith("sanctl: " + status + " ") && r.err().endsWith(suffix + "\n"), r::toString);
        assertEquals(1, r.err().lines().count(), r::toString);
        return r.err();
    }

    static void usage(Run r, String messagePart) {
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().startsWith("sanctl: ") && r.err().contains(messagePart), r::toString);
    }

    private int group() {
        return f.pool.diskGroups().get(0).id();
    }

    private void write(String lun, long offset, byte value, int length) {
        byte[] data = new byte[length];
        Arrays.fill(data, value);
        f.controller.cache().write(0, f.controller.lun(lun).id(), offset, ByteBuffer.wrap(data), true);
    }

    // ---- pool and drives ----

    @Test
    void shouldShowThePoolWithItsGroupsAndDrives() {
        String out = ok(f.sanctl("pool", "show"));
        assertTrue(out.startsWith("pool " + f.pool.id() + "\n"), out);
        TableText groups = new TableText(out, "GROUP");
        assertEquals(List.of("GROUP", "NAME", "DRIVES", "CAPACITY", "USED", "FREE", "USED%", "REBUILD", "RESYNC"), List.of(groups.headers));
        Map<String, String> g = groups.row("NAME", "dg0");
        assertEquals(String.valueOf(group()), g.get("GROUP"));
        long psegs = f.pool.diskGroups().get(0).totalPsegs();
        assertEquals(Units.formatSize(psegs * (2L << 20)), g.get("CAPACITY"));
        TableText drives = new TableText(out.substring(out.indexOf("\n\n") + 2), "GROUP");
        assertEquals("DRIVE", drives.headers[1]);
        assertTrue(drives.rows().size() >= 8, out);
        assertEquals("96 MiB", drives.row("DRIVE", "0").get("CAPACITY"));

        JsonObject json = okObject(f.sanctl("pool", "show", "--json"));
        assertEquals(f.pool.id().toString(), json.getString("id"));
        assertTrue(json.getJsonArray("groups").getJsonObject(0).getJsonArray("drives").size() >= 8);
    }

    @Test
    void shouldListAddAndRemoveDrives() {
        String out = ok(f.sanctl("drive", "list"));
        TableText t = new TableText(out, "GROUP");
        assertEquals(List.of("GROUP", "DRIVE", "STATE", "CAPACITY", "PSEGS", "USED", "USED%", "RSS", "SLOT", "PATH"), List.of(t.headers));
        assertEquals("AVAILABLE", t.row("DRIVE", "5").get("STATE"));
        JsonArray json = okArray(f.sanctl("drive", "list", "--json"));
        assertEquals(group(), json.getJsonObject(0).getInteger("group"));
        assertEquals(0, json.getJsonObject(0).getInteger("index"));
        refused(f.sanctl("drive", "list", "--group", "77"), 404, "group");

        refused(f.sanctl("drive", "add", "--size", "10M"), 400, "sizeBytes");
        usage(f.sanctl("drive", "add", "--size", "ten"), "'ten' is not a size");
        usage(f.sanctl("drive", "add"), "--size");
        refused(f.sanctl("drive", "add", "-g", "77", "--size", "128M"), 404, "group");
        String added = ok(f.sanctl("drive", "add", "--size", "128M"));
        assertTrue(added.matches("added drive \\d+ of disk group " + group() + ": AVAILABLE, 128 MiB, .+\\.img\n"), added);
        int index = Integer.parseInt(added.split(" ")[2]);
        assertEquals("128 MiB", new TableText(ok(f.sanctl("drive", "list")), "GROUP").row("DRIVE", "" + index).get("CAPACITY"));

        String removed = ok(f.sanctl("drive", "remove", "" + index));
        assertTrue(removed.startsWith("removed drive " + index + " of disk group " + group() + ": REMOVED"), removed);
        refused(f.sanctl("drive", "remove", "" + index), 404, "drive");
        usage(f.sanctl("drive", "remove", "x"), "'x' is not an int");
        JsonObject viaJson = okObject(f.sanctl("drive", "add", "--size", "64M", "--json"));
        assertEquals("AVAILABLE", viaJson.getString("state"));
        assertEquals(64L << 20, viaJson.getLong("capacityBytes"));
        assertEquals("REMOVED", okObject(f.sanctl("--json", "drive", "remove", "" + viaJson.getInteger("index"))).getString("state"));
    }

    @Test
    void shouldFailAndRestoreADriveAndWaitForItsRebuild() {
        refused(f.sanctl("drive", "restore", "3"), 409, "drive");
        refused(f.sanctl("drive", "fail", "99"), 404, "drive");
        String out = ok(f.sanctl("drive", "fail", "3"));
        assertEquals("failed drive 3 of disk group " + group() + ": FAILED, 96 MiB, " + f.pool.diskGroups().get(0).drives().get(3).path() + "\n", out);
        assertEquals(DriveState.FAILED, f.pool.diskGroups().get(0).drives().get(3).state());
        refused(f.sanctl("drive", "fail", "3"), 409, "drive");
        assertEquals("FAILED", new TableText(ok(f.sanctl("drive", "list")), "GROUP").row("DRIVE", "3").get("STATE"));

        out = ok(f.sanctl("drive", "restore", "3", "--wait"));
        String[] lines = out.split("\n");
        assertTrue(lines[0].startsWith("restored drive 3 of disk group " + group() + ": AVAILABLE"), out);
        assertTrue(lines[1].matches("rebuild of disk group " + group() + ": (\\d+)/\\1 64 KiB rows \\(100%\\), \\d+ members rebuilt, finished"), out);
        assertEquals(DriveState.AVAILABLE, f.pool.diskGroups().get(0).drives().get(3).state());

        TableText jobs = new TableText(ok(f.sanctl("job", "list")), "ID");
        Map<String, String> rebuild = jobs.row("ID", "rebuild-" + group());
        assertEquals("DONE", rebuild.get("STATE"));
        assertTrue(rebuild.get("PROGRESS").endsWith("64 KiB rows (100%)"), rebuild::toString);
        JsonObject json = okObject(f.sanctl("job", "list", "--json"));
        assertTrue(json.getJsonArray("rebuilds").getJsonObject(0).getBoolean("finished"));

        ok(f.sanctl("drive", "fail", "4"));
        JsonObject restored = okObject(f.sanctl("drive", "restore", "4", "--wait", "--json"));
        assertEquals("AVAILABLE", restored.getJsonObject("drive").getString("state"));
        assertTrue(restored.getJsonObject("rebuild").getBoolean("finished"), restored::encode);
    }

    // ---- LUNs ----

    @Test
    void shouldCreateShowListAndDeleteLuns() {
        String out = ok(f.sanctl("lun", "create", "db1", "--size", "8M"));
        String serial = f.controller.lun("db1").serialNumber();
        int id = f.controller.lun("db1").id();
        assertEquals(String.join("\n", "created LUN db1",
                "name:          db1",
                "id:            " + id,
                "kind:          PRIMARY",
                "size:          8 MiB (8388608 bytes)",
                "serial:        " + serial,
                "disk:          " + f.controller.lun("db1").disk(),
                "group:         0",
                "presented to:  -",
                "snapshots:     -", ""), out);
        assertEquals(8L << 20, f.controller.lun("db1").sizeBytes());
        JsonObject created = okObject(f.sanctl("lun", "create", "db2", "--size", "1G", "--raid", "raid1", "--json"));
        assertEquals("db2", created.getString("name"));
        assertEquals(1L << 30, created.getLong("sizeBytes"));

        TableText t = new TableText(ok(f.sanctl("lun", "list")), "NAME");
        assertEquals(List.of("NAME", "ID", "KIND", "SIZE", "DISK", "SERIAL", "PRESENTED (INITIATOR=HOST LUN)", "SNAPSHOTS"), List.of(t.headers));
        assertEquals("8 MiB", t.row("NAME", "db1").get("SIZE"));
        assertEquals("1 GiB", t.row("NAME", "db2").get("SIZE"));
        assertEquals(serial, t.row("NAME", "db1").get("SERIAL"));
        assertEquals("0", t.row("NAME", "db1").get("SNAPSHOTS"));
        JsonArray list = okArray(f.sanctl("lun", "list", "--json"));
        assertTrue(list.stream().anyMatch(o -> "db2".equals(((JsonObject) o).getString("name"))), list::encode);
        assertEquals(id, okObject(f.sanctl("lun", "show", "db1", "--json")).getInteger("id"));
        assertTrue(ok(f.sanctl("lun", "show", "db2")).contains("size:          1 GiB (1073741824 bytes)\n"));

        // bad input: a precise refusal, nothing created
        int before = f.controller.listLuns().size();
        refused(f.sanctl("lun", "create", "db1", "--size", "8M"), 409, "name");
        refused(f.sanctl("lun", "create", "db3", "--size", "1000"), 400, "sizeBytes");
        refused(f.sanctl("lun", "create", "db3", "--size", "4T"), 400, "sizeBytes");
        refused(f.sanctl("lun", "create", "bad name", "--size", "8M"), 400, "name");
        usage(f.sanctl("lun", "create", "db3", "--size", "8X"), "'8X' is not a size");
        usage(f.sanctl("lun", "create", "db3", "--size", "8M", "--raid", "RAID6"), "--raid");
        usage(f.sanctl("lun", "create", "db3"), "Missing required option: '--size=SIZE'");
        assertEquals(before, f.controller.listLuns().size());

        String err = refused(f.sanctl("lun", "show", "nosuch"), 404, "name");
        assertTrue(err.contains("nosuch"), err);
        refused(f.sanctl("lun", "show", "no such/lun"), 404, "name");
        refused(f.sanctl("lun", "delete", "nosuch"), 404, "name");

        assertEquals("deleted LUN db1\n", ok(f.sanctl("lun", "delete", "db1")));
        assertEquals("", ok(f.sanctl("lun", "delete", "db2", "--json")));
        refused(f.sanctl("lun", "show", "db1"), 404, "name");
    }

    @Test
    void shouldPresentAndUnpresentLunsAndListHosts() {
        ok(f.sanctl("lun", "create", "pres", "--size", "4M"));
        ok(f.sanctl("lun", "create", "pres2", "--size", "4M"));
        String out = ok(f.sanctl("lun", "present", "pres", "--initiator", "iqn.2026-11.test:h1", "--host-lun", "7"));
        assertTrue(out.startsWith("presented LUN pres\n") && out.contains("presented to:  iqn.2026-11.test:h1 as host LUN 7\n"), out);
        JsonObject json = okObject(f.sanctl("lun", "present", "pres2", "-i", "*", "-l", "9", "--json"));
        assertEquals("*", json.getJsonArray("presentations").getJsonObject(0).getString("initiator"));
        refused(f.sanctl("lun", "present", "pres2", "-i", "iqn.2026-11.test:h1", "-l", "7"), 409, "hostLun");
        refused(f.sanctl("lun", "present", "pres", "-i", "iqn.2026-11.test:h1", "-l", "20000"), 400, "hostLun");
        refused(f.sanctl("lun", "present", "nosuch", "-i", "iqn.2026-11.test:h1", "-l", "3"), 404, "name");
        usage(f.sanctl("lun", "present", "pres", "-l", "3"), "--initiator");

        assertEquals("iqn.2026-11.test:h1=7", new TableText(ok(f.sanctl("lun", "list")), "NAME").row("NAME", "pres")
                .get("PRESENTED (INITIATOR=HOST LUN)"));
        TableText hosts = new TableText(ok(f.sanctl("host", "list")), "INITIATOR");
        assertEquals(List.of("INITIATOR", "HOST LUN", "LUN"), List.of(hosts.headers));
        assertEquals("pres", hosts.row("INITIATOR", "iqn.2026-11.test:h1").get("LUN"));
        assertEquals("7", hosts.row("INITIATOR", "iqn.2026-11.test:h1").get("HOST LUN"));
        assertEquals("pres2", hosts.row("INITIATOR", "* (all initiators)").get("LUN"));
        JsonArray hj = okArray(f.sanctl("host", "list", "--json"));
        assertTrue(hj.stream().anyMatch(h -> "iqn.2026-11.test:h1".equals(((JsonObject) h).getString("initiator"))), hj::encode);

        refused(f.sanctl("lun", "unpresent", "pres", "-i", "iqn.2026-11.test:h1", "-l", "8"), 404, "hostLun");
        out = ok(f.sanctl("lun", "unpresent", "pres", "-i", "iqn.2026-11.test:h1", "-l", "7"));
        assertTrue(out.startsWith("unpresented LUN pres\n") && out.contains("presented to:  -\n"), out);
        assertTrue(okObject(f.sanctl("lun", "unpresent", "pres2", "-i", "*", "-l", "9", "--json"))
                .getJsonArray("presentations").isEmpty());
        assertEquals("no LUN is presented to any host\n", ok(f.sanctl("host", "list")));
        ok(f.sanctl("lun", "delete", "pres"));
        ok(f.sanctl("lun", "delete", "pres2"));
    }

    // ---- snapshots, tree, rollback, background copy ----

    @Test
    void shouldTakeSnapshotsAndSnapclonesAndDrawTheTree() {
        ok(f.sanctl("lun", "create", "tree1", "--size", "8M"));
        for (long off = 0; off < (8 << 20); off += 1 << 20) {
            write("tree1", off, (byte) 0x5A, 64 * 1024); // every segment written: the snapclone's copy starts at 0
        }

        String out = ok(f.sanctl("snapshot", "create", "tree1", "tree1-s1"));
        assertTrue(out.matches("took snapshot tree1-s1 of LUN tree1 \\(disk \\d+, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\)\n"), out);
        JsonObject clone = okObject(f.sanctl("snapshot", "create", "tree1", "tree1-c1", "--snapclone", "--json"));
        assertTrue(clone.getBoolean("snapclone") && clone.getBoolean("taken"), clone::encode);
        long cloneDisk = clone.getLong("disk");
        long total = clone.getJsonObject("bgcopy").getLong("total");
        refused(f.sanctl("snapshot", "create", "tree1", "tree1-s1"), 409, "name");
        refused(f.sanctl("snapshot", "create", "nosuch", "x1"), 404, "name");
        refused(f.sanctl("snapshot", "create", "tree1", "bad name"), 400, "name");

        TableText snaps = new TableText(ok(f.sanctl("snapshot", "list", "--lun", "tree1")), "NAME");
        assertEquals(List.of("NAME", "LUN", "KIND", "DISK", "CREATED", "BGCOPY", "PRESENTED (INITIATOR=HOST LUN)"), List.of(snaps.headers));
        assertEquals("snapshot", snaps.row("NAME", "tree1-s1").get("KIND"));
        assertEquals("-", snaps.row("NAME", "tree1-s1").get("BGCOPY"));
        assertEquals("snapclone", snaps.row("NAME", "tree1-c1").get("KIND"));
        assertEquals("0/" + total + " segments (0%) RUNNING", snaps.row("NAME", "tree1-c1").get("BGCOPY"));
        assertEquals(2, okArray(f.sanctl("snapshot", "list", "--lun", "tree1", "--json")).size());
        refused(f.sanctl("snapshot", "list", "--lun", "nosuch"), 404, "name");

        // the tree: oldest first, the LUN last, an indented chain with counts and BGCOPY progress
        f.trees.bgcopyStep(cloneDisk, 2);
        JsonObject tree = okObject(f.sanctl("lun", "tree", "tree1", "--json"));
        JsonArray disks = tree.getJsonArray("disks");
        String text = ok(f.sanctl("lun", "tree", "tree1"));
        String[] lines = text.split("\n");
        assertEquals(disks.size() + 1, lines.length, text);
        assertEquals("sharing tree of LUN tree1: " + disks.size() + " disks, segments of "
                + Units.formatSize(tree.getLong("segmentBytes")) + "; oldest first, each disk's successor below it", lines[0]);
        for (int i = 0; i < disks.size(); i++) {
            JsonObject d = disks.getJsonObject(i);
            String prefix = i == 0 ? "" : "    ".repeat(i - 1) + "`-> ";
            String expected = prefix + d.getString("name") + " [" + d.getString("kind") + ", disk " + d.getLong("disk")
                    + (d.getString("policy") == null ? "" : ", " + d.getString("policy")) + "] segments " + d.getLong("segments")
                    + ", private " + d.getLong("privateSegments") + ", shared with successor " + d.getLong("sharedWithSuccessor")
                    + ", shared with predecessor " + d.getLong("sharedWithPredecessor") + ", zero " + d.getLong("zeroSegments");
            assertTrue(lines[i + 1].startsWith(expected), lines[i + 1] + "\nexpected to start with\n" + expected);
        }
        assertTrue(lines[lines.length - 1].startsWith("    `-> tree1 [LUN, disk " + f.controller.lun("tree1").disk()), text);
        assertTrue(text.contains("tree1-c1 [SNAPCLONE"), text);
        assertTrue(text.contains("; BGCOPY 2/" + total + " segments (" + (200 / total) + "%) RUNNING"), text);
        assertTrue(text.contains("tree1-s1 [SNAPSHOT"), text);
        refused(f.sanctl("lun", "tree", "nosuch"), 404, "name");

        // the snapclone's background copy: pause, job list, resume, finish
        String paused = ok(f.sanctl("snapshot", "pause-copy", "tree1-c1"));
        assertEquals("paused the background copy of snapclone tree1-c1: 2/" + total + " segments (" + (200 / total) + "%) PAUSED\n", paused);
        Map<String, String> job = new TableText(ok(f.sanctl("job", "list")), "ID").row("ID", "bgcopy-tree1-c1");
        assertEquals("PAUSED", job.get("STATE"));
        assertEquals("bgcopy", job.get("TYPE"));
        assertTrue(job.get("TARGET").startsWith("tree1-c1"), job::toString); // the API's target, or "<clone> (LUN <lun>)"
        assertEquals("2/" + total + " segments (" + (200 / total) + "%)", job.get("PROGRESS"));
        refused(f.sanctl("snapshot", "pause-copy", "tree1-s1"), 400, "name");
        refused(f.sanctl("snapshot", "resume-copy", "nosuch"), 404, "name");
        JsonObject resumed = okObject(f.sanctl("snapshot", "resume-copy", "tree1-c1", "--json"));
        assertEquals("RUNNING", resumed.getJsonObject("bgcopy").getString("state"));
        for (int i = 0; i < 100 && f.trees.bgcopyStep(cloneDisk, 4) > 0; i++) {
            // finish the copy on this thread
        }
        // finished: the snapclone is an ordinary LUN now
        assertTrue(ok(f.sanctl("snapshot", "list", "--json")).indexOf("\"tree1-c1\"") < 0, "no longer a snapshot");
        assertEquals("PRIMARY", new TableText(ok(f.sanctl("lun", "list")), "NAME").row("NAME", "tree1-c1").get("KIND"));
        refused(f.sanctl("snapshot", "pause-copy", "tree1-c1"), 404, "name");
        // the finished copy is cleared from the job list
        String cleared = ok(f.sanctl("job", "clear"));
        assertTrue(cleared.startsWith("cleared ") && cleared.contains("bgcopy-tree1-c1"), cleared);
        assertTrue(!ok(f.sanctl("job", "list")).contains("bgcopy-tree1-c1"), "gone from the list");
        assertTrue(!ok(f.sanctl("job", "clear")).contains("bgcopy-tree1-c1"), "cleared once");

        assertEquals("deleted snapshot tree1-s1\n", ok(f.sanctl("snapshot", "delete", "tree1-s1")));
        refused(f.sanctl("snapshot", "delete", "tree1-s1"), 404, "name");
        refused(f.sanctl("snapshot", "delete", "tree1-c1"), 404, "name");
        ok(f.sanctl("lun", "delete", "tree1"));
        ok(f.sanctl("lun", "delete", "tree1-c1"));
    }

    @Test
    void shouldRollALunBackToItsSnapshot() {
        ok(f.sanctl("lun", "create", "rb", "--size", "4M"));
        write("rb", 0, (byte) 'A', 4096);
        ok(f.sanctl("snapshot", "create", "rb", "rb-s"));
        write("rb", 0, (byte) 'B', 4096);
        refused(f.sanctl("lun", "rollback", "rb", "--snapshot", "nosuch"), 404, "snapshot");
        refused(f.sanctl("lun", "rollback", "nosuch", "--snapshot", "rb-s"), 404, "name");
        usage(f.sanctl("lun", "rollback", "rb"), "--snapshot");
        byte[] got = new byte[4096];
        f.controller.read("rb", 0, got);
        assertEquals('B', got[0], "refused rollbacks changed nothing");
        String out = ok(f.sanctl("lun", "rollback", "rb", "--snapshot", "rb-s"));
        assertTrue(out.startsWith("rolled LUN rb back to snapshot rb-s\nname:          rb\n"), out);
        f.controller.read("rb", 0, got);
        assertEquals('A', got[0]);
        assertEquals("rb", okObject(f.sanctl("lun", "rollback", "rb", "--snapshot", "rb-s", "--json")).getString("name"));
        ok(f.sanctl("lun", "delete", "rb", "--force"));   // it has a snapshot
    }

    // ---- controllers, metrics, OpenAPI ----

    @Test
    void shouldListControllersAndPrintMetricsAndTheOpenApiDocument() {
        ok(f.sanctl("lun", "create", "ctl1", "--size", "4M"));
        TableText t = new TableText(ok(f.sanctl("controller", "list")), "NAME");
        Map<String, String> c = t.row("NAME", "nsc0");
        assertEquals(Units.formatSize(f.controller.cache().capacityBytes()), c.get("CACHE SIZE"));
        assertEquals(f.controller.backupEngine().state().name(), c.get("BACKUP"));
        assertTrue(c.get("LUNS").contains("ctl1"), c::toString);
        JsonArray json = okArray(f.sanctl("controller", "list", "--json"));
        assertEquals("nsc0", json.getJsonObject(0).getString("name"));

        write("ctl1", 0, (byte) 1, 4096);
        String metrics = ok(f.sanctl("metrics"));
        assertTrue(metrics.contains("# TYPE evasan_mgmt_requests_total counter\n"), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("evasan_raid_writes_total")), metrics);
        String cache = ok(f.sanctl("metrics", "evasan_cache", "evasan_luns"));
        assertFalse(cache.isEmpty());
        assertTrue(cache.lines().allMatch(l -> l.startsWith("evasan_cache") || l.startsWith("evasan_luns")
                || l.startsWith("# HELP evasan_cache") || l.startsWith("# TYPE evasan_cache")
                || l.startsWith("# HELP evasan_luns") || l.startsWith("# TYPE evasan_luns")), cache);
        assertTrue(cache.contains("evasan_luns "), cache);

        JsonObject api = okObject(f.sanctl("openapi"));
        assertTrue(api.getString("openapi").startsWith("3."), api::encode);
        assertTrue(api.getJsonObject("paths").containsKey("/api/luns"));
        ok(f.sanctl("lun", "delete", "ctl1"));
    }

    // ---- credentials, connection, usage ----

    @Test
    void shouldRefuseWithoutTheTokenAndSayHowToPassIt() throws IOException {
        Map<String, String> noToken = new HashMap<>(f.env());
        noToken.remove("SANCTL_TOKEN");
        Run r = CliFixture.sanctl(noToken, "lun", "list");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("", r.out());
        assertEquals("sanctl: 401 credential required: send Authorization: Bearer <token> (field Authorization)\n"
                + "sanctl: no token given; pass the appliance's API token with --token TOKEN, --token-file FILE or the environment"
                + " variable SANCTL_TOKEN (the appliance prints it once, on its first start)\n", r.err());
        r = CliFixture.sanctl(noToken, "lun", "create", "x401", "--size", "4M", "--json");
        assertEquals(1, r.exit(), r::toString);
        assertFalse(f.controller.listLuns().stream().anyMatch(l -> l.name().equals("x401")), "a refused request changed nothing");

        r = f.sanctl("--token", "wrong", "pool", "show");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("sanctl: 401 credential rejected (field Authorization)\n"
                + "sanctl: the appliance rejected the token; check --token, --token-file or SANCTL_TOKEN\n", r.err());
        assertEquals(1, f.sanctl("metrics", "--token", "wrong").exit());

        Path file = Files.createTempFile(f.dir, "token", ".txt");
        Files.writeString(file, f.token + "\n", StandardCharsets.UTF_8);
        ok(CliFixture.sanctl(noToken, "host", "list", "--token-file", file.toString()));
        ok(CliFixture.sanctl(noToken, "--token", f.token, "host", "list"));
        ok(CliFixture.sanctl(noToken, "--token", f.token, "--url", f.url() + "/api/", "host", "list")); // the URL the appliance prints
        usage(f.sanctl("host", "list", "--token-file", f.dir.resolve("missing.txt").toString()), "cannot read it");
        Files.writeString(file, "\n", StandardCharsets.UTF_8);
        usage(f.sanctl("host", "list", "--token-file", file.toString()), "is empty");
        usage(f.sanctl("host", "list", "--token", "a", "--token-file", file.toString()), "either --token or --token-file");
    }

    @Test
    void shouldReportAnUnreachableApplianceWithExitThree() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = f.sanctl("--url", "http://127.0.0.1:" + port, "lun", "list");
        assertEquals(3, r.exit(), r::toString);
        assertEquals("", r.out());
        assertEquals("sanctl: cannot reach http://127.0.0.1:" + port + ": connection refused\n", r.err());
        Map<String, String> env = new HashMap<>(f.env());
        env.put("SANCTL_URL", "http://127.0.0.1:" + port + "/");
        r = CliFixture.sanctl(env, "pool", "show", "--json");
        assertEquals(3, r.exit(), r::toString);
        assertEquals(new JsonObject().put("error", "cannot reach http://127.0.0.1:" + port + ": connection refused")
                .put("unreachable", true), new JsonObject(r.err()), "with --json the error is JSON too");
        // default URL when neither --url nor SANCTL_URL is set
        env.remove("SANCTL_URL");
        r = CliFixture.sanctl(env, "--timeout", "5s", "host", "list");
        assertTrue(r.exit() == 3 || r.exit() == 1, r::toString); // 1 only if something answers on 127.0.0.1:8080
        if (r.exit() == 3) {
            assertTrue(r.err().startsWith("sanctl: cannot reach http://127.0.0.1:8080: "), r::toString);
        }
        usage(f.sanctl("--url", "ftp://127.0.0.1", "lun", "list"), "must be http://HOST[:PORT] or https://HOST[:PORT]");
        usage(f.sanctl("--timeout", "0", "lun", "list"), "longer than 0");
        usage(f.sanctl("--cacert", "x.pem", "--insecure", "lun", "list"), "either --cacert or --insecure");
        usage(f.sanctl("--url", "https://127.0.0.1:" + port, "--cacert", f.dir.resolve("none.pem").toString(), "lun", "list"),
                "--cacert");
    }

    @Test
    void shouldAnswerUsageErrorsWithExitTwoAndHelpWithZero() {
        usage(f.sanctl("frobnicate"), "Unmatched argument");
        usage(f.sanctl("lun", "explode", "x"), "Unmatched argument");
        usage(f.sanctl("lun", "show"), "Missing required parameter: 'LUN'");
        usage(f.sanctl("snapshot", "create", "onlylun"), "Missing required parameter: 'NAME'");
        usage(f.sanctl("lun", "present", "x", "-i", "iqn", "-l", "seven"), "'seven' is not an int");
        usage(f.sanctl("events", "--count", "0"), "--count must be at least 1");
        Run none = f.sanctl();
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("Usage: sanctl"), none::toString);
        String help = ok(f.sanctl("--help"));
        for (String cmd : List.of("pool", "drive", "lun", "snapshot", "job", "host", "controller", "schedule", "backup", "metrics", "events", "openapi")) {
            assertTrue(help.contains("  " + cmd + " "), cmd + " in\n" + help);
        }
        String lunHelp = ok(f.sanctl("lun", "create", "--help"));
        assertTrue(lunHelp.contains("--size=SIZE") && lunHelp.contains("--raid=LEVEL") && lunHelp.contains("--json"), lunHelp);
        assertTrue(ok(f.sanctl("help", "lun")).contains("rollback"));
        assertTrue(ok(f.sanctl("--version")).startsWith("sanctl "));
    }
}
