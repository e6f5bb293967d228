package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static io.evasan.mgmt.cli.SanctlCommandsTest.usage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sanctl snapshot present|unpresent NAME -i IQN -l N} against a running appliance. */
class SanctlSnapshotPresentTest extends CliTest {
    private static final String IQN = "iqn.2026-11.test:bk";
    /** A second initiator ("*" would show the snapshot twice to IQN, which the cell refuses). */
    private static final String IQN2 = "iqn.2026-11.test:bk2";

    @Test
    void shouldPresentAndUnpresentASnapshot() {
        ok(f.sanctl("lun", "create", "cp1", "--size", "4M"));
        ok(f.sanctl("snapshot", "create", "cp1", "cp1-s"));
        assertEquals("presented snapshot cp1-s (" + IQN + " host LUN 3); presented to: " + IQN + "=3\n",
                ok(f.sanctl("snapshot", "present", "cp1-s", "--initiator", IQN, "--host-lun", "3")));
        TableText t = new TableText(ok(f.sanctl("snapshot", "list")), "NAME");
        assertEquals(IQN + "=3", t.row("NAME", "cp1-s").get("PRESENTED (INITIATOR=HOST LUN)"));
        JsonObject j = okObject(f.sanctl("snapshot", "present", "cp1-s", "-i", IQN2, "-l", "4", "--json"));
        assertEquals(2, j.getJsonArray("presentations").size(), j::encode);

        refused(f.sanctl("snapshot", "present", "nosuch", "-i", IQN, "-l", "5"), 404, "name");
        refused(f.sanctl("snapshot", "present", "cp1-s", "-i", IQN, "-l", "16384"), 400, "hostLun");
        refused(f.sanctl("snapshot", "unpresent", "cp1-s", "-i", IQN, "-l", "9"), 404, "hostLun");
        refused(f.sanctl("snapshot", "delete", "cp1-s"), 409, "name");
        usage(f.sanctl("snapshot", "present", "cp1-s", "-l", "5"), "--initiator");

        assertEquals("unpresented snapshot cp1-s (" + IQN + " host LUN 3); presented to: " + IQN2 + "=4\n",
                ok(f.sanctl("snapshot", "unpresent", "cp1-s", "--initiator", IQN, "--host-lun", "3")));
        JsonObject u = okObject(f.sanctl("snapshot", "unpresent", "cp1-s", "-i", IQN2, "-l", "4", "--json"));
        assertEquals(new JsonArray(), u.getJsonArray("presentations"));
        assertTrue(f.controller.snapshotPresentations("cp1-s").isEmpty());
        ok(f.sanctl("snapshot", "delete", "cp1-s"));
        ok(f.sanctl("lun", "delete", "cp1"));
    }
}
