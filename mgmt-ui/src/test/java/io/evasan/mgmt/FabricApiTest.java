package io.evasan.mgmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.evasan.mgmt.ManagementApiTest.arr;
import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The FC fabric routes (issue 14, management): the fabric view, zones and zone sets stored as cell records and
 * activated on the fabric (again at the next start), and hosts registered by WWPN with LUNs presented to them.
 */
class FabricApiTest {
    static ApplianceFixture f;
    static FakeFabric fabric = new FakeFabric();

    @BeforeAll
    static void open() throws Exception {
        f = new ApplianceFixture(c -> c.fabric(fabric));
    }

    @AfterAll
    static void close() throws Exception {
        f.close();
    }

    static String zone(String name, String... members) {
        return new JsonObject().put("name", name).put("members", new JsonArray(List.of(members))).encode();
    }

    @Test
    void shouldShowTheFabricWithItsPortsAndDefaultZone() {
        JsonObject v = obj(ok(f.call("GET", "/api/fabric", null), 200));
        assertEquals(1, v.getInteger("domain"));
        assertEquals("127.0.0.1:7210", v.getString("listen"));
        assertEquals("ALL_ACCESS", v.getString("defaultZone"));
        JsonArray ports = v.getJsonArray("ports");
        assertEquals(3, ports.size());
        JsonObject b = ports.getJsonObject(1);
        assertEquals("010200", b.getString("nPortId"));
        assertEquals("cell", b.getString("kind"));
        assertEquals("B", b.getString("home"));
        assertEquals("A", b.getString("servedBy"), "B's port served by A after a takeover");
        assertEquals(7, b.getInteger("relativeTargetPort"));
        assertEquals("target", b.getString("role"));
        JsonObject h = ports.getJsonObject(2);
        assertEquals("host", h.getString("kind"));
        assertEquals("initiator", h.getString("role"));
        assertFalse(h.containsKey("servedBy"));
        assertEquals(2, h.getJsonArray("paths").size(), "the all-access default zone: both cell ports are paths");
    }

    @Test
    void shouldStoreZonesAndZoneSetsAsCellRecordsActivateOneAndReapplyItAtTheNextStart() {
        assertError(f.call("POST", "/api/fabric/zones", zone("z_bad", FakeFabric.HOST, "10:00:00:00:c9:aa:00")), 400, "members[1]");
        assertError(f.call("POST", "/api/fabric/zones", zone("z_bad")), 400, "members");
        assertError(f.call("POST", "/api/fabric/zones", zone("z_bad", FakeFabric.HOST, FakeFabric.HOST.toUpperCase())), 400,
                "members[1]");
        JsonObject z = obj(ok(f.call("POST", "/api/fabric/zones",
                zone("z_host_a", FakeFabric.HOST.toUpperCase(), FakeFabric.TARGET_A)), 201));
        assertEquals(new JsonArray(List.of(FakeFabric.HOST, FakeFabric.TARGET_A)), z.getJsonArray("members"), "lower-cased");
        assertError(f.call("POST", "/api/fabric/zones", zone("z_host_a", FakeFabric.HOST)), 409, "name");
        assertError(f.call("POST", "/api/fabric/zonesets", "{\"name\":\"cfg1\",\"zones\":[\"z_host_a\",\"nope\"]}"), 404, "zones[1]");
        ok(f.call("POST", "/api/fabric/zonesets", "{\"name\":\"cfg1\",\"zones\":[\"z_host_a\"]}"), 201);
        assertTrue(f.cell().records().keys("fabric.zone").contains("z_host_a"), "a cell record");
        assertTrue(f.cell().records().keys("fabric.zoneset").contains("cfg1"));
        assertTrue(fabric.calls.isEmpty() || !fabric.calls.get(fabric.calls.size() - 1).startsWith("activate"),
                "nothing enforced before activation");

        assertError(f.call("POST", "/api/fabric/zonesets/nope/activate", null), 404, "name");
        JsonObject act = obj(ok(f.call("POST", "/api/fabric/zonesets/cfg1/activate", null), 200));
        assertTrue(act.getBoolean("active"));
        assertEquals("cfg1", fabric.active);
        assertEquals(Map.of("z_host_a", Set.of(FakeFabric.HOST, FakeFabric.TARGET_A)), fabric.zones);
        JsonObject v = obj(f.call("GET", "/api/fabric", null));
        assertEquals("cfg1", v.getString("activeZoneSet"));
        assertTrue(v.getBoolean("zoningEnforced"));
        assertEquals(new JsonArray(List.of("z_host_a")), v.getJsonArray("ports").getJsonObject(0).getJsonArray("zonedWith"));
        assertEquals(new JsonArray(), v.getJsonArray("ports").getJsonObject(1).getJsonArray("zonedWith"), "B's port: in no zone");
        assertError(f.call("DELETE", "/api/fabric/zones/z_host_a", null), 409, "name");
        assertError(f.call("DELETE", "/api/fabric/zonesets/cfg1", null), 409, "name");

        // the active set is cell state: a restart of the server applies it again
        f.stopServer();
        FakeFabric fresh = new FakeFabric();
        fabric = fresh;
        f.startServer(c -> c.fabric(fresh));
        assertEquals(List.of("activate cfg1"), fresh.calls);
        assertEquals(Map.of("z_host_a", Set.of(FakeFabric.HOST, FakeFabric.TARGET_A)), fresh.zones);
        assertEquals(1, arr(f.call("GET", "/api/fabric/zonesets", null)).size());
        assertEquals(new JsonArray(List.of("cfg1")), arr(f.call("GET", "/api/fabric/zones", null)).getJsonObject(0)
                .getJsonArray("zoneSets"));

        ok(f.call("POST", "/api/fabric/deactivate", null), 200);
        assertNull(fresh.active);
        assertEquals("deactivate", fresh.calls.get(fresh.calls.size() - 1));
        assertTrue(f.cell().records().keys("fabric.active").isEmpty());
        ok(f.call("DELETE", "/api/fabric/zonesets/cfg1", null), 204);
        ok(f.call("DELETE", "/api/fabric/zones/z_host_a", null), 204);
        assertEquals(0, arr(f.call("GET", "/api/fabric/zones", null)).size());
        assertError(f.call("DELETE", "/api/fabric/zones/z_host_a", null), 404, "name");
    }

