package io.evasan.mapping;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Bad input gets a precise ErrorCode and changes nothing (catalogue, MLD generation, data). */
class BadInputTest {
    static final long MB = 1 << 20;
    @TempDir
    Path dir;
    Pool pool;
    Mapping m;
    LogicalDisk lun;

    @BeforeEach
    void setUp() {
        pool = TestPools.openOrCreate(dir.resolve("pool"), 1, 64);
        m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults());
        lun = m.create("data", 16 * MB, RaidLevel.RAID5);
        lun.write(10 * MB, ByteBuffer.wrap(pattern(4096)));
    }

    @AfterEach
    void tearDown() {
        m.close();
        pool.close();
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 1);
        }
        return b;
    }

    void assertRefused(ErrorCode code, Executable ex) {
        List<LunInfo> before = m.list();
        long gen = m.mld().generation();
        StorageException e = assertThrows(StorageException.class, ex);
        assertEquals(code, e.code(), e.getMessage());
        assertNotNull(e.getMessage());
        assertEquals(before, m.list(), "catalogue changed by a refused call");
        assertEquals(gen, m.mld().generation(), "MLD committed by a refused call");
        ByteBuffer b = ByteBuffer.allocate(4096);
        m.disk("data").read(10 * MB, b);
        assertArrayEquals(pattern(4096), b.array(), "data changed by a refused call");
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(longs = {0, -1048576, 1, 512, 1048575, 1572864, 2199024304128L, 4398046511104L})
    void shouldRefuseBadSizeOnCreate(long size) {
        assertRefused(ErrorCode.INVALID_ARGUMENT, () -> m.create("x", size, RaidLevel.RAID1));
    }

    @Test
    void shouldAcceptTheSizeLimits() {
        assertEquals(MB, m.create("min", MB, RaidLevel.RAID0).sizeBytes());
        assertEquals(Mapping.MAX_LUN_BYTES, m.create("max", Mapping.MAX_LUN_BYTES, RaidLevel.RAID0).sizeBytes());
    }

    @Test
    void shouldRefuseDuplicateName() {
        assertRefused(ErrorCode.ALREADY_EXISTS, () -> m.create("data", MB, RaidLevel.RAID0));
    }

    @Test
    void shouldRefuseBadNames() {
        assertRefused(ErrorCode.INVALID_ARGUMENT, () -> m.create("", MB, RaidLevel.RAID0));
        assertRefused(ErrorCode.INVALID_ARGUMENT, () -> m.create("a\nb", MB, RaidLevel.RAID0));
    }

    @Test
    void shouldRefuseUnknownLun() {
        assertRefused(ErrorCode.NOT_FOUND, () -> m.disk("nope"));
        assertRefused(ErrorCode.NOT_FOUND, () -> m.disk(999));
        assertRefused(ErrorCode.NOT_FOUND, () -> m.delete("nope"));
        assertRefused(ErrorCode.NOT_FOUND, () -> m.resize("nope", MB, false));
        assertRefused(ErrorCode.NOT_FOUND, () -> m.info("nope"));
        assertRefused(ErrorCode.NOT_FOUND, () -> m.createSnapshotDisk("nope", "s", 0, 0));
    }

    @Test
    void shouldRefuseUnknownDiskGroup() {
        assertRefused(ErrorCode.NOT_FOUND, () -> m.create("x", MB, RaidLevel.RAID0, 7));
    }

    @Test
    void shouldRefuseIoBeyondTheEnd() {
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> lun.read(16 * MB, ByteBuffer.allocate(512)));
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> lun.read(16 * MB - 512, ByteBuffer.allocate(1024)));
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> lun.write(16 * MB, ByteBuffer.allocate(512)));
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> lun.write(-512, ByteBuffer.allocate(512)));
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> lun.unmap(15 * MB, 2 * MB));
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> lun.translate(16 * MB));
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> lun.entry(16));
        assertEquals(0, lun.heldSegments() - 1, "the refused write allocated nothing");
    }

    @Test
    void shouldRefuseUnalignedIo() {
        assertRefused(ErrorCode.UNALIGNED_IO, () -> lun.read(100, ByteBuffer.allocate(512)));
        assertRefused(ErrorCode.UNALIGNED_IO, () -> lun.write(0, ByteBuffer.allocate(100)));
    }

    @Test
    void shouldRefuseShrinkBelowDataWithoutForce() {
        assertRefused(ErrorCode.INVALID_STATE, () -> m.resize("data", 8 * MB, false));
        assertEquals(16 * MB, lun.sizeBytes());
        m.resize("data", 11 * MB, false); // data ends inside segment 10: allowed
        assertEquals(11 * MB, lun.sizeBytes());
    }

    @Test
    void shouldShrinkWithForceAndFreeTheSegments() {
        m.resize("data", 8 * MB, true);
        assertEquals(0, lun.heldSegments());
        m.resize("data", 16 * MB, false);
        ByteBuffer b = ByteBuffer.allocate(4096);
        lun.read(10 * MB, b);
        assertArrayEquals(new byte[4096], b.array(), "space beyond a forced shrink reads zeros after growing again");
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(longs = {0, 1000, 2199024304128L})
    void shouldRefuseBadSizeOnResize(long size) {
        assertRefused(ErrorCode.INVALID_ARGUMENT, () -> m.resize("data", size, true));
    }

    @Test
    void shouldRefuseRaidRangeOutsideTheLun() {
        assertRefused(ErrorCode.OUT_OF_RANGE, () -> m.setRaidLevel("data", 10, 7, RaidLevel.RAID1));
    }

    @Test
    void shouldRejectProgrammingMisuseWithIllegalArgument() {
        int e = lun.entry(10);
        assertThrows(IllegalArgumentException.class, () -> lun.compareAndSetEntry(10, e, 0), "cas cannot drop HOLDER");
        assertThrows(IllegalArgumentException.class, () -> m.create("x", MB, null));
        assertThrows(IllegalArgumentException.class, () -> m.createSnapshotDisk("data", "s", 1 << 20, 0));
    }
}
