package io.evasan.mgmt;

import io.evasan.raid.drive.DriveState;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/pool/groups/{g}/drives and .../remove on a pool of its own (membership changes the drive list). */
class PoolMembershipTest {
    static ApplianceFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new ApplianceFixture();
        ManagementApiTest.f = f; // the shared helpers read the fixture from there
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void shouldAddAndRemoveADrive() {
        int g = f.pool.diskGroups().get(0).id();
        String base = "/api/pool/groups/" + g + "/drives";
        assertError(f.call("POST", base, "{}"), 400, "sizeBytes");
        assertError(f.call("POST", base, "{\"sizeBytes\":\"64M\"}"), 400, "sizeBytes");
        assertError(f.call("POST", base, "{\"sizeBytes\":1048576}"), 400, "sizeBytes");
        assertError(f.call("POST", base, "{\"sizeBytes\":67109376}"), 400, "sizeBytes");
        assertError(f.call("POST", base, "{\"sizeBytes\":67108864,\"path\":\"/etc/x\"}"), 400, "path");
        assertError(f.call("POST", "/api/pool/groups/9/drives", "{\"sizeBytes\":67108864}"), 404, "group");
        assertEquals(8, f.pool.diskGroups().get(0).drives().size(), "refused adds changed nothing");

        JsonObject d = obj(ok(f.call("POST", base, "{\"sizeBytes\":67108864}"), 201));
        assertEquals(8, d.getInteger("index"));
        assertEquals("AVAILABLE", d.getString("state"));
        assertEquals(64L << 20, d.getLong("capacityBytes"));
        assertTrue(Files.exists(f.pool.directory().resolve("drives/g" + g + "-api00.img")));
        assertEquals(9, obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups").getJsonObject(0)
                .getJsonArray("drives").size());

        JsonObject r = obj(ok(f.call("POST", base + "/8/remove", null), 200));
        assertEquals("REMOVED", r.getString("state"));
        assertTrue(f.pool.diskGroups().get(0).drives().stream().noneMatch(x -> x.index() == 8 && x.state() != DriveState.REMOVED));
        assertError(f.call("POST", base + "/8/remove", null), 404, "drive");
        assertError(f.call("POST", base + "/x/remove", null), 400, "drive");
        ok(f.call("POST", base + "/7/remove", null), 200);
        ok(f.call("POST", base + "/6/remove", null), 200);
        assertError(f.call("POST", base + "/5/remove", null), 409, "drive");
        assertEquals(DriveState.AVAILABLE, f.pool.diskGroups().get(0).drives().get(5).state());
    }
}
