package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.evasan.raid.RaidTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Placement invariants: distinct drives, RAID1 pairs on paired slots, use proportional to capacity. */
class PlacementTest {
    @TempDir
    Path dir;

    /** Mixed sizes like the embedded default, scaled down: eight small and four double-size drives. */
    @Test
    void shouldSpreadRandomLevelsProportionallyOnDistinctAndPairedDrives() {
        long seed = RaidTestSupport.seed();
        System.out.println("PlacementTest seed=" + seed);
        Random rnd = new Random(seed);
        long[] sizes = new long[12];
        for (int i = 0; i < 12; i++) {
            // interleaved on purpose; 59 and 118 PSEGs (10 MiB of label, quorum and PSEG table each):
            // exactly 1:2 like the 8/16 GiB default, so no drive's share of one RAID1 RStore exceeds
            // one PSEG (proportionality within one PSEG is only possible when that holds)
            sizes[i] = (i % 3 == 2 ? 246 : 128) * MIB;
        }
        try (Pool pool = Pools.create(dir, RaidTestSupport.spec(sizes))) {
            DiskGroup g = pool.diskGroup(0);
            int allocated = 0;
            double worst = 0;
            int step = 0;
            try {
                while (true) {
                    step++;
                    RaidLevel level = RaidLevel.values()[rnd.nextInt(3)];
                    long before = g.freePsegs();
                    try {
                        g.allocate(level);
                    } catch (StorageException e) {
                        assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, e.code(), e.getMessage());
                        assertEquals(before, g.freePsegs(), "failed allocation changed nothing");
                        if (g.freePsegs() < 8 * 12 / 4) {
                            break;
                        }
                        continue;
                    }
                    allocated++;
                    worst = Math.max(worst, checkInvariants(g));
                    if (step > 2000) {
                        break;
                    }
                }
            } catch (AssertionError e) {
                throw new AssertionError("seed=" + seed + " step=" + step + ": " + e.getMessage(), e);
            }
            System.out.println("PlacementTest: " + allocated + " RStores, worst deviation from proportional "
                    + worst + " PSEGs, free " + g.freePsegs() + "/" + g.totalPsegs());
            assertTrue(allocated > 20);
        }
    }

    /** Returns the worst |used - proportional share| over the drives while checking all invariants. */
    static double checkInvariants(DiskGroup g) {
        return checkInvariants(g, true);
    }

    /** As above; {@code proportional=false} after a rebuild (leveling restores proportion, not rebuild). */
    static double checkInvariants(DiskGroup g, boolean proportional) {
        Map<Integer, int[]> slot = new HashMap<>();
        List<int[]> rss = g.rssSlots();
        for (int r = 0; r < rss.size(); r++) {
            for (int s = 0; s < rss.get(r).length; s++) {
                if (rss.get(r)[s] >= 0) {
                    slot.put(rss.get(r)[s], new int[] {r, s});
                }
            }
        }
        Map<Integer, Integer> used = new HashMap<>();
        Set<Long> addresses = new HashSet<>();
        for (long id : g.rsdIds()) {
            Rsd r = g.rsd(id);
            Set<Integer> drives = new HashSet<>();
            for (int m = 0; m < r.members(); m++) {
                assertTrue(drives.add(r.drive(m)), "RSD " + id + " has two members on drive " + r.drive(m) + ": " + r);
                assertTrue(addresses.add(r.address(m)), "PSEG used twice: " + r);
                used.merge(r.drive(m), 1, Integer::sum);
            }
            if (r.level() == RaidLevel.RAID1) {
                for (int k = 0; k < r.members(); k += 2) {
                    int[] a = slot.get(r.drive(k));
                    int[] b = slot.get(r.drive(k + 1));
                    assertEquals(a[0], b[0], "pair in one RSS");
                    assertEquals(a[1] ^ 1, b[1], "RAID1 pair on paired slots 2k/2k+1: " + r);
                    assertEquals(0, a[1] & 1, "first copy on the even slot");
                }
            }
            if (r.level() == RaidLevel.RAID5) {
                assertEquals(id % 5, r.parityMember(), "parity rotates");
            }
        }
        long total = 0;
        long cap = 0;
        for (DriveInfo d : g.drives()) {
            assertEquals(used.getOrDefault(d.index(), 0).intValue(), d.usedPsegs(), "allocator agrees with RSDs");
            total += d.usedPsegs();
            cap += d.psegCount();
        }
        double worst = 0;
        for (DriveInfo d : g.drives()) {
            double share = (double) total * d.psegCount() / cap;
            worst = Math.max(worst, Math.abs(d.usedPsegs() - share));
        }
        assertTrue(!proportional || worst <= 1.0 + 1e-9, "per-drive use within one PSEG of proportional; worst " + worst);
        return worst;
    }

    @Test
    void shouldRotateParityAcrossDrives() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(12, 96 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            Set<Integer> parityDrives = new HashSet<>();
            for (int i = 0; i < 12; i++) {
                Rsd r = g.rsd(g.allocate(RaidLevel.RAID5).rsdId());
                parityDrives.add(r.drive(r.parityMember()));
            }
            assertTrue(parityDrives.size() >= 6, "parity on many drives: " + parityDrives);
            assertNotEquals(1, parityDrives.size());
        }
    }
}
