package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.evasan.mgmt.ManagementApiTest.arr;
import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The controller-pair routes over a paired appliance (two NSCs over a ControllerPair with a 50 ms heartbeat):
 * GET /api/controllers lists both, LUN ownership (get, set, move), kill and hang drills (refused without
 * {@code force}, naming the LUNs that would fail over), restart with failback, the drill history; every refusal a
 * 4xx naming the field, with nothing changed. Tests run in order: the drills build on the ownership set before.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PairApiTest {
    static ApplianceFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new ApplianceFixture("pair-", c -> c, true);
        ok(f.call("POST", "/api/luns", "{\"name\":\"pa\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns", "{\"name\":\"pb\",\"sizeBytes\":4194304}"), 201);
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    static JsonObject nsc(String id) {
        for (Object o : arr(ok(f.call("GET", "/api/controllers", null), 200))) {
            if (id.equals(((JsonObject) o).getString("id"))) {
                return (JsonObject) o;
            }
        }
        throw new AssertionError("no controller " + id);
    }

    static JsonObject owner(String lun) {
        return obj(ok(f.call("GET", "/api/luns/" + lun + "/ownership", null), 200));
    }

    static JsonObject put(String lun, String body) {
        return obj(ok(f.call("PUT", "/api/luns/" + lun + "/ownership", body), 200));
    }

    private static void write(String lun, byte value) {
        byte[] b = new byte[8192];
        Arrays.fill(b, value);
        f.controller.writeCache().write(0, f.controller.lun(lun).id(), 0, ByteBuffer.wrap(b), false);
    }

    private static void assertData(String lun, byte value) {
        byte[] want = new byte[8192];
        Arrays.fill(want, value);
        byte[] got = new byte[8192];
        f.controller.read(lun, 0, got);
        assertArrayEquals(want, got, lun + " reads back what was acknowledged");
    }

    @Test
    @Order(1)
    void shouldListBothControllersKeepingTheCacheFields() throws Exception {
        owner("pa");   // ownership is assigned on first use
        owner("pb");
        JsonArray a = arr(ok(f.call("GET", "/api/controllers", null), 200));
        assertEquals(2, a.size(), a::encode);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (nsc("A").getValue("heartbeatRttMs") == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        JsonArray luns = new JsonArray();
        for (String id : new String[] {"A", "B"}) {
            JsonObject c = nsc(id);
            assertEquals("nsc-" + id.toLowerCase(), c.getString("name"));
            assertEquals("ONLINE", c.getString("state"));
            assertEquals("ONLINE", c.getString("nscState"));
            assertTrue(c.getBoolean("paired"));
            assertEquals("MIRRORED", c.getString("mirror"), c::encode);
            assertNull(c.getString("mirrorLost"));
            assertTrue(c.getLong("cacheCapacityBytes") > 0, c::encode);
            assertTrue(c.getLong("cacheDirtyBytes") >= 0 && c.getLong("dirtyBytes") >= 0);
            assertNotNull(c.getString("snapshotBackupState"));
            assertEquals("OK", c.getString("health"));
            assertEquals(0L, c.getLong("takeovers"));
            assertEquals(c.getJsonArray("ownedUnits").size(), c.getJsonArray("luns").size());
            c.getJsonArray("luns").forEach(luns::add);
        }
        assertNotNull(nsc("A").getValue("heartbeatRttMs"), "a heartbeat round trip within 10 s");
        assertTrue(nsc("A").getDouble("heartbeatRttMs") >= 0);
        assertTrue(luns.contains("pa") && luns.contains("pb") && luns.size() == 2, luns::encode);
    }

    @Test
    @Order(2)
    void shouldGetSetAndMoveOwnership() {
        JsonObject o = owner("pa");
        assertEquals("pa", o.getString("lun"));
        assertEquals(f.controller.lun("pa").id(), o.getInteger("unitId"));
        assertEquals("NO_PREFERENCE", o.getString("mode"));
        assertNull(o.getString("preferred"));

        // pa prefers B with failback (moves there now), pb prefers A, failover only
        o = put("pa", "{\"preferred\":\"B\",\"mode\":\"FAILOVER_FAILBACK\"}");
        assertEquals("B", o.getString("owner"));
        assertEquals("B", o.getString("preferred"));
        assertEquals("FAILOVER_FAILBACK", o.getString("mode"));
        assertEquals("A", put("pb", "{\"preferred\":\"a\",\"mode\":\"failover_only\"}").getString("owner"));
        assertTrue(nsc("B").getJsonArray("luns").contains("pa"));
        assertTrue(nsc("A").getJsonArray("luns").contains("pb"));

        write("pb", (byte) 7);
        o = obj(ok(f.call("POST", "/api/luns/pb/move", "{\"to\":\"B\"}"), 200));
        assertEquals("B", o.getString("owner"));
        assertEquals("A", o.getString("preferred"), "a move keeps the preference");
        assertData("pb", (byte) 7);
        assertEquals("A", obj(ok(f.call("POST", "/api/luns/pb/move", "{\"to\":\"a\"}"), 200)).getString("owner"));
        assertData("pb", (byte) 7);
    }

    @Test
    @Order(3)
    void shouldRefuseBadOwnershipRequestsNamingTheField() {
        String before = owner("pa").encode();
        assertError(f.call("GET", "/api/luns/nosuch/ownership", null), 404, "name");
        assertError(f.call("PUT", "/api/luns/nosuch/ownership", "{\"mode\":\"NO_PREFERENCE\"}"), 404, "name");
        assertError(f.call("PUT", "/api/luns/pa/ownership", null), 400, "body");
        assertError(f.call("PUT", "/api/luns/pa/ownership", "{\"preferred\":\"A\"}"), 400, "mode");
        assertError(f.call("PUT", "/api/luns/pa/ownership", "{\"preferred\":\"A\",\"mode\":\"SOMETIMES\"}"), 400, "mode");
        assertError(f.call("PUT", "/api/luns/pa/ownership", "{\"preferred\":\"C\",\"mode\":\"FAILOVER_ONLY\"}"), 400, "preferred");
        assertError(f.call("PUT", "/api/luns/pa/ownership", "{\"preferred\":1,\"mode\":\"FAILOVER_ONLY\"}"), 400, "preferred");
        assertError(f.call("PUT", "/api/luns/pa/ownership", "{\"preferred\":null,\"mode\":\"FAILOVER_ONLY\"}"), 400, "preferred");
        assertError(f.call("PUT", "/api/luns/pa/ownership", "{\"mode\":\"FAILOVER_ONLY\",\"owner\":\"A\"}"), 400, "owner");
        assertError(f.call("POST", "/api/luns/pa/move", "{}"), 400, "to");
        assertError(f.call("POST", "/api/luns/pa/move", "{\"to\":\"C\"}"), 400, "to");
        assertError(f.call("POST", "/api/luns/nosuch/move", "{\"to\":\"A\"}"), 404, "name");
        assertEquals(before, owner("pa").encode(), "refused requests changed nothing");
    }

    @Test
    @Order(4)
    void shouldRefuseADrillWithoutForceNamingTheLunsThatWouldFailOver() {
        var r = f.call("POST", "/api/controllers/B/drills", "{\"kind\":\"kill\"}");
        assertError(r, 409, "force");
        JsonObject e = obj(r);
        assertEquals(new JsonArray().add("pa"), e.getJsonArray("wouldFailOver"), r::body);
        assertEquals("A", e.getString("takenOverBy"));
        assertTrue(e.getString("error").contains("pa"), r::body);
        assertError(f.call("POST", "/api/controllers/B/drills", "{\"kind\":\"kill\",\"force\":false}"), 409, "force");
        assertError(f.call("POST", "/api/controllers/B/drills", "{\"kind\":\"kill\",\"force\":\"yes\"}"), 400, "force");
        assertError(f.call("POST", "/api/controllers/B/drills", "{\"kind\":\"explode\",\"force\":true}"), 400, "kind");
        assertError(f.call("POST", "/api/controllers/B/drills", "{\"force\":true}"), 400, "kind");
        assertError(f.call("POST", "/api/controllers/B/drills", null), 400, "body");
        assertError(f.call("POST", "/api/controllers/C/drills", "{\"kind\":\"kill\",\"force\":true}"), 400, "id");
        assertError(f.call("POST", "/api/controllers/B/restart", null), 409, "id");   // online: nothing to restart
        assertError(f.call("POST", "/api/controllers/x/restart", null), 400, "id");
        assertEquals(0, arr(ok(f.call("GET", "/api/drills", null), 200)).size());
        assertEquals("ONLINE", nsc("B").getString("state"));
    }

    @Test
    @Order(5)
    void shouldKillThenRestartWithFailback() {
        write("pa", (byte) 3);
        JsonObject d = obj(ok(f.call("POST", "/api/controllers/B/drills", "{\"kind\":\"kill\",\"force\":true}"), 200));
        assertEquals("kill", d.getString("kind"));
        assertEquals("B", d.getString("target"));
        assertEquals("taken over by A", d.getString("outcome"), d::encode);
        assertEquals(1, d.getInteger("unitsMoved"));
        assertTrue(d.getLong("detectionMillis") >= 0 && d.getLong("takeoverMillis") >= d.getLong("detectionMillis"), d::encode);

        JsonObject b = nsc("B");
        assertEquals("FAILED", b.getString("state"));
        assertEquals(0, b.getJsonArray("luns").size());
        JsonObject a = nsc("A");
        assertEquals(1L, a.getLong("takeovers"));
        assertEquals("LOST", a.getString("mirror"), a::encode);
        assertTrue(a.getJsonArray("luns").contains("pa") && a.getJsonArray("luns").contains("pb"), a::encode);
        assertEquals("A", owner("pa").getString("owner"));
        assertData("pa", (byte) 3);

        // with B down: no drill, no move to B, no restart of A
        assertError(f.call("POST", "/api/controllers/A/drills", "{\"kind\":\"hang\"}"), 409, "id");
        assertError(f.call("POST", "/api/controllers/A/drills", "{\"kind\":\"hang\",\"force\":true}"), 409, "id");
        assertError(f.call("POST", "/api/luns/pb/move", "{\"to\":\"B\"}"), 409, "to");
        assertError(f.call("POST", "/api/controllers/A/restart", null), 409, "id");

        JsonObject r = obj(ok(f.call("POST", "/api/controllers/b/restart", "{}"), 200));
        assertEquals("B", r.getString("id"));
        assertEquals(new JsonArray().add("pa"), r.getJsonArray("failedBack"), "pa prefers B with failback");
        assertEquals("ONLINE", r.getJsonObject("nsc").getString("nscState"));
        assertEquals("B", owner("pa").getString("owner"));
        assertEquals("A", owner("pb").getString("owner"));
        assertEquals("MIRRORED", nsc("A").getString("mirror"));
        assertData("pa", (byte) 3);

        JsonArray drills = arr(ok(f.call("GET", "/api/drills", null), 200));
        assertEquals(1, drills.size());
        assertEquals(d.getLong("id"), drills.getJsonObject(0).getLong("id"));
    }

    @Test
    @Order(6)
    void shouldHangAControllerAndKeepFailoverOnlyLunsOnTheSurvivor() {
        write("pb", (byte) 9);
        JsonObject d = obj(ok(f.call("POST", "/api/controllers/A/drills", "{\"kind\":\"hang\",\"force\":true}"), 200));
        assertEquals("hang", d.getString("kind"));
        assertEquals("taken over by B", d.getString("outcome"), d::encode);
        assertFalse(nsc("A").getString("state").equals("ONLINE"), nsc("A")::encode);
        assertEquals("B", owner("pb").getString("owner"));
        assertData("pb", (byte) 9);

        JsonObject r = obj(ok(f.call("POST", "/api/controllers/A/restart", null), 200));
        assertEquals(0, r.getJsonArray("failedBack").size(), "pb fails over only: it stays on B");
        assertEquals("B", owner("pb").getString("owner"));
        assertEquals(2, arr(ok(f.call("GET", "/api/drills", null), 200)).size());
        assertEquals("ONLINE", nsc("A").getString("state"));
    }

    @Test
    @Order(7)
    void shouldCutTheBusBetweenTheControllersAndHealItByRestartingTheLoser() {
        write("pa", (byte) 5);
        assertError(f.call("POST", "/api/controllers/A/drills", "{\"kind\":\"partition\"}"), 409, "force");
        assertEquals("ONLINE", nsc("A").getString("state"), "refused: nothing changed");
        assertEquals("ONLINE", nsc("B").getString("state"));
        JsonObject d = obj(ok(f.call("POST", "/api/controllers/A/drills", "{\"kind\":\"partition\",\"force\":true}"),
                200));
        assertEquals("partition", d.getString("kind"));
        String lost = d.getString("target");
        String kept = "A".equals(lost) ? "B" : "A";
        assertEquals("taken over by " + kept, d.getString("outcome"), d::encode);
        assertEquals("FAILED", nsc(lost).getString("state"), "exactly one controller stays");
        assertEquals("ONLINE", nsc(kept).getString("state"));
        assertEquals(kept, owner("pa").getString("owner"));
        assertEquals(kept, owner("pb").getString("owner"));
        assertData("pa", (byte) 5);

        ok(f.call("POST", "/api/controllers/" + lost + "/restart", null), 200);   // the cut heals with the loser's return
        assertEquals("ONLINE", nsc(lost).getString("state"));
        assertEquals("MIRRORED", nsc(kept).getString("mirror"));
        assertData("pa", (byte) 5);
    }
}
