package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 item 4 over REST: delete and shrink of a LUN that hosts see or that has snapshots answer 409 (field
 * {@code force}, the presentations with their hosts and the snapshots in the body) and change nothing; with
 * {@code ?force=true} they work. A backup copy asks before it overwrites; one initiator never sees a LUN twice; a
 * presentation never shadows another; initiator names are validated.
 */
class LunGuardApiTest extends ApplianceTest {
    static final String INI = "iqn.2026-11.test.guard:db1";

    /** The LUN as GET answers it plus its first 64 KiB: what a refused call must leave as it was. */
    private static String state(String lun) {
        byte[] d = new byte[64 * 1024];
        f.controller.read(lun, 0, d);
        return ok(f.call("GET", "/api/luns/" + lun, null), 200).body() + java.util.Arrays.hashCode(d);
    }

    private static void lunWithData(String name) {
        ok(f.call("POST", "/api/luns", "{\"name\":\"" + name + "\",\"sizeBytes\":10485760}"), 201);
        int id = f.controller.lun(name).id();
        byte[] d = new byte[64 * 1024];
        java.util.Arrays.fill(d, (byte) 'D');
        f.controller.cache().write(0, id, 0, ByteBuffer.wrap(d), false);
    }

    @Test
    void shouldRefuseDeletingAndShrinkingAPresentedLunWith409UnlessForced() {
        ok(f.call("POST", "/api/hosts", "{\"name\":\"dbhost\",\"initiators\":[\"" + INI + "\"]}"), 201);
        lunWithData("gdb");
        ok(f.call("POST", "/api/luns/gdb/present", "{\"initiator\":\"" + INI + "\",\"hostLun\":4}"), 200);
        ok(f.call("POST", "/api/luns/gdb/snapshots", "{\"name\":\"gdb-s\"}"), 201);
        String before = state("gdb");

        HttpResponse<String> r = f.call("DELETE", "/api/luns/gdb", null);
        assertError(r, 409, "force");
        JsonObject e = obj(r);
        assertEquals("INVALID_STATE", e.getString("code"));
        assertEquals("gdb", e.getString("lun"));
        assertEquals(new JsonArray().add("gdb-s"), e.getJsonArray("snapshots"));
        assertEquals(new JsonObject().put("initiator", INI).put("hostLun", 4).put("unit", "gdb").put("host", "dbhost"),
                e.getJsonArray("presentations").getJsonObject(0));
        assertTrue(e.getString("error").contains("deleting LUN gdb is refused") && e.getString("error").contains(INI), e.getString("error"));
        assertError(f.call("DELETE", "/api/luns/gdb?force=false", null), 409, "force");
        assertError(f.call("DELETE", "/api/luns/gdb?force=yes", null), 400, "force");

        r = f.call("PATCH", "/api/luns/gdb", "{\"sizeBytes\":1048576}");
        assertError(r, 409, "force");
        assertTrue(obj(r).getString("error").contains("shrinking LUN gdb from 10 MiB to 1 MiB"), r.body());
        assertEquals(before, state("gdb"), "refusals changed nothing: size, presentations, snapshots, data");

        assertEquals(2L << 20, obj(ok(f.call("PATCH", "/api/luns/gdb?force=true", "{\"sizeBytes\":2097152}"), 200)).getLong("sizeBytes"));
        ok(f.call("DELETE", "/api/luns/gdb?force=true", null), 204);
        assertError(f.call("GET", "/api/luns/gdb", null), 404, "name");
        ok(f.call("DELETE", "/api/hosts/dbhost", null), 204);
    }

