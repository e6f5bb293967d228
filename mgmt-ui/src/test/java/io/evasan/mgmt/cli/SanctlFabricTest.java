package io.evasan.mgmt.cli;

import io.evasan.mgmt.FakeFabric;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.*;

/** {@code sanctl fabric} and {@code sanctl zone ...} against an appliance whose fabric is a {@link FakeFabric}. */
class SanctlFabricTest extends CliTest {
    static final FakeFabric FABRIC = new FakeFabric();

    @BeforeAll
    static void withFabric() {
        f.stopServer();
        f.startServer(c -> c.fabric(FABRIC));
    }

    @Test
    void shouldShowTheFabricAndManageZonesAndZoneSets() {
        String view = ok(f.sanctl("fabric"));
        assertTrue(view.contains("domain 1") && view.contains("127.0.0.1:7210"), view);
        assertTrue(view.contains("default zone ALL_ACCESS"), view);
        assertTrue(view.contains(FakeFabric.TARGET_B) && view.contains("NSC A (for B)"), view);
        assertTrue(view.contains(FakeFabric.HOST) && view.contains("initiator"), view);
        assertTrue(view.contains("via 2 paths"), view);
        assertEquals(3, okObject(f.sanctl("fabric", "--json")).getJsonArray("ports").size());

        refused(f.sanctl("zone", "create", "z1", FakeFabric.HOST, "not-a-wwpn"), 400, "members[1]");
        assertTrue(ok(f.sanctl("zone", "create", "z1", FakeFabric.HOST, FakeFabric.TARGET_A)).contains("created zone z1"));
        assertTrue(ok(f.sanctl("zone", "list")).contains(FakeFabric.TARGET_A));
        refused(f.sanctl("zone", "set-create", "cfg", "nope"), 404, "zones[0]");
        ok(f.sanctl("zone", "set-create", "cfg", "z1"));
        assertTrue(ok(f.sanctl("zone", "activate", "cfg")).contains("zone set cfg is active"));
        assertEquals("cfg", FABRIC.active);
        assertTrue(ok(f.sanctl("zone", "sets")).contains("yes"));
        assertTrue(ok(f.sanctl("fabric")).contains("zone set cfg active"));
        refused(f.sanctl("zone", "delete", "z1"), 409, "name");
        assertTrue(ok(f.sanctl("zone", "deactivate")).contains("default zone ALL_ACCESS"));
        assertNull(FABRIC.active);
        ok(f.sanctl("zone", "set-delete", "cfg"));
        ok(f.sanctl("zone", "delete", "z1"));
        assertTrue(ok(f.sanctl("zone", "list")).contains("no zones"));
    }
}
