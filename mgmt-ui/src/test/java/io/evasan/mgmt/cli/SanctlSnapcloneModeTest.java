package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sanctl snapshot create LUN NAME --snapclone --mode SCALING -M 5}: seed 004's scaling snapclone (Fig. 15)
 * with its quiesce threshold, through POST /api/luns/:name/snapshots {mode, quiesceThreshold} and the cell API.
 */
class SanctlSnapcloneModeTest extends CliTest {
    @Test
    void shouldTakeAScalingSnapcloneWithItsQuiesceThreshold() {
        ok(f.sanctl("lun", "create", "m1", "--size", "4M"));
        JsonObject c = okObject(f.sanctl("snapshot", "create", "m1", "m1c", "--snapclone", "--mode", "scaling", "-M", "5", "--json"));
        assertEquals("SCALING", c.getString("mode"), c::encode);
        assertEquals(5, c.getInteger("quiesceThreshold"), c::encode);
        String out = ok(f.sanctl("snapshot", "create", "m1", "m1e", "--snapclone"));
        assertTrue(out.contains("mode EAGER"), out);
        JsonObject s = okObject(f.sanctl("snapshot", "create", "m1", "m1s", "--json"));
        assertNull(s.getValue("mode"), s::encode);
        refused(f.sanctl("snapshot", "create", "m1", "m1x", "--mode", "SCALING"), 400, "mode");
        refused(f.sanctl("snapshot", "create", "m1", "m1y", "-M", "3"), 400, "quiesceThreshold");
        refused(f.sanctl("snapshot", "create", "m1", "m1z", "--snapclone", "--mode", "LAZY"), 400, "mode");
        refused(f.sanctl("snapshot", "create", "m1", "m1w", "--snapclone", "-M", "0"), 400, "quiesceThreshold");
    }
}
