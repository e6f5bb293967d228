package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.LostData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static io.evasan.raid.RaidTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RStore#lostRanges()} names exactly the 64 KiB units whose reads answer UNRECOVERABLE_READ. */
class LostRangesTest {
    private static final int UNIT = 64 * 1024;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(RaidLevel.class)
    void shouldNameExactlyTheUnitsThatReadUnrecoverableAfterTwoFailures(RaidLevel level) {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(level);
            s.write(0, ByteBuffer.allocate((int) RStore.SIZE_BYTES));
            assertTrue(s.lostRanges().isEmpty(), "nothing lost while every member is usable");
            Rsd r = g.rsd(s.rsdId());
            g.failDrive(r.drive(0));
            g.failDrive(r.drive(1));       // RAID1: both halves of pair 0; RAID5: two members
            List<long[]> lost = s.lostRanges();
            assertTrue(!lost.isEmpty(), level + " lost data with two members gone");
            for (long off = 0; off < RStore.SIZE_BYTES; off += UNIT) {
                boolean named = covered(lost, off);
                boolean unreadable;
                try {
                    s.read(off, ByteBuffer.allocate(UNIT));
                    unreadable = false;
                } catch (StorageException e) {
                    assertEquals(ErrorCode.UNRECOVERABLE_READ, e.code());
                    unreadable = true;
                }
                assertEquals(unreadable, named, level + " unit at " + off);
            }
        }
    }

    @Test
    void shouldLoseNothingWhenOneMemberOfEachRaid1PairSurvives() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(RaidLevel.RAID1);
            Rsd r = g.rsd(s.rsdId());
            g.failDrive(r.drive(0));
            g.failDrive(r.drive(2));
            assertTrue(s.lostRanges().isEmpty());
        }
    }

    @Test
    void shouldMergeAdjacentLostColumnsIntoOneRange() {
        List<long[]> all = LostData.ranges(0b1111);
        assertEquals(1, all.size());
        assertEquals(0, all.get(0)[0]);
        assertEquals(RStore.SIZE_BYTES, all.get(0)[1]);
        List<long[]> one = LostData.ranges(0b0010);
        assertEquals(RStore.SIZE_BYTES / UNIT / 4, one.size());
        assertEquals(UNIT, one.get(0)[0]);
        assertEquals(2 * UNIT, one.get(0)[1]);
    }

    private static boolean covered(List<long[]> ranges, long off) {
        for (long[] x : ranges) {
            if (off >= x[0] && off < x[1]) {
                return true;
            }
        }
        return false;
    }
}
