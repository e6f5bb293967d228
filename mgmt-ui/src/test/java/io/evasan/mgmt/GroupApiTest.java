package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POST /api/pool/groups: a disk group of sparse drive files made at run time, listed by GET /api/pool,
 * metered, drillable, and still there after a restart of the whole appliance; bad bodies are 400 naming
 * the field and change nothing; an existing name is 409.
 */
class GroupApiTest extends ApplianceTest {
    private static JsonArray groups() {
        return obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups");
    }

    @Test
    void shouldCreateAGroupThatSurvivesARestart() throws Exception {
        JsonObject g = obj(ok(f.call("POST", "/api/pool/groups", "{\"name\":\"fast\",\"drives\":6,\"driveSizeBytes\":67108864}"), 201));
        assertEquals("fast", g.getString("name"));
        int id = g.getInteger("id");
        assertEquals(6, g.getJsonArray("drives").size());
        assertTrue(g.getLong("freePsegs") > 0);
        assertEquals(g.getLong("totalPsegs"), g.getLong("freePsegs"));
        assertTrue(Files.exists(f.dir.resolve("pool/drives/group-fast/d05.img")));
        assertEquals(2, groups().size());
        String metrics = ok(f.call("GET", "/metrics", null), 200).body();
        assertTrue(metrics.contains("evasan_pool_psegs_free{group=\"fast\"}"), "the new group is metered");

        // given sizes, one per drive
        JsonObject h = obj(ok(f.call("POST", "/api/pool/groups", "{\"name\":\"mixed\",\"drives\":6,\"driveSizeBytes\":"
                + "[67108864,67108864,67108864,100663296,100663296,100663296]}"), 201));
        assertEquals(100663296L, h.getJsonArray("drives").getJsonObject(5).getLong("capacityBytes"));

        // drills work on it at once
        ok(f.call("POST", "/api/pool/groups/" + id + "/drives", "{\"sizeBytes\":67108864}"), 201);

        f.reopen();
        JsonArray after = groups();
        assertEquals(3, after.size(), after::encodePrettily);
        JsonObject fast = after.getJsonObject(1);
        assertEquals("fast", fast.getString("name"));
        assertEquals(7, fast.getJsonArray("drives").size());
        assertTrue(fast.getJsonArray("drives").stream().allMatch(d -> ((JsonObject) d).getString("state").equals("AVAILABLE")),
                fast::encodePrettily);
        assertFalse(f.pool.describe().contains("problem"), f.pool.describe());
        assertError(f.call("POST", "/api/pool/groups", "{\"name\":\"fast\",\"drives\":6,\"driveSizeBytes\":67108864}"), 409, "name");
    }

    @Test
    void shouldRefuseBadBodiesAndChangeNothing() {
        int before = groups().size();
        String[][] bad = {
            {"{\"drives\":6,\"driveSizeBytes\":67108864}", "name"},
            {"{\"name\":\"bad name\",\"drives\":6,\"driveSizeBytes\":67108864}", "name"},
            {"{\"name\":\"x23456789012345678901234567890123\",\"drives\":6,\"driveSizeBytes\":67108864}", "name"},
            {"{\"name\":\"b1\",\"drives\":5,\"driveSizeBytes\":67108864}", "drives"},
            {"{\"name\":\"b1\",\"drives\":13,\"driveSizeBytes\":67108864}", "drives"},
            {"{\"name\":\"b1\",\"drives\":\"6\",\"driveSizeBytes\":67108864}", "drives"},
            {"{\"name\":\"b1\",\"driveSizeBytes\":67108864}", "drives"},
            {"{\"name\":\"b1\",\"drives\":6}", "driveSizeBytes"},
            {"{\"name\":\"b1\",\"drives\":6,\"driveSizeBytes\":1048576}", "driveSizeBytes"},
            {"{\"name\":\"b1\",\"drives\":6,\"driveSizeBytes\":67108865}", "driveSizeBytes"},
            {"{\"name\":\"b1\",\"drives\":6,\"driveSizeBytes\":[67108864,67108864]}", "driveSizeBytes"},
            {"{\"name\":\"b1\",\"drives\":6,\"driveSizeBytes\":[67108864,67108864,67108864,67108864,67108864,\"x\"]}", "driveSizeBytes"},
            {"{\"name\":\"b1\",\"drives\":6,\"driveSizeBytes\":67108864,\"raid\":\"RAID5\"}", "raid"},
            {"[]", "body"},
        };
        for (String[] b : bad) {
            assertError(f.call("POST", "/api/pool/groups", b[0]), 400, b[1]);
        }
        assertError(f.call("POST", "/api/pool/groups", "{\"name\":\"dg0\",\"drives\":6,\"driveSizeBytes\":67108864}"), 409, "name");
        assertError(f.send("POST", "/api/pool/groups", "{\"name\":\"b2\",\"drives\":6,\"driveSizeBytes\":67108864}", null), 401,
                "Authorization");
        assertEquals(before, groups().size());
        assertFalse(Files.exists(f.dir.resolve("pool/drives/group-b1")), "nothing was written");
        assertFalse(Files.exists(f.dir.resolve("pool/drives/group-b2")));
    }
}
