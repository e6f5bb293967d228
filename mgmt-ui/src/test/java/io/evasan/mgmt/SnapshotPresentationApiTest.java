package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static io.evasan.mgmt.ManagementApiTest.arr;
import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POST /api/snapshots/{name}/present and /unpresent: presentations listed in the snapshot JSON and
 * persisted, every 4xx answer naming its field and changing nothing, delete of a presented snapshot
 * refused (409), and a finished snapclone promoted to a LUN keeping its presentations.
 */
class SnapshotPresentationApiTest extends ApplianceTest {
    private static final String IQN = "iqn.2026-11.test:backup1";

    private static void fill(String lun, byte value) {
        int id = f.controller.lun(lun).id();
        byte[] data = new byte[64 * 1024];
        java.util.Arrays.fill(data, value);
        for (long off = 0; off < (4 << 20); off += (1 << 20)) {
            f.controller.cache().write(0, id, off, ByteBuffer.wrap(data), true);
        }
    }

    private static JsonObject snapshot(String name) {
        for (Object o : arr(ok(f.call("GET", "/api/snapshots", null), 200))) {
            if (name.equals(((JsonObject) o).getString("name"))) {
                return (JsonObject) o;
            }
        }
        return null;
    }

    private static String pres(String initiator, int hostLun) {
        return "{\"initiator\":\"" + initiator + "\",\"hostLun\":" + hostLun + "}";
    }

