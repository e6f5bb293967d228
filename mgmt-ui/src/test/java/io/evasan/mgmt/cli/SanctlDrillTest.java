package io.evasan.mgmt.cli;

import io.evasan.raid.DiskGroup;
import io.evasan.raid.rsd.Rsd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Map;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static io.evasan.mgmt.cli.SanctlCommandsTest.usage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sanctl drill ... --verify}, {@code sanctl pull-drive --group --index [--verify] [--force]} and the drill
 * history's acknowledged / verified / lost columns, against a paired appliance.
 */
class SanctlDrillTest {
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
    void shouldRunAVerifiedDrillAndPullADriveListingWritesAcknowledgedVerifiedAndLost() {
        ok(f.sanctl("lun", "create", "keep", "--size", "8M"));
        f.controller.writeCache().write(0, f.controller.lun("keep").id(), 0, ByteBuffer.wrap(new byte[1 << 20]), false);
        f.controller.writeCache().synchronize(f.controller.lun("keep").id(), 0, 0);

        String drill = ok(f.sanctl("drill", "hang", "A", "--force", "--verify"));
        assertTrue(drill.startsWith("drill hang A: taken over by B; verifier on drill-scratch-1: "), drill);
        assertTrue(drill.matches("(?s).*lost writes: +0\n.*"), drill);
        ok(f.sanctl("controller", "restart", "A"));

        DiskGroup g = f.pool.diskGroups().get(0);
        Rsd rsd = g.rsd(g.rsdIds().get(0));
        String group = Integer.toString(g.id());
        usage(f.sanctl("pull-drive", "--index", "1"), "--group");
        String pulled = ok(f.sanctl("pull-drive", "--group", group, "--index", Integer.toString(rsd.drive(0)), "--verify"));
        assertTrue(pulled.startsWith("drill pull-drive " + group + "/" + rsd.drive(0) + ": drive " + rsd.drive(0)
                + " of disk group dg0 pulled (MISSING); group degraded"), pulled);
        assertTrue(pulled.matches("(?s).*lost writes: +0\n.*"), pulled);
        String err = refused(f.sanctl("pull-drive", "--group", group, "--index", Integer.toString(rsd.drive(1))), 409, "force");
        assertTrue(err.contains("last redundancy") && err.contains("--force"), err);

        TableText t = new TableText(ok(f.sanctl("drills")), "ID");
        for (String id : new String[] {"1", "2"}) {
            Map<String, String> row = t.row("ID", id);
            assertEquals(row.get("ACKED"), row.get("VERIFIED"), row.toString());
            assertEquals("0", row.get("LOST"), row.toString());
            assertTrue(Long.parseLong(row.get("ACKED")) >= 128, row.toString());
        }
        assertEquals("hang", t.row("ID", "1").get("KIND"));
        assertEquals("-", t.row("ID", "2").get("NSC"));
        assertEquals("pull-drive", t.row("ID", "2").get("KIND"));
    }
}
