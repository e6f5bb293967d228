package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okArray;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static io.evasan.mgmt.cli.SanctlCommandsTest.usage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The controller-pair commands against a paired appliance: {@code controllers}, {@code lun owner}, {@code lun move},
 * {@code drill} (refused without --force, naming the LUNs that would fail over), {@code controller restart},
 * {@code drills}; refusals print the one error line of every command.
 */
class SanctlPairTest {
    static CliFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new CliFixture(true);
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void shouldShowAndChangeOwnershipDrillAndRestart() {
        ok(f.sanctl("lun", "create", "c1", "--size", "4M"));
        ok(f.sanctl("lun", "create", "c2", "--size", "4M"));

        String shown = ok(f.sanctl("lun", "owner", "c1"));
        assertTrue(shown.contains("preferred:  none") && shown.contains("mode:       NO_PREFERENCE"), shown);
        String set = ok(f.sanctl("lun", "owner", "c1", "--preferred", "B", "--mode", "failover_failback"));
        assertTrue(set.startsWith("set ownership of LUN c1\n") && set.contains("owner:      B"), set);
        // only --mode: the preference is kept
        JsonObject o = okObject(f.sanctl("lun", "owner", "c2", "--preferred", "a", "--mode", "FAILOVER_ONLY", "--json"));
        assertEquals("A", o.getString("owner"));
        o = okObject(f.sanctl("lun", "owner", "c2", "--mode", "NO_PREFERENCE", "--json"));
        assertEquals("A", o.getString("preferred"));
        assertEquals("NO_PREFERENCE", o.getString("mode"));
        assertEquals("moved LUN c2 to controller B\n", ok(f.sanctl("lun", "move", "c2", "--to", "B")));
        assertEquals("moved LUN c2 to controller A\n", ok(f.sanctl("lun", "move", "c2", "--to", "a")));

        TableText t = new TableText(ok(f.sanctl("controllers")), "NSC");
        Map<String, String> b = t.row("NSC", "B");
        assertEquals("ONLINE", b.get("STATE"));
        assertEquals("MIRRORED", b.get("MIRROR"));
        assertEquals("c1", b.get("LUNS"));
        assertEquals("c2", t.row("NSC", "A").get("LUNS"));
        assertEquals(2, okArray(f.sanctl("controllers", "--json")).size());

        String err = refused(f.sanctl("drill", "kill", "B"), 409, "force");
        assertTrue(err.contains("c1") && err.contains("--force"), err);
        assertEquals("ONLINE", t.row("NSC", "B").get("STATE"));
        String drill = ok(f.sanctl("drill", "kill", "B", "--force"));
        assertTrue(drill.startsWith("drill kill B: taken over by A\n") && drill.matches("(?s).*units moved: +1\n.*"), drill);
        t = new TableText(ok(f.sanctl("controllers")), "NSC");
        assertEquals("FAILED", t.row("NSC", "B").get("STATE"));
        assertEquals("1", t.row("NSC", "A").get("TAKEOVERS"));
        refused(f.sanctl("lun", "move", "c1", "--to", "B"), 409, "to");
        refused(f.sanctl("drill", "hang", "A", "--force"), 409, "id");

        assertEquals("restarted controller B; failed back: c1\n", ok(f.sanctl("controller", "restart", "B")));
        refused(f.sanctl("controller", "restart", "B"), 409, "id");
        TableText d = new TableText(ok(f.sanctl("drills")), "ID");
        Map<String, String> row = d.row("ID", "1");
        assertEquals("kill", row.get("KIND"));
        assertEquals("B", row.get("NSC"));
        assertEquals("1", row.get("UNITS MOVED"));
        assertEquals("taken over by A", row.get("OUTCOME"));
        JsonArray drills = okArray(f.sanctl("drills", "--json"));
        assertEquals(1, drills.size());
    }

    @Test
    void shouldRefuseBadArgumentsAsUsageOrApiErrors() {
        usage(f.sanctl("drill", "explode", "A", "--force"), "KIND");
        usage(f.sanctl("drill", "kill", "C", "--force"), "NSC");
        usage(f.sanctl("lun", "move", "x"), "--to");
        usage(f.sanctl("lun", "owner", "x", "--mode", "sometimes"), "--mode");
        refused(f.sanctl("lun", "owner", "nosuch"), 404, "name");
        refused(f.sanctl("lun", "move", "nosuch", "--to", "A"), 404, "name");
        ok(f.sanctl("lun", "create", "c3", "--size", "4M"));
        refused(f.sanctl("lun", "owner", "c3", "--preferred", "none", "--mode", "FAILOVER_ONLY"), 400, "preferred");
        ok(f.sanctl("lun", "delete", "c3"));
    }
}