    @Test
    void shouldPresentAndUnpresentASnapshotAndRefuseBadInputChangingNothing() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"sp1\",\"sizeBytes\":4194304}"), 201);
        fill("sp1", (byte) 1);
        ok(f.call("POST", "/api/luns/sp1/snapshots", "{\"name\":\"sp1-s\"}"), 201);
        ok(f.call("POST", "/api/luns/sp1/present", pres(IQN, 0)), 200);
        fill("sp1", (byte) 2);

        JsonObject s = obj(ok(f.call("POST", "/api/snapshots/sp1-s/present", pres(IQN, 5)), 200));
        assertEquals(new JsonArray().add(new JsonObject().put("initiator", IQN).put("hostLun", 5)), s.getJsonArray("presentations"));
        assertEquals(4L << 20, s.getLong("sizeBytes"));
        assertEquals(s.getJsonArray("presentations"), snapshot("sp1-s").getJsonArray("presentations"));
        byte[] got = new byte[4096];
        f.controller.readSnapshot("sp1-s", 0, got);
        assertEquals(1, got[0], "the snapshot's host sees the old data");

        String before = arr(ok(f.call("GET", "/api/snapshots", null), 200)).encode() + f.controller.listPresentations();
        assertError(f.call("POST", "/api/snapshots/nosuch/present", pres(IQN, 6)), 404, "name");
        assertError(f.call("POST", "/api/snapshots/sp1-s/present", pres(IQN, 0)), 409, "hostLun");   // the LUN's
        assertError(f.call("POST", "/api/luns/sp1/present", pres(IQN, 5)), 409, "hostLun");   // the snapshot's
        assertError(f.call("POST", "/api/snapshots/sp1-s/present", pres(IQN, 16384)), 400, "hostLun");
        assertError(f.call("POST", "/api/snapshots/sp1-s/present", pres(IQN, -1)), 400, "hostLun");
        assertError(f.call("POST", "/api/snapshots/sp1-s/present", "{\"hostLun\":6}"), 400, "initiator");
        assertError(f.call("POST", "/api/snapshots/sp1-s/present", "{\"initiator\":\"\",\"hostLun\":6}"), 400, "initiator");
        assertError(f.call("POST", "/api/snapshots/sp1-s/present", "{\"initiator\":\"" + IQN + "\",\"hostLun\":6,\"x\":1}"), 400, "x");
        assertError(f.call("POST", "/api/snapshots/sp1-s/present", "not json"), 400, null);
        assertError(f.call("POST", "/api/snapshots/sp1-s/unpresent", pres(IQN, 0)), 404, "hostLun");
        assertError(f.call("POST", "/api/snapshots/sp1-s/unpresent", pres("iqn.other", 5)), 404, "hostLun");
        assertError(f.call("POST", "/api/snapshots/nosuch/unpresent", pres(IQN, 5)), 404, "name");
        java.net.http.HttpResponse<String> delR = f.call("DELETE", "/api/snapshots/sp1-s", null);
        assertError(delR, 409, "name");
        JsonObject del = obj(delR);
        assertTrue(del.getString("error").contains(IQN) && del.getString("error").contains("host LUN 5"), del::encode);
        assertError(f.call("POST", "/api/luns", "{\"name\":\"sp1-s\",\"sizeBytes\":1048576}"), 409, "name");
        assertEquals(before, arr(ok(f.call("GET", "/api/snapshots", null), 200)).encode() + f.controller.listPresentations(),
                "refused requests changed nothing");
        for (String path : List.of("/api/snapshots/sp1-s/present", "/api/snapshots/sp1-s/unpresent")) {
            assertError(f.send("POST", path, pres(IQN, 7), null), 401, "Authorization");
        }
        assertEquals(before, arr(ok(f.call("GET", "/api/snapshots", null), 200)).encode() + f.controller.listPresentations());

        // the hosts view names the snapshot at its host LUN
        JsonObject hosts = obj(ok(f.call("GET", "/api/hosts", null), 200));
        assertTrue(hosts.encode().contains("\"lun\":\"sp1-s\""), hosts::encode);

        JsonObject un = obj(ok(f.call("POST", "/api/snapshots/sp1-s/unpresent", pres(IQN, 5)), 200));
        assertEquals(new JsonArray(), un.getJsonArray("presentations"));
        ok(f.call("DELETE", "/api/snapshots/sp1-s", null), 204);
        ok(f.call("DELETE", "/api/luns/sp1?force=true", null), 204);
    }

    /** A host's presentations follow its initiators on an edit: the snapshot's as well as the LUN's. */
    @Test
    void shouldMoveASnapshotPresentationWithTheHostsInitiators() {
        String oldIqn = "iqn.2026-11.test:edit-old";
        String newIqn = "iqn.2026-11.test:edit-new";
        ok(f.call("POST", "/api/luns", "{\"name\":\"sp4\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns/sp4/snapshots", "{\"name\":\"sp4-s\"}"), 201);
        ok(f.call("POST", "/api/luns/sp4/present", pres(oldIqn, 0)), 200);
        ok(f.call("POST", "/api/snapshots/sp4-s/present", pres(oldIqn, 1)), 200);
        ok(f.call("POST", "/api/hosts", "{\"name\":\"sp4-host\",\"initiators\":[\"" + oldIqn + "\"]}"), 201);

        ok(f.call("PATCH", "/api/hosts/sp4-host", "{\"initiators\":[\"" + newIqn + "\"]}"), 200);

        assertEquals(new JsonArray().add(new JsonObject().put("initiator", newIqn).put("hostLun", 1)),
                snapshot("sp4-s").getJsonArray("presentations"), "the snapshot moved to the new initiator");
        JsonObject lun = obj(ok(f.call("GET", "/api/luns/sp4", null), 200));
        assertEquals(new JsonArray().add(new JsonObject().put("initiator", newIqn).put("hostLun", 0)),
                lun.getJsonArray("presentations"), "the LUN moved to the new initiator");
        ok(f.call("DELETE", "/api/hosts/sp4-host", null), 204);
        assertEquals(new JsonArray(), snapshot("sp4-s").getJsonArray("presentations"), "deleting the host unpresents its snapshot");
        ok(f.call("DELETE", "/api/luns/sp4?force=true", null), 204);
    }

    @Test
    void shouldKeepASnapshotPresentationAcrossARestart() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"sp2\",\"sizeBytes\":4194304}"), 201);
        fill("sp2", (byte) 3);
        ok(f.call("POST", "/api/luns/sp2/snapshots", "{\"name\":\"sp2-s\"}"), 201);
        ok(f.call("POST", "/api/snapshots/sp2-s/present", pres("*", 9)), 200);
        f.reopen();
        assertEquals(new JsonArray().add(new JsonObject().put("initiator", "*").put("hostLun", 9)),
                snapshot("sp2-s").getJsonArray("presentations"));
        assertTrue(f.controller.snapshotLogicalUnit("sp2-s") != null);
        ok(f.call("POST", "/api/snapshots/sp2-s/unpresent", pres("*", 9)), 200);
        ok(f.call("DELETE", "/api/luns/sp2?force=true", null), 204);
    }

    @Test
    void shouldListAFinishedSnapcloneAsALunWithItsPresentations() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"sp3\",\"sizeBytes\":4194304}"), 201);
        fill("sp3", (byte) 4);
        long disk = obj(ok(f.call("POST", "/api/luns/sp3/snapshots", "{\"name\":\"sp3-c\",\"snapclone\":true}"), 201)).getLong("disk");
        ok(f.call("POST", "/api/snapshots/sp3-c/present", pres(IQN, 11)), 200);   // while it copies
        assertError(f.call("POST", "/api/jobs/bgcopy-sp3-c/cancel", null), 409, "id");   // presented: not deleted
        assertEquals("RUNNING", obj(ok(f.call("GET", "/api/jobs/bgcopy-sp3-c", null), 200)).getString("state"));
        assertTrue(snapshot("sp3-c") != null, "the refused cancel changed nothing");
        fill("sp3", (byte) 5);
        for (int i = 0; i < 1000 && f.trees.bgcopyStep(disk, 8) > 0; i++) {
            // finish the copy on this thread
        }
        for (Object o : arr(ok(f.call("GET", "/api/snapshots", null), 200))) {
            assertTrue(!"sp3-c".equals(((JsonObject) o).getString("name")), "no longer a snapshot");
        }
        JsonObject l = obj(ok(f.call("GET", "/api/luns/sp3-c", null), 200));
        assertEquals("PRIMARY", l.getString("kind"));
        assertEquals(4L << 20, l.getLong("sizeBytes"));
        assertEquals(disk, l.getLong("disk"));
        assertEquals(new JsonArray().add(new JsonObject().put("initiator", IQN).put("hostLun", 11)), l.getJsonArray("presentations"));
        assertTrue(arr(ok(f.call("GET", "/api/luns", null), 200)).stream()
                .anyMatch(o -> "sp3-c".equals(((JsonObject) o).getString("name"))));
        assertEquals("DONE", obj(ok(f.call("GET", "/api/jobs/bgcopy-sp3-c", null), 200)).getString("state"));
        byte[] got = new byte[4096];
        f.controller.read("sp3-c", 0, got);
        byte[] four = new byte[4096];
        java.util.Arrays.fill(four, (byte) 4);
        assertArrayEquals(four, got, "the clone holds the source as it was");
        // a full LUN: resize, snapshot, unpresent, delete
        assertEquals(8L << 20, obj(ok(f.call("PATCH", "/api/luns/sp3-c", "{\"sizeBytes\":8388608}"), 200)).getLong("sizeBytes"));
        ok(f.call("POST", "/api/luns/sp3-c/snapshots", "{\"name\":\"sp3-c-s\"}"), 201);
        ok(f.call("POST", "/api/luns/sp3-c/unpresent", pres(IQN, 11)), 200);
        ok(f.call("DELETE", "/api/luns/sp3-c?force=true", null), 204);
        ok(f.call("DELETE", "/api/luns/sp3?force=true", null), 204);
    }
}
