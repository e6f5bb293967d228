package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Jobs with ids: GET /api/jobs[/{id}], pause / resume / cancel of a BGCOPY (rebuilds: ManagementApiTest, LOP copy: BackupApiTest). */
class JobApiTest extends ApplianceTest {
    private static long snapclone(String lun, String clone) {
        ok(f.call("POST", "/api/luns", "{\"name\":\"" + lun + "\",\"sizeBytes\":8388608}"), 201);
        int id = f.controller.lun(lun).id();
        byte[] data = new byte[64 * 1024];
        java.util.Arrays.fill(data, (byte) 9);
        for (long off = 0; off < (8 << 20); off += (1 << 20)) {
            f.controller.cache().write(0, id, off, ByteBuffer.wrap(data), true);
        }
        return obj(ok(f.call("POST", "/api/luns/" + lun + "/snapshots",
                "{\"name\":\"" + clone + "\",\"snapclone\":true}"), 201)).getLong("disk");
    }

    @Test
    void shouldListPauseResumeAndFinishABgcopyJob() {
        long disk = snapclone("j1", "j1-c");
        f.trees.bgcopyStep(disk, 1);
        JsonObject j = obj(ok(f.call("GET", "/api/jobs/bgcopy-j1-c", null), 200));
        assertEquals("bgcopy", j.getString("type"));
        assertEquals("j1-c", j.getString("target"));
        assertEquals("RUNNING", j.getString("state"));
        assertEquals(1, j.getLong("done"));
        assertEquals("segments", j.getString("unit"));
        long total = j.getLong("total");
        assertEquals(100 / total, j.getLong("percent"), j::encode);
        JsonObject all = obj(ok(f.call("GET", "/api/jobs", null), 200));
        assertTrue(all.getJsonArray("jobs").stream().anyMatch(o -> "bgcopy-j1-c".equals(((JsonObject) o).getString("id"))), all::encode);
        assertTrue(all.containsKey("bgcopies") && all.containsKey("rebuilds") && all.containsKey("groups"), "older fields stay");

        JsonObject p = obj(ok(f.call("POST", "/api/jobs/bgcopy-j1-c/pause", null), 200));
        assertEquals("PAUSED", p.getString("state"));
        assertEquals(0, f.trees.bgcopyStep(disk, 4), "a paused copy does not advance");
        JsonObject r = obj(ok(f.call("POST", "/api/jobs/bgcopy-j1-c/resume", null), 200));
        assertEquals("RUNNING", r.getString("state"));
        while (f.trees.bgcopyStep(disk, 8) > 0) {
            // finish on this thread
        }
        JsonObject d = obj(ok(f.call("GET", "/api/jobs/bgcopy-j1-c", null), 200));
        assertEquals("DONE", d.getString("state"), d::encode);
        assertEquals(100, d.getInteger("percent"));
        for (String a : new String[] {"pause", "resume", "cancel"}) {
            assertError(f.call("POST", "/api/jobs/bgcopy-j1-c/" + a, null), 409, "id");
        }
        ok(f.call("DELETE", "/api/luns/j1", null), 204);
        assertEquals("j1-c", obj(ok(f.call("GET", "/api/jobs/bgcopy-j1-c", null), 200)).getString("promotedTo"));
        ok(f.call("DELETE", "/api/luns/j1-c", null), 204);   // the finished snapclone is a LUN of its own
    }

    @Test
    void shouldCancelABgcopyDeletingTheUnfinishedSnapclone() {
        long disk = snapclone("j2", "j2-c");
        f.trees.bgcopyStep(disk, 2);
        JsonObject c = obj(ok(f.call("POST", "/api/jobs/bgcopy-j2-c/cancel", null), 200));
        assertEquals("CANCELLED", c.getString("state"), c::encode);
        assertEquals(2, c.getLong("done"));
        assertTrue(f.controller.listSnapshots().stream().noneMatch(s -> s.name().equals("j2-c")), "the snapclone is gone");
        assertFalse(f.trees.disks().contains(disk), "its disk is freed");
        assertEquals("CANCELLED", obj(ok(f.call("GET", "/api/jobs/bgcopy-j2-c", null), 200)).getString("state"));
        assertError(f.call("POST", "/api/jobs/bgcopy-j2-c/resume", null), 409, "id");
        assertError(f.call("POST", "/api/jobs/bgcopy-j2-c/cancel", null), 409, "id");
        byte[] got = new byte[512];
        f.controller.read("j2", 0, got);
        assertEquals(9, got[0], "the LUN keeps its data");
        ok(f.call("DELETE", "/api/luns/j2", null), 204);
    }

    /** POST /api/jobs/clear takes the finished jobs off the list and leaves the running ones. */
    @Test
    void shouldClearTheFinishedJobsOnly() {
        long running = snapclone("j3", "j3-c");
        f.trees.bgcopyStep(running, 1);
        long finished = snapclone("j4", "j4-c");
        while (f.trees.bgcopyStep(finished, 8) > 0) {
            // finish on this thread
        }
        long cancelled = snapclone("j5", "j5-c");
        ok(f.call("POST", "/api/jobs/bgcopy-j5-c/cancel", null), 200);
        JsonArray ids = obj(ok(f.call("POST", "/api/jobs/clear", null), 200)).getJsonArray("cleared");
        assertTrue(ids.contains("bgcopy-j4-c") && ids.contains("bgcopy-j5-c") && !ids.contains("bgcopy-j3-c"), ids::encode);
        java.util.List<String> listed = obj(ok(f.call("GET", "/api/jobs", null), 200)).getJsonArray("jobs").stream()
                .map(o -> ((JsonObject) o).getString("id")).toList();
        assertTrue(listed.contains("bgcopy-j3-c"), "the running copy stays: " + listed);
        assertFalse(listed.contains("bgcopy-j4-c") || listed.contains("bgcopy-j5-c"), "the finished ones are gone: " + listed);
        assertEquals(0, obj(ok(f.call("POST", "/api/jobs/clear", null), 200)).getJsonArray("cleared").size(), "nothing left to clear");
        while (f.trees.bgcopyStep(running, 8) > 0) {
            // the running one finishes: it shows, DONE, until cleared
        }
        assertEquals("DONE", obj(ok(f.call("GET", "/api/jobs/bgcopy-j3-c", null), 200)).getString("state"));
        assertTrue(obj(ok(f.call("POST", "/api/jobs/clear", null), 200)).getJsonArray("cleared").contains("bgcopy-j3-c"));
        for (String lun : new String[] {"j3", "j4", "j5"}) {
            ok(f.call("DELETE", "/api/luns/" + lun + "?force=true", null), 204);
        }
        assertFalse(f.trees.disks().contains(cancelled));
    }

    @Test
    void shouldAnswer404ForUnknownJobs() {
        for (String path : new String[] {"/api/jobs/nosuch", "/api/jobs/bgcopy-nosuch", "/api/jobs/rebuild-99"}) {
            assertError(f.call("GET", path, null), 404, "id");
        }
        for (String a : new String[] {"pause", "resume", "cancel"}) {
            assertError(f.call("POST", "/api/jobs/nosuch/" + a, null), 404, "id");
            assertError(f.send("POST", "/api/jobs/nosuch/" + a, null, null), 401, "Authorization");
        }
        assertError(f.send("GET", "/api/jobs/nosuch", null, null), 401, "Authorization");
    }
}
