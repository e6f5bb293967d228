package io.evasan.mapping;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.support.TestPools;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A disk group the pool creates after the mapping opened is usable at once: a logical disk created
 * in it allocates only on its drives, and after a reopen the disk is still in that group with its data.
 */
class LateGroupTest {
    static final long MB = 1 << 20;
    @TempDir
    Path dir;

    @Test
    void shouldPlaceADiskInAGroupCreatedAfterOpen() {
        assumeTrue(TestPools.real(), "needs the real pool (createDiskGroup)");
        long seed = Long.getLong("seed", System.nanoTime());
        System.out.println("LateGroupTest seed=" + seed);
        Random rnd = new Random(seed);
        byte[] model = new byte[(int) (32 * MB)];
        int late;
        try (Pool pool = TestPools.openOrCreate(dir.resolve("pool"), 1, 64);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false))) {
            List<DriveSpec> drives = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                drives.add(DriveSpec.file(String.format("drives/late-d%02d.img", i), 64 * MB));
            }
            DiskGroup g = pool.createDiskGroup(new GroupSpec("late", drives));
            late = g.id();
            long free0 = pool.diskGroup(0).freePsegs();
            long freeLate = g.freePsegs();
            StorageException e = assertThrows(StorageException.class, () -> m.create("nowhere", 8 * MB, RaidLevel.RAID5, 99));
            assertEquals(ErrorCode.NOT_FOUND, e.code());
            LogicalDisk d = m.create("placed", model.length, RaidLevel.RAID5, late);
            for (int i = 0; i < 30; i++) {
                int len = (1 + rnd.nextInt(16)) * 4096;
                int off = rnd.nextInt((model.length - len) / 512) * 512;
                byte[] b = new byte[len];
                rnd.nextBytes(b);
                d.write(off, ByteBuffer.wrap(b));
                System.arraycopy(b, 0, model, off, len);
            }
            d.flush();
            assertEquals(free0, pool.diskGroup(0).freePsegs(), "nothing allocated in the first group (seed " + seed + ")");
            assertEquals(true, g.freePsegs() < freeLate, "allocated in the late group");
            assertInGroup(d, late);
            assertContent(d, model, seed);
        }
        try (Pool pool = TestPools.openOrCreate(dir.resolve("pool"), 1, 64);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false))) {
            LogicalDisk d = m.disk("placed");
            assertEquals(late, d.diskGroupId());
            assertEquals(late, m.info("placed").diskGroupId());
            assertInGroup(d, late);
            assertContent(d, model, seed);
        }
    }

    private static void assertInGroup(LogicalDisk d, int group) {
        for (long s = 0; s < d.segments(); s++) {
            long a = d.translate(s * MB);
            if (a != PhysicalAddress.UNMAPPED) {
                assertEquals(group, PhysicalAddress.group(a), "segment " + s);
            }
        }
    }

    private static void assertContent(LogicalDisk d, byte[] model, long seed) {
        ByteBuffer b = ByteBuffer.allocate(model.length);
        d.read(0, b);
        byte[] got = b.array();
        for (int i = 0; i < model.length; i += 512) {
            if (!Arrays.equals(model, i, i + 512, got, i, i + 512)) {
                throw new AssertionError("seed " + seed + ": block at byte " + i + " differs from the model");
            }
        }
        assertArrayEquals(model, got);
    }
}
