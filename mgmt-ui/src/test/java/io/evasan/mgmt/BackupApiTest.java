package io.evasan.mgmt;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed 003 backup over the API: log LUN, initiate / terminate with the seed's refusals (409 + sense), LOP copy as job "lopcopy". */
class BackupApiTest extends ApplianceTest {
    private static void assertSense(HttpResponse<String> r, String field, String asc, String ascq) {
        assertError(r, 409, field);
        JsonObject b = obj(r);
        assertEquals("09", b.getJsonObject("sense").getString("key"), r.body());
        assertEquals(asc, b.getJsonObject("sense").getString("asc"), r.body());
        assertEquals(ascq, b.getJsonObject("sense").getString("ascq"), r.body());
    }

    private static JsonObject lopJob() {
        return obj(ok(f.call("GET", "/api/jobs/lopcopy", null), 200));
    }

    @Test
    void shouldRunABackupAndItsCopyThroughTheApi() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"prim\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns", "{\"name\":\"dest\",\"sizeBytes\":4194304}"), 201);
        int id = f.controller.lun("prim").id();
        byte[] a = new byte[64 * 1024];
        Arrays.fill(a, (byte) 'a');
        f.controller.cache().write(0, id, 1L << 20, ByteBuffer.wrap(a), false);

        JsonObject st = obj(ok(f.call("GET", "/api/backup", null), 200));
        assertEquals("INACTIVE", st.getString("state"));
        assertNull(st.getValue("logLun"));
        assertSense(f.call("POST", "/api/backup/initiate", "{\"lun\":\"prim\"}"), "lun", "81", "19");   // no log LUN
        assertError(f.call("DELETE", "/api/backup/log", null), 404, null);

        assertError(f.call("PUT", "/api/backup/log", "{\"name\":\"blog\"}"), 400, "capacityBytes");
        assertError(f.call("PUT", "/api/backup/log", "{\"name\":\"blog\",\"capacityBytes\":1000}"), 400, "capacityBytes");
        assertError(f.call("PUT", "/api/backup/log", "{\"name\":\"b/log\",\"capacityBytes\":4194304}"), 400, "name");
        assertError(f.call("PUT", "/api/backup/log", "{\"name\":\"prim\",\"capacityBytes\":4194304}"), 409, "name");
        JsonObject def = obj(ok(f.call("PUT", "/api/backup/log", "{\"name\":\"blog\",\"capacityBytes\":4194304}"), 201));
        assertEquals("blog", def.getString("logLun"));
        assertError(f.call("PUT", "/api/backup/log", "{\"name\":\"blog2\",\"capacityBytes\":4194304}"), 409, "name");

        assertError(f.call("POST", "/api/backup/initiate", "{}"), 400, "lun");
        assertError(f.call("POST", "/api/backup/initiate", "{\"lun\":\"nosuch\"}"), 404, "lun");
        assertSense(f.call("POST", "/api/backup/initiate", "{\"lun\":\"blog\"}"), "lun", "81", "20");   // the log LUN itself
        assertSense(f.call("POST", "/api/backup/terminate", null), null, "81", "0C");   // none active
        JsonObject copyRefused = obj(assertStatus(f.call("POST", "/api/backup/copy", "{\"destination\":\"dest\"}"), 409));
        assertEquals("0002", copyRefused.getString("lopStatus"), copyRefused::encode);

        JsonObject on = obj(ok(f.call("POST", "/api/backup/initiate", "{\"lun\":\"prim\"}"), 200));
        assertEquals("ACTIVE", on.getString("state"));
        assertEquals("prim", on.getString("primary"));
        assertSense(f.call("POST", "/api/backup/initiate", "{\"lun\":\"prim\"}"), "lun", "81", "10");   // already active
        assertError(f.call("DELETE", "/api/backup/log", null), 409, null);
        assertError(f.call("PATCH", "/api/luns/prim", "{\"sizeBytes\":8388608}"), 409, "sizeBytes");

        byte[] b = new byte[64 * 1024];
        Arrays.fill(b, (byte) 'b');
        f.controller.cache().write(0, id, 1L << 20, ByteBuffer.wrap(b), true);   // after the snapshot: not copied

        assertError(f.call("POST", "/api/backup/copy", "{}"), 400, "destination");
        assertError(f.call("POST", "/api/backup/copy", "{\"destination\":\"nosuch\"}"), 404, "destination");
        assertError(f.call("POST", "/api/backup/copy", "{\"destination\":\"dest\",\"incremental\":\"yes\"}"), 400, "incremental");
        JsonObject bad = obj(assertStatus(f.call("POST", "/api/backup/copy", "{\"destination\":\"prim\"}"), 409));
        assertEquals("0105", bad.getString("lopStatus"), bad::encode);

        f.controller.backupEngine().pauseCopy();   // the copy holds before its first segment: state is deterministic
        JsonObject started = obj(ok(f.call("POST", "/api/backup/copy", "{\"destination\":\"dest\"}"), 202));
        assertTrue(started.getJsonObject("copy").getBoolean("running"), started::encode);
        JsonObject j = lopJob();
        assertEquals("lopcopy", j.getString("type"));
        assertEquals("dest", j.getString("target"));
        assertEquals("PAUSED", j.getString("state"), j::encode);
        assertEquals(0, j.getLong("done"));
        JsonObject busy = obj(assertStatus(f.call("POST", "/api/backup/copy", "{\"destination\":\"dest\"}"), 409));
        assertEquals("0106", busy.getString("lopStatus"));
        ok(f.call("POST", "/api/jobs/lopcopy/resume", null), 200);
        f.controller.backupEngine().awaitCopy(60_000);
        JsonObject done = lopJob();
        assertEquals("DONE", done.getString("state"), done::encode);
        assertEquals(100, done.getInteger("percent"));
        assertError(f.call("POST", "/api/jobs/lopcopy/pause", null), 409, "id");
        byte[] got = new byte[64 * 1024];
        f.controller.read("dest", 1L << 20, got);
        assertArrayEquals(a, got, "the destination holds the snapshot, not the later write");
        assertEquals("INACTIVE", obj(ok(f.call("GET", "/api/backup", null), 200)).getString("state"),
                "a completed copy terminates the backup (seed 003 step 5)");

        // a second backup: cancel its copy, then terminate
        ok(f.call("POST", "/api/backup/initiate", "{\"lun\":\"prim\"}"), 200);
        f.controller.backupEngine().pauseCopy();
        ok(f.call("POST", "/api/backup/copy", "{\"destination\":\"dest\",\"incremental\":true}"), 202);
        JsonObject c = obj(ok(f.call("POST", "/api/jobs/lopcopy/cancel", null), 200));
        assertEquals("CANCELLED", c.getString("state"), c::encode);
        assertEquals("CANCELLED", lopJob().getString("state"));
        assertEquals("ACTIVE", obj(ok(f.call("GET", "/api/backup", null), 200)).getString("state"), "cancelling the copy keeps the backup");
        JsonObject off = obj(ok(f.call("POST", "/api/backup/terminate", null), 200));
        assertEquals("INACTIVE", off.getString("state"));
        ok(f.call("DELETE", "/api/backup/log", null), 204);
        assertNull(obj(ok(f.call("GET", "/api/backup", null), 200)).getValue("logLun"));
        ok(f.call("DELETE", "/api/luns/prim", null), 204);
        ok(f.call("DELETE", "/api/luns/dest", null), 204);
    }

    private static HttpResponse<String> assertStatus(HttpResponse<String> r, int status) {
        assertError(r, status, null);
        return r;
    }

    @Test
    void shouldAnswer401OnEveryBackupRoute() {
        String[][] routes = {{"GET", "/api/backup"}, {"PUT", "/api/backup/log"}, {"DELETE", "/api/backup/log"},
            {"POST", "/api/backup/initiate"}, {"POST", "/api/backup/terminate"}, {"POST", "/api/backup/copy"}};
        for (String[] r : routes) {
            assertError(f.send(r[0], r[1], "{\"name\":\"x\",\"capacityBytes\":4194304,\"lun\":\"x\"}", null), 401, "Authorization");
        }
        assertNull(f.controller.backupEngine().logUnit(), "nothing defined");
    }
}
