package io.evasan.nsc;

import io.evasan.scsi.ItNexus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The physical block size the controller is configured with is what hosts read in READ CAPACITY(16)
 * (byte 13, LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT) on every LUN, the seed-003 backup LUN included.
 */
class PhysicalBlockGeometryTest {
    private static int exponentSeenByHost(Nsc n, ItNexus x, int hostLun) {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;      // SERVICE ACTION IN(16)
        cdb[1] = 0x10;             // READ CAPACITY(16)
        cdb[13] = 32;              // allocation length
        Nsc.Result r = n.runNoUa(x, hostLun, cdb, null, 32);
        assertTrue(r.good(), r.toString());
        return r.data[13] & 0x0F;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3})
    void shouldReportTheConfiguredExponentOnEveryLun(int exponent) {
        try (Nsc n = new Nsc("geometry-" + exponent, c -> c.physicalBlockExponent(exponent))) {
            n.ctl.createLun("a", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            n.ctl.defineLogLun("log", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 1, "log");
            n.ctl.initiateBackup("a");
            ItNexus x = n.nexus(Nsc.HOST);
            assertEquals(exponent, exponentSeenByHost(n, x, 0), "primary LUN");
            assertEquals(exponent, exponentSeenByHost(n, x, 1), "backup LUN");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1, 2, 4, 15})
    void shouldRefuseOtherExponents(int exponent) {
        assertThrows(IllegalArgumentException.class,
                () -> new ControllerConfig(java.nio.file.Path.of("unused")).physicalBlockExponent(exponent));
    }
}
