package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okArray;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sanctl quarantine list|repair}: an orphan disk found at start is listed, repaired (deleted), and gone. */
class SanctlQuarantineTest extends CliTest {
    @Test
    void shouldListAndRepairAQuarantinedDisk() throws Exception {
        assertTrue(ok(f.sanctl("quarantine", "list")).contains("nothing is quarantined"));
        long orphan = f.trees.createLun(1);   // a disk no record names, as a crash inside a LUN create leaves
        f.reopen();
        String table = ok(f.sanctl("quarantine", "list"));
        assertTrue(table.contains("disk-" + orphan) && table.contains("named by no LUN"), table);
        JsonArray j = okArray(f.sanctl("quarantine", "list", "--json"));
        assertEquals(1, j.size(), j::encode);
        assertEquals("disk", j.getJsonObject(0).getString("kind"));
        assertEquals("repaired disk-" + orphan + " (deleted)\n", ok(f.sanctl("quarantine", "repair", "disk-" + orphan)));
        refused(f.sanctl("quarantine", "repair", "disk-" + orphan), 404, "id");
        assertTrue(ok(f.sanctl("quarantine", "list")).contains("nothing is quarantined"));
        assertThrows(io.evasan.error.StorageException.class, () -> f.trees.kind(orphan));
    }
}
