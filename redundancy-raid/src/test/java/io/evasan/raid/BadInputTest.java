package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.evasan.raid.RaidTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every bad input gets a precise error and changes nothing. */
class BadInputTest {
    @TempDir
    Path dir;

    private static void expect(ErrorCode code, Executable e) {
        StorageException ex = assertThrows(StorageException.class, e);
        assertEquals(code, ex.code(), ex.getMessage());
        assertFalse(ex.getMessage().isBlank());
    }

    @ParameterizedTest(name = "offset {0} length {1} -> {2}")
    @CsvSource({"1,512,UNALIGNED_IO", "0,100,UNALIGNED_IO", "511,1024,UNALIGNED_IO", "-512,512,OUT_OF_RANGE",
        "8388096,1024,OUT_OF_RANGE", "8388608,512,OUT_OF_RANGE"})
    void shouldRejectBadRStoreRanges(long offset, int length, ErrorCode code) {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 48 * MIB))) {
            for (RaidLevel level : RaidLevel.values()) {
                RStore s = pool.diskGroup(0).allocate(level);
                byte[] before = new byte[(int) RStore.SIZE_BYTES];
                byte[] ones = new byte[length];
                java.util.Arrays.fill(ones, (byte) 1);
                expect(code, () -> s.write(offset, ByteBuffer.wrap(ones)));
                expect(code, () -> s.read(offset, ByteBuffer.allocate(length)));
                byte[] after = new byte[(int) RStore.SIZE_BYTES];
                RaidTestSupport.readAll(s, after);
                assertArrayEquals(before, after, "nothing written");
            }
        }
    }

    @Test
    void shouldRejectDriveTooSmallAndCreateNothing() {
        long[] sizes = {48 * MIB, 48 * MIB, 48 * MIB, 48 * MIB, 48 * MIB, DriveLabelDescriptor.minimumDriveBytes() - 512};
        expect(ErrorCode.DRIVE_TOO_SMALL, () -> Pools.create(dir, RaidTestSupport.spec(sizes)));
        assertFalse(Pools.exists(dir));
        assertFalse(Files.exists(dir.resolve("drives")), "no drive file created");
        // exactly the minimum is fine: one PSEG
        sizes[5] = DriveLabelDescriptor.minimumDriveBytes();
        try (Pool pool = Pools.create(dir, RaidTestSupport.spec(sizes))) {
            DriveInfo small = RaidTestSupport.info(pool.diskGroup(0), 5);
            assertEquals(1, small.psegCount());
        }
    }

    @Test
    void shouldRejectSameDriveTwice() {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            d.add(DriveSpec.file("drives/d" + i + ".img", 48 * MIB));
        }
        d.add(DriveSpec.file("drives/./d2.img", 48 * MIB));
        expect(ErrorCode.DUPLICATE_DRIVE, () -> Pools.create(dir, new PoolSpec(List.of(new GroupSpec("dg0", d)))));
        assertFalse(Pools.exists(dir));
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            String before = pool.describe();
            expect(ErrorCode.DUPLICATE_DRIVE, () -> g.addDrive(DriveSpec.file("drives/d03.img", 0)));
            expect(ErrorCode.DUPLICATE_DRIVE, () -> g.addDrive(DriveSpec.file("drives/../drives/d00.img", 48 * MIB)));
            assertEquals(before, pool.describe(), "nothing changed");
        }
    }

    @Test
    void shouldRejectFewerDrivesThanNeeded() {
        expect(ErrorCode.INSUFFICIENT_DRIVES, () -> Pools.create(dir, RaidTestSupport.uniform(5, 48 * MIB)));
        assertFalse(Pools.exists(dir));
        // 6 drives: RAID0 and RAID5 work, RAID1 needs 4 drive pairs (8 drives)
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            long free = g.freePsegs();
            expect(ErrorCode.INSUFFICIENT_DRIVES, () -> g.allocate(RaidLevel.RAID1));
            assertEquals(free, g.freePsegs());
            g.allocate(RaidLevel.RAID5);
            g.allocate(RaidLevel.RAID0);
            // two drives gone: RAID5 needs 5 available
            g.failDrive(0);
            g.failDrive(1);
            expect(ErrorCode.INSUFFICIENT_DRIVES, () -> g.allocate(RaidLevel.RAID5));
            expect(ErrorCode.INSUFFICIENT_DRIVES, () -> g.removeDrive(2)); // RSS would drop below 6
        }
    }

    @Test
    void shouldRejectLabelFromAnotherPool() throws Exception {
        Path other = dir.resolve("other");
        Path foreignDrive;
        try (Pool p = Pools.create(other, RaidTestSupport.uniform(6, 48 * MIB))) {
            foreignDrive = RaidTestSupport.info(p.diskGroup(0), 0).path();
        }
        byte[] labelBefore = Files.readAllBytes(foreignDrive);
        Path mine = dir.resolve("mine");
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            d.add(DriveSpec.file("drives/d" + i + ".img", 48 * MIB));
        }
        d.add(new DriveSpec(foreignDrive, 0));
        StorageException e = assertThrows(StorageException.class,
                () -> Pools.create(mine, new PoolSpec(List.of(new GroupSpec("dg0", d)))));
        assertEquals(ErrorCode.FOREIGN_POOL, e.code());
        assertTrue(e.getMessage().contains(foreignDrive.toString()), e.getMessage());
        assertFalse(Pools.exists(mine));
        try (Pool pool = Pools.create(mine, RaidTestSupport.uniform(6, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            expect(ErrorCode.FOREIGN_POOL, () -> g.addDrive(new DriveSpec(foreignDrive, 0)));
            assertEquals(6, g.drives().size());
            // a pulled drive whose file was replaced by another pool's drive is not re-added
            Path d0 = RaidTestSupport.info(g, 0).path();
            g.pullDrive(0);
            Files.copy(foreignDrive, d0, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            expect(ErrorCode.FOREIGN_POOL, () -> g.restoreDrive(0));
            assertFalse(pool.diskGroup(0).drives().get(0).state() == io.evasan.raid.drive.DriveState.AVAILABLE);
        }
        assertArrayEquals(labelBefore, Files.readAllBytes(foreignDrive), "foreign drive untouched");
        // opening an existing pool dir as a new pool is refused
        expect(ErrorCode.ALREADY_EXISTS, () -> Pools.create(mine, RaidTestSupport.uniform(6, 48 * MIB)));
        expect(ErrorCode.NOT_FOUND, () -> Pools.open(dir.resolve("nothing-here")));
    }

    @Test
    void shouldReportSpaceExhaustion() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 20 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            int n = 0;
            StorageException last = null;
            while (last == null) {
                try {
                    g.allocate(RaidLevel.RAID5);
                    n++;
                } catch (StorageException e) {
                    last = e;
                }
            }
            assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, last.code());
            assertTrue(n >= 1);
            long id = g.rsdIds().get(0);
            g.free(id);
            g.allocate(RaidLevel.RAID5); // freed PSEGs are reusable (zeroed)
            expect(ErrorCode.NOT_FOUND, () -> g.free(id));
            expect(ErrorCode.NOT_FOUND, () -> g.rstore(id));
        }
    }
}
