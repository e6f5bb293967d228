package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leveling wired into the appliance (issue 15): drives added to a group holding data start a leveling job that moves
 * PSEGs onto them until the group is balanced, shown as job {@code leveling-<group>} with its events, the data intact;
 * a request to level a balanced group ends BALANCED without moves; an ended job refuses pause / resume / cancel.
 */
class LevelingApiTest {
    static ApplianceFixture f;

    @BeforeAll
    static void open() throws Exception {
        f = new ApplianceFixture();
    }

    @AfterAll
    static void close() throws Exception {
        f.close();
    }

    private static JsonObject awaitEnded(String id) throws InterruptedException {
        JsonObject j = null;
        for (int i = 0; i < 1200; i++) {
            j = obj(ok(f.call("GET", "/api/jobs/" + id, null), 200));
            String s = j.getString("state");
            if (!s.equals("RUNNING") && !s.equals("PAUSED")) {
                return j;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("leveling still running: " + j);
    }

    @Test
    void shouldMoveDataOntoAddedDrivesUntilBalanced() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"lv\",\"sizeBytes\":" + (96L << 20) + "}"), 201);
        int id = f.controller.lun("lv").id();
        byte[] data = new byte[96 << 20];
        new Random(42).nextBytes(data);
        for (int at = 0; at < data.length; at += 1 << 20) {
            f.controller.writeCache().write(0, id, at, ByteBuffer.wrap(data, at, 1 << 20), false);
        }
        f.controller.writeCache().synchronize(id, 0, 0);
        for (int n = 0; n < 2; n++) {
            ok(f.call("POST", "/api/pool/groups/0/drives", "{\"sizeBytes\":" + (96L << 20) + "}"), 201);
        }
        JsonObject job = awaitEnded("leveling-0");
        assertEquals("DONE", job.getString("state"), job::encode);
        assertEquals("BALANCED", job.getString("levelingState"));
        assertTrue(job.getLong("moves") > 0, "PSEGs moved: " + job.encode());
        assertEquals(job.getLong("done"), job.getLong("total"), "bytes moved = bytes planned once balanced");
        JsonArray drives = obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups").getJsonObject(0)
                .getJsonArray("drives");
        for (Object o : drives) {
            JsonObject d = (JsonObject) o;
            assertTrue(d.getLong("usedPsegs") > 0, "every drive holds data now, the added ones too: " + d.encode());
        }
        byte[] got = new byte[data.length];
        f.controller.read("lv", 0, got);
        assertTrue(Arrays.equals(data, got), "the LUN reads back what was written");
        String events = "";
        for (int i = 0; i < 500 && !events.contains("leveling ended BALANCED"); i++) {   // the watcher ticks every second
            Thread.sleep(20);
            events = ok(f.call("GET", "/api/event-log?object=disk-group%20dg0", null), 200).body();
        }
        assertTrue(events.contains("leveling started") && events.contains("leveling ended BALANCED"), events);

        // a balanced group: leveling on request ends BALANCED with nothing to move; an ended job is not controlled
        JsonObject again = obj(ok(f.call("POST", "/api/pool/groups/0/level", null), 202));
        assertEquals("leveling-0", again.getString("id"));
        JsonObject quiet = awaitEnded("leveling-0");
        assertEquals("BALANCED", quiet.getString("levelingState"), quiet::encode);
        assertEquals(0, quiet.getLong("moves"));
        for (String a : new String[] {"pause", "resume", "cancel"}) {
            assertError(f.call("POST", "/api/jobs/leveling-0/" + a, null), 409, "id");
        }
        assertError(f.call("POST", "/api/pool/groups/9/level", null), 404, "group");
        byte[] after = new byte[data.length];
        f.controller.read("lv", 0, after);
        assertArrayEquals(data, after);
        ok(f.call("DELETE", "/api/luns/lv", null), 204);
    }
}