    @Test
    void shouldAskBeforeABackupCopyOverwritesItsDestination() throws Exception {
        ok(f.call("PUT", "/api/backup/log", "{\"name\":\"glog\",\"capacityBytes\":4194304}"), 201);
        lunWithData("gsrc");
        lunWithData("gdst");
        f.controller.cache().synchronizeAll();
        ok(f.call("POST", "/api/backup/initiate", "{\"lun\":\"gsrc\"}"), 200);
        String before = state("gdst");
        HttpResponse<String> r = f.call("POST", "/api/backup/copy", "{\"destination\":\"gdst\"}");
        assertError(r, 409, "force");
        assertTrue(obj(r).getString("error").contains("LUN gdst") && obj(r).getString("error").contains("holds data"), r.body());
        assertEquals(null, obj(ok(f.call("GET", "/api/backup", null), 200)).getValue("copy"), "no copy started");
        assertEquals(before, state("gdst"));
        ok(f.call("POST", "/api/backup/copy?force=true", "{\"destination\":\"gdst\"}"), 202);
        f.controller.backupEngine().awaitCopy(30_000);
        f.call("POST", "/api/backup/terminate", null);   // the finished copy may have ended the backup already
        ok(f.call("DELETE", "/api/backup/log", null), 204);
        ok(f.call("DELETE", "/api/luns/gsrc", null), 204);
        ok(f.call("DELETE", "/api/luns/gdst", null), 204);
    }

    @Test
    void shouldRefuseSeeingOneLunTwiceAndShadowingSayingWhich() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"gtw\",\"sizeBytes\":1048576}"), 201);
        ok(f.call("POST", "/api/luns", "{\"name\":\"gtw2\",\"sizeBytes\":1048576}"), 201);
        ok(f.call("POST", "/api/luns/gtw/present", "{\"initiator\":\"" + INI + "\",\"hostLun\":7}"), 200);
        HttpResponse<String> r = f.call("POST", "/api/luns/gtw/present", "{\"initiator\":\"" + INI + "\",\"hostLun\":8}");
        assertError(r, 409, "hostLun");
        assertTrue(obj(r).getString("error").contains("already sees LUN gtw as host LUN 7"), r.body());
        r = f.call("POST", "/api/luns/gtw2/present", "{\"initiator\":\"*\",\"hostLun\":7}");
        assertError(r, 409, "hostLun");
        assertTrue(obj(r).getString("error").contains("shadowed for " + INI + ", which sees LUN gtw there"), r.body());
        assertEquals(1, obj(ok(f.call("GET", "/api/luns/gtw", null), 200)).getJsonArray("presentations").size());
        assertEquals(0, obj(ok(f.call("GET", "/api/luns/gtw2", null), 200)).getJsonArray("presentations").size());
        ok(f.call("POST", "/api/luns/gtw/unpresent", "{\"initiator\":\"" + INI + "\",\"hostLun\":7}"), 200);
        ok(f.call("DELETE", "/api/luns/gtw", null), 204);
        ok(f.call("DELETE", "/api/luns/gtw2", null), 204);
    }

    @Test
    void shouldRefuseNotAnIqnWhereverInitiatorsAreAcceptedNamingFieldAndValue() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"giqn\",\"sizeBytes\":1048576}"), 201);
        ok(f.call("POST", "/api/luns/giqn/snapshots", "{\"name\":\"giqn-s\"}"), 201);
        String[][] calls = {
            {"/api/luns/giqn/present", "{\"initiator\":\"not-an-iqn\",\"hostLun\":1}", "initiator"},
            {"/api/snapshots/giqn-s/present", "{\"initiator\":\"not-an-iqn\",\"hostLun\":1}", "initiator"},
            {"/api/hosts", "{\"name\":\"h\",\"initiators\":[\"not-an-iqn\"]}", "initiators[0]"},
            {"/api/hosts", "{\"name\":\"h\",\"initiators\":[\"iqn.2026-11.x:ok\",\"eui.0123\"],"
                    + "\"chap\":{\"userName\":\"u\",\"secret\":\"0123456789abcdef\"}}", "initiators[1]"},
        };
        for (String[] c : calls) {
            HttpResponse<String> r = f.call("POST", c[0], c[1]);
            assertError(r, 400, c[2]);
            String bad = c[1].contains("eui.0123") ? "eui.0123" : "not-an-iqn";
            assertTrue(obj(r).getString("error").contains("'" + bad + "'"), "the bad value is named: " + r.body());
        }
        assertEquals(0, obj(ok(f.call("GET", "/api/luns/giqn", null), 200)).getJsonArray("presentations").size());
        assertEquals(0, obj(ok(f.call("GET", "/api/hosts", null), 200)).getJsonArray("hosts").size());
        ok(f.call("DELETE", "/api/luns/giqn?force=true", null), 204);
    }
}
