package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.ManagementApiTest.arr;
import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-snapshot allocation policy (POST /api/luns/{name}/snapshots {@code policy}): RESERVE_FULL
 * reserves the LUN's capacity at creation (the group's free PSEGs drop), ON_DEMAND does not; the
 * default is the controller's configured policy; the policy is reported by the create answer and
 * GET /api/snapshots, also after a restart of the whole appliance; bad values are 400 {@code policy}.
 */
class SnapshotPolicyApiTest extends ApplianceTest {
    private static long freePsegs() {
        return obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups").getJsonObject(0).getLong("freePsegs");
    }

    private static JsonObject listed(String name) {
        JsonArray a = arr(ok(f.call("GET", "/api/snapshots", null), 200));
        for (int i = 0; i < a.size(); i++) {
            if (a.getJsonObject(i).getString("name").equals(name)) {
                return a.getJsonObject(i);
            }
        }
        throw new AssertionError("snapshot " + name + " not listed: " + a);
    }

    @Test
    void shouldReserveOnlyForReserveFullAndKeepThePolicyOverARestart() throws Exception {
        ok(f.call("POST", "/api/luns", "{\"name\":\"pl\",\"sizeBytes\":67108864}"), 201);   // 64 MiB, thin: nothing written
        long free0 = freePsegs();

        JsonObject od = obj(ok(f.call("POST", "/api/luns/pl/snapshots", "{\"name\":\"pl-od\",\"policy\":\"ON_DEMAND\"}"), 201));
        assertEquals("ON_DEMAND", od.getString("policy"));
        long free1 = freePsegs();
        assertEquals(free0, free1, "an ON_DEMAND snapshot of an unwritten LUN takes no PSEG");

        JsonObject rf = obj(ok(f.call("POST", "/api/luns/pl/snapshots", "{\"name\":\"pl-rf\",\"policy\":\"RESERVE_FULL\"}"), 201));
        assertEquals("RESERVE_FULL", rf.getString("policy"));
        long free2 = freePsegs();
        assertTrue(free2 < free1, "a RESERVE_FULL snapshot reserves the LUN's capacity at creation: " + free1 + " -> " + free2);

        JsonObject dflt = obj(ok(f.call("POST", "/api/luns/pl/snapshots", "{\"name\":\"pl-d\"}"), 201));
        assertEquals(f.controller.defaultSnapshotPolicy().name(), dflt.getString("policy"), "no policy = the controller's");
        assertEquals("ON_DEMAND", listed("pl-od").getString("policy"));
        assertEquals("RESERVE_FULL", listed("pl-rf").getString("policy"));

        f.reopen();
        assertEquals("ON_DEMAND", listed("pl-od").getString("policy"));
        assertEquals("RESERVE_FULL", listed("pl-rf").getString("policy"));
        assertEquals(free2, freePsegs(), "the reservation survives the restart");

        ok(f.call("DELETE", "/api/snapshots/pl-rf", null), 204);
        assertEquals(free1, freePsegs(), "deleting the RESERVE_FULL snapshot returns its reservation");
    }

    @Test
    void shouldRefuseABadPolicyAndChangeNothing() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"pb\",\"sizeBytes\":4194304}"), 201);
        int before = arr(ok(f.call("GET", "/api/snapshots", null), 200)).size();
        assertError(f.call("POST", "/api/luns/pb/snapshots", "{\"name\":\"x1\",\"policy\":\"RESERVED\"}"), 400, "policy");
        assertError(f.call("POST", "/api/luns/pb/snapshots", "{\"name\":\"x2\",\"policy\":\"on_demand\"}"), 400, "policy");
        assertError(f.call("POST", "/api/luns/pb/snapshots", "{\"name\":\"x3\",\"policy\":7}"), 400, "policy");
        assertError(f.call("POST", "/api/luns/pb/snapshots", "{\"name\":\"x4\",\"policy\":\"\"}"), 400, "policy");
        assertError(f.send("POST", "/api/luns/pb/snapshots", "{\"name\":\"x5\",\"policy\":\"ON_DEMAND\"}", null), 401, "Authorization");
        assertEquals(before, arr(ok(f.call("GET", "/api/snapshots", null), 200)).size(), "refused requests took no snapshot");
    }

    @Test
    void shouldAnswer507NamingPolicyWhenTheReservationDoesNotFit() {
        // 8 x 96 MiB drives (768 MiB raw) cannot reserve a RAID5 copy of a 1 GiB thin LUN
        ok(f.call("POST", "/api/luns", "{\"name\":\"big\",\"sizeBytes\":1073741824}"), 201);
        assertError(f.call("POST", "/api/luns/big/snapshots", "{\"name\":\"big-rf\",\"policy\":\"RESERVE_FULL\"}"), 507, "policy");
        assertTrue(arr(ok(f.call("GET", "/api/snapshots", null), 200)).stream()
                .noneMatch(o -> ((JsonObject) o).getString("name").equals("big-rf")));
        ok(f.call("DELETE", "/api/luns/big", null), 204);
    }
}
