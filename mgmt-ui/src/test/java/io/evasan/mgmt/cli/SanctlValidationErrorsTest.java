package io.evasan.mgmt.cli;

import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sanctl reports the API's input checks of issue 11 (initiator names, drive sizes the file system cannot hold) as
 * one line {@code sanctl: <status> <error> (field <f>)}, exit 1.
 */
class SanctlValidationErrorsTest extends CliTest {
    @Test
    void shouldReportEachRefusedInputAsOneLineNamingTheField() {
        ok(f.sanctl("lun", "create", "sv1", "--size", "8M"));
        String e = refused(f.sanctl("lun", "present", "sv1", "-i", "bad initiator!", "-l", "1"), 400, "initiator");
        assertTrue(e.contains("'bad initiator!' is not an iSCSI initiator name"), e);
        refused(f.sanctl("host", "create", "svh", "-i", "iqn.2026-11.cli:bad!"), 400, "initiators[0]");
        String big = refused(f.sanctl("group", "create", "svg", "-n", "6", "-s", "64T"), status(f.sanctl("group", "create",
                "svg", "-n", "6", "-s", "64T")), "driveSizeBytes");
        assertFalse(big.contains("Exception"), big);
        refused(f.sanctl("drive", "add", "-s", "64T"), status(f.sanctl("drive", "add", "-s", "64T")), "sizeBytes");
        assertTrue(ok(f.sanctl("lun", "show", "sv1")).contains("sv1"));
    }

    /** 400 over the file system's maximum file size, 507 over its usable space: whichever this machine's hits first. */
    private static int status(CliFixture.Run r) {
        assertTrue(r.err().startsWith("sanctl: 400 ") || r.err().startsWith("sanctl: 507 "), r::toString);
        return Integer.parseInt(r.err().substring(8, 11));
    }
}
