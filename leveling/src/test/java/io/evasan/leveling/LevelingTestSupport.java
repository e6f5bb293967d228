package io.evasan.leveling;

import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared helpers: pools of sparse drive files, a byte-array oracle per RStore, PSEG accounting checks. */
final class LevelingTestSupport {
    static final long MIB = 1L << 20;
    static final int SIZE = (int) RStore.SIZE_BYTES;

    private LevelingTestSupport() {
    }

    static PoolSpec drives(int n, long size) {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            d.add(DriveSpec.file(String.format("drives/d%02d.img", i), size));
        }
        return new PoolSpec(List.of(new GroupSpec("dg0", d)));
    }

    static long seed(String test) {
        long s = Long.getLong("evasan.seed", new Random().nextLong());
        System.out.println("[leveling] " + test + " seed " + s + " (replay: -Devasan.seed=" + s + ")");
        return s;
    }

    /** Writes random bytes at a random sector range of {@code s} and into its oracle. */
    static void randomWrite(RStore s, byte[] oracle, Random rnd) {
        int sectors = 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 400);
        long first = rnd.nextInt(SIZE / 512 - sectors);
        byte[] b = new byte[sectors * 512];
        rnd.nextBytes(b);
        s.write(first * 512, ByteBuffer.wrap(b));
        System.arraycopy(b, 0, oracle, (int) (first * 512), b.length);
    }

    static void assertContents(byte[] oracle, RStore s, String what) {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        s.read(0, b);
        if (!Arrays.equals(oracle, b.array())) {
            int i = Arrays.mismatch(oracle, b.array());
            fail(what + ": RStore " + s.rsdId() + " differs from the oracle at byte " + i);
        }
    }

    /**
     * PSEG accounting: no PSEG is a member of two RSDs, and every drive's used count is exactly the members
     * it holds (none leaked, none referenced while free).
     */
    static void assertPsegAccounting(DiskGroup g) {
        Map<Long, Long> owner = new HashMap<>();
        Map<Integer, Integer> perDrive = new HashMap<>();
        for (long id : g.rsdIds()) {
            Rsd r = g.rsd(id);
            for (int m = 0; m < r.members(); m++) {
                Long prev = owner.put(r.address(m), id);
                assertTrue(prev == null, "PSEG " + io.evasan.raid.pseg.PsegAddress.toString(r.address(m))
                        + " is a member of RSD " + prev + " and RSD " + id);
                perDrive.merge(r.drive(m), 1, Integer::sum);
            }
        }
        for (DriveInfo d : g.drives()) {
            assertEquals((int) perDrive.getOrDefault(d.index(), 0), d.usedPsegs(),
                    "drive " + d.index() + ": used PSEGs vs members it holds");
        }
    }

    /** Every RAID1 mirrored pair sits on RSS slots 2k / 2k+1. */
    static void assertPairsOnPairedSlots(DiskGroup g) {
        for (long id : g.rsdIds()) {
            Rsd r = g.rsd(id);
            if (r.level() != RaidLevel.RAID1) {
                continue;
            }
            for (int k = 0; k < r.members() / 2; k++) {
                int a = slot(g, r.drive(2 * k));
                int b = slot(g, r.drive(2 * k + 1));
                assertEquals(a ^ 1, b, "RSD " + id + " pair " + k + " on slots " + a + "/" + b);
            }
        }
    }

    private static int slot(DiskGroup g, int drive) {
        for (DriveInfo d : g.drives()) {
            if (d.index() == drive) {
                return d.rssSlot();
            }
        }
        throw new AssertionError("no drive " + drive);
    }
}