    @Test
    void shouldRegisterHostsByWwpnAndPresentLunsToThem() {
        assertError(f.call("POST", "/api/hosts", "{\"name\":\"fc-bad\",\"initiators\":[\"10:00:00:00:c9:aa:00\"]}"), 400,
                "initiators[0]");
        assertError(f.call("POST", "/api/hosts", "{\"name\":\"fc-bad\",\"initiators\":[\"10:00:00:00:c9:aa:00:0g\"]}"), 400,
                "initiators[0]");
        JsonObject h = obj(ok(f.call("POST", "/api/hosts",
                "{\"name\":\"fc-host\",\"initiators\":[\"10:00:00:00:C9:AA:00:01\",\"iqn.2026-11.test:fc-host\"]}"), 201));
        assertEquals(List.of(FakeFabric.HOST, "iqn.2026-11.test:fc-host"), h.getJsonArray("initiators").stream()
                .map(o -> ((JsonObject) o).getString("initiator")).toList(), "a WWPN is kept as the fabric writes it");
        ok(f.call("POST", "/api/luns", "{\"name\":\"fc-lun\",\"sizeBytes\":4194304}"), 201);
        ok(f.call("POST", "/api/luns/fc-lun/present", "{\"initiator\":\"10:00:00:00:C9:AA:00:01\",\"hostLun\":3}"), 200);
        assertTrue(f.controller.listPresentations().stream()
                        .anyMatch(p -> p.initiator().equals(FakeFabric.HOST) && p.hostLun() == 3),
                "presented to the WWPN the FCP target names the nexus with");
        JsonObject hostPort = obj(f.call("GET", "/api/fabric", null)).getJsonArray("ports").getJsonObject(2);
        assertTrue(hostPort.getJsonArray("luns").contains(new JsonObject().put("hostLun", 3).put("lun", "fc-lun")),
                "the fabric view shows what the host sees: " + hostPort.encode());
        ok(f.call("POST", "/api/luns/fc-lun/unpresent", "{\"initiator\":\"" + FakeFabric.HOST + "\",\"hostLun\":3}"), 200);
        ok(f.call("DELETE", "/api/hosts/fc-host", null), 204);
        ok(f.call("DELETE", "/api/luns/fc-lun", null), 204);
    }
}
