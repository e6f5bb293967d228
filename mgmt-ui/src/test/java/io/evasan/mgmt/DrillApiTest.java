package io.evasan.mgmt;

import io.evasan.nsc.cell.drill.LastRedundancy;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.rsd.Rsd;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.ByteBuffer;

import static io.evasan.mgmt.ManagementApiTest.arr;
import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drills' verifier, the pull-drive drill and the kept drill history over REST, on a paired appliance: a verified
 * kill drill reports writes acknowledged = verified and none lost; POST /api/drills/pull-drive refuses bad input
 * naming the field (400 / 404 / 409) with nothing changed, pulls a drive with the verifier running, and refuses (409
 * {@code force}) a drive holding the last redundancy of an RStore; the history survives a reopen of the appliance.
 * Tests run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DrillApiTest {
    static ApplianceFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new ApplianceFixture("drill-", c -> c, true);
        ok(f.call("POST", "/api/luns", "{\"name\":\"keep\",\"sizeBytes\":8388608}"), 201);
        f.controller.writeCache().write(0, f.controller.lun("keep").id(), 0, ByteBuffer.wrap(new byte[1 << 20]), false);
        f.controller.writeCache().synchronize(f.controller.lun("keep").id(), 0, 0);
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static int luns() {
        return arr(ok(f.call("GET", "/api/luns", null), 200)).size();
    }

    @Test
    @Order(1)
    void shouldRunAVerifiedKillDrillAndReportWritesAcknowledgedVerifiedAndLost() {
        assertError(f.call("POST", "/api/controllers/B/drills", "{\"kind\":\"kill\",\"force\":true,\"verify\":1}"), 400, "verify");
        JsonObject d = obj(ok(f.call("POST", "/api/controllers/B/drills", "{\"kind\":\"kill\",\"force\":true,\"verify\":true}"), 200));
        assertTrue(d.getLong("writesAcknowledged") >= 128, d::encode);
        assertEquals(d.getLong("writesAcknowledged"), d.getLong("writesVerified"), d::encode);
        assertEquals(0L, d.getLong("lostWrites"), d::encode);
        assertTrue(d.getString("outcome").startsWith("taken over by A; verifier on drill-scratch-"), d::encode);
        assertEquals(1, luns(), "the scratch LUN is gone");
        JsonObject listed = arr(ok(f.call("GET", "/api/drills", null), 200)).getJsonObject(0);
        assertEquals(d.getLong("writesVerified"), listed.getLong("writesVerified"));
        ok(f.call("POST", "/api/controllers/B/restart", null), 200);
    }

    @Test
    @Order(2)
    void shouldRefuseABadPullDriveRequestNamingTheField() {
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"index\":1}"), 400, "group");
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":0}"), 400, "index");
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":0,\"index\":\"one\"}"), 400, "index");
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":-1,\"index\":1}"), 400, "group");
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":0,\"index\":1,\"force\":\"yes\"}"), 400, "force");
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":0,\"index\":1,\"drive\":1}"), 400, "drive");
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":99,\"index\":1}"), 404, "group");
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":0,\"index\":99}"), 404, "index");
        assertEquals(1, arr(ok(f.call("GET", "/api/drills", null), 200)).size());
        assertEquals(1, luns());
    }

    @Test
    @Order(3)
    void shouldPullADriveWithTheVerifierAndRefuseTheLastRedundancyUnlessForced() {
        DiskGroup g = f.pool.diskGroups().get(0);
        Rsd rsd = g.rsd(g.rsdIds().get(0));
        int pulled = rsd.drive(0);
        int other = rsd.drive(1);
        JsonObject d = obj(ok(f.call("POST", "/api/drills/pull-drive",
                "{\"group\":" + g.id() + ",\"index\":" + pulled + ",\"verify\":true}"), 200));
        assertEquals("pull-drive", d.getString("kind"));
        assertNull(d.getValue("target"));
        assertEquals(d.getLong("writesAcknowledged"), d.getLong("writesVerified"), d::encode);
        assertEquals(0L, d.getLong("lostWrites"));
        assertTrue(d.getString("outcome").contains("group degraded") && d.getString("outcome").contains("data readable"),
                d::encode);
        assertError(f.call("POST", "/api/drills/pull-drive", "{\"group\":" + g.id() + ",\"index\":" + pulled + "}"), 409, "index");

        assertTrue(!LastRedundancy.onDrive(g, other).isEmpty());
        var r = f.call("POST", "/api/drills/pull-drive", "{\"group\":" + g.id() + ",\"index\":" + other + ",\"verify\":true}");
        assertError(r, 409, "force");
        assertTrue(r.body().contains("last redundancy"), r::body);
        assertEquals("AVAILABLE", g.drives().get(other).state().name(), "nothing changed");
        assertEquals(1, luns());
        assertEquals(2, arr(ok(f.call("GET", "/api/drills", null), 200)).size());
        ok(f.call("POST", "/api/pool/groups/" + g.id() + "/drives/" + pulled + "/restore", null), 202);
    }

    @Test
    @Order(4)
    void shouldListTheDrillsOfBeforeAReopen() throws Exception {
        JsonArray before = arr(ok(f.call("GET", "/api/drills", null), 200));
        f.reopen();
        JsonArray after = arr(ok(f.call("GET", "/api/drills", null), 200));
        assertEquals(before, after);
    }
}
