package io.evasan.nsc;

import io.evasan.nsc.cache.CachedItem;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 000: the cache processes each client's (initiator's) data sequentially. A SCSI write enters
 * the FIFO of the initiator of its I_T nexus, not one FIFO per LUN.
 */
class InitiatorFifoTest {
    static final String A = "iqn.2026-01.test:host-a";
    static final String B = "iqn.2026-01.test:host-b";

    @Test
    void shouldKeyTheCacheFifoByTheInitiatorOfTheNexusNotByTheLun() throws Exception {
        try (Nsc n = new Nsc("init-fifo")) {
            n.ctl.createLun("l0", 1 << 20);
            n.ctl.createLun("l1", 1 << 20);
            n.ctl.presentLun("*", 0, "l0");
            n.ctl.presentLun("*", 1, "l1");
            ItNexus a1 = n.nexus(A, "1");
            ItNexus a2 = n.nexus(A, "2");   // a second session of initiator A
            ItNexus b = n.nexus(B);
            WriteBackCache cache = n.ctl.cache();
            cache.pauseDestage();
            byte[] d = new byte[8 * 512];
            write(n, a1, 0, 0, d);
            write(n, b, 0, 8, d);           // same LUN, other initiator
            write(n, a2, 1, 0, d);          // other LUN, other session of A
            write(n, b, 1, 8, d);
            List<CachedItem> writes = new ArrayList<>();
            for (CachedItem it : cache.pendingItems()) {
                if (!it.marker()) {
                    writes.add(it);
                }
            }
            assertEquals(4, writes.size(), writes.toString());
            int ha = a1.initiatorHandle();
            int hb = b.initiatorHandle();
            assertNotEquals(ha, hb, "two initiators, two handles");
            assertEquals(ha, a2.initiatorHandle(), "one handle per initiator, whatever the session");
            assertEquals(ha, writes.get(0).initiatorId(), "A's write on LUN 0 is in A's FIFO");
            assertEquals(hb, writes.get(1).initiatorId(), "B's write on LUN 0 is in B's FIFO, not LUN 0's");
            assertEquals(ha, writes.get(2).initiatorId(), "A's write on LUN 1 is in A's FIFO, not LUN 1's");
            assertEquals(hb, writes.get(3).initiatorId(), "B's write on LUN 1 is in B's FIFO");

            cache.resumeDestage();
            cache.synchronizeAll();
            assertTrue(cache.pendingItems().isEmpty());
        }
    }

    private static void write(Nsc n, ItNexus x, int lun, long lba, byte[] d) {
        Nsc.Result r = n.runNoUa(x, lun, Nsc.write10(lba, d.length / 512, false), d, d.length);
        assertEquals(ScsiStatus.GOOD, r.status, r.toString());
    }
}
