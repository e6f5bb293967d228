package io.evasan.sharing;

import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A RESERVE_FULL snapshot reserves its LUN's capacity in whole RStores: n segments take n / 8
 * RStores (8 RSEGs of 1 MB each), so the reservation costs what it guarantees and no more. Before,
 * every reserved RSEG started an RStore of its own and a reservation took eight times its size.
 */
class ReservationPackingTest {
    private static final long PSEG = 2L << 20;

    @TempDir
    Path dir;

    @Test
    void shouldReserveACapacityInWholeRStoresAndGiveItAllBack() {
        try (CrossGroupSnapcloneTest.Rig r = new CrossGroupSnapcloneTest.Rig(dir)) {
            int segments = 64;
            long lun = r.st.createLun(segments, RaidLevel.RAID0, r.g0);
            byte[] data = new byte[CrossGroupSnapcloneTest.SEG];
            java.util.Arrays.fill(data, (byte) 7);
            r.st.write(lun, 0, data, 0, data.length);   // one mapped segment: the LUN holds one RStore
            long before = r.free(r.g0);

            long snap = r.st.snapshot(lun, AllocationPolicy.RESERVE_FULL);
            long reservedBytes = (before - r.free(r.g0)) * PSEG;
            assertEquals((long) segments << 20, reservedBytes,
                    "a RAID0 reservation of " + segments + " segments takes exactly " + segments + " MB of PSEGs");

            // the first write after the snapshot copies from the reservation and stays within it
            r.st.write(lun, 0, data, 0, 4096);
            assertEquals((long) segments << 20, (before - r.free(r.g0)) * PSEG, "a CFW from the reservation costs nothing extra");

            r.st.delete(snap, DeleteOption.REFUSE_IF_SNAPSHOTS);
            assertEquals(before, r.free(r.g0), "deleting the snapshot gives the whole reservation back");
        }
    }
}
