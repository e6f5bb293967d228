package io.evasan.mapping;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LunRecordDescriptor.LunRecord;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pointer copy into another disk group: non-HOLDER entries resolve in the source's group, HOLDER
 * entries in the disk's own, across a reopen; the record layout (version 2) still decodes version 1.
 */
class ForeignGroupTest {
    static final long MB = 1 << 20;
    static final String V1 = "0100000005000000000020000000000001000000050000000a000000000000000b00000000000000"
            + "ffffffff000000000000000002000000616201000000000000000000000000";
    static final String V2 = "0200000005000000000020000000000001000000050000000a000000000000000b00000000000000"
            + "ffffffff00000000000000000200000061620100000000000000000000000002000000";
    @TempDir
    Path dir;

    @Test
    void shouldEncodeVersion2AndStillDecodeVersion1() {
        LunRecord r = new LunRecord(5, "ab", 2 * MB, 1, 5, 10, 11, -1, 0, 0, new long[] {0},
                new RaidLevel[] {RaidLevel.RAID0}, 2);
        assertEquals(V2, HexFormat.of().formatHex(LunRecordDescriptor.encode(r)));
        LunRecord back = LunRecordDescriptor.decode(HexFormat.of().parseHex(V2));
        assertEquals(2, back.foreignGroup());
        assertEquals("ab", back.name());
        LunRecord old = LunRecordDescriptor.decode(HexFormat.of().parseHex(V1));
        assertEquals(-1, old.foreignGroup());
        assertEquals(1, old.diskGroupId());
        assertEquals(2 * MB, old.sizeBytes());
        assertArrayEquals(new RaidLevel[] {RaidLevel.RAID0}, old.runLevels());
    }

    @Test
    void shouldResolvePointerCopiesInTheSourceGroupAcrossReopen() {
        assumeReal();
        int g1;
        try (Pool p = TestPools.openOrCreate(dir.resolve("pool"), 2, 64);
             Mapping m = Mappings.open(p, dir.resolve("state"), MappingOptions.defaults().withFsync(false))) {
            g1 = p.diskGroups().get(1).id();
            LogicalDisk src = m.create("src", 8 * MB, RaidLevel.RAID0, p.diskGroups().get(0).id());
            src.write(3 * MB, ByteBuffer.allocate(512).put(0, (byte) 5));
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> m.createSnapshotDisk("src", "nowhere", LmapEntry.SP, LmapEntry.SS, 0, 99)).code());
            assertTrue(m.list().stream().noneMatch(i -> i.name().equals("nowhere")));
            LogicalDisk c = m.createSnapshotDisk("src", "copy", LmapEntry.SP, LmapEntry.SS, 0, g1);
            assertEquals(g1, c.diskGroupId());
            assertEquals(src.diskGroupId(), c.foreignGroup());
            assertEquals(src.diskGroupId(), PhysicalAddress.group(c.translate(3 * MB)));
            ByteBuffer b = ByteBuffer.allocate(512);
            c.read(3 * MB, b);
            assertEquals(5, b.get(0));
            // no pointer copy of a disk that points into two groups
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class,
                    () -> m.createSnapshotDisk("copy", "copy2", LmapEntry.SP, LmapEntry.SS)).code());
            // holders of the copy are in its own group
            long a = c.reserveRseg(5);
            assertEquals(g1, PhysicalAddress.group(a));
            assertTrue(c.linkRseg(5, 0, a, 0));
            assertEquals(g1, PhysicalAddress.group(c.translate(5 * MB)));
            assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class,
                    () -> m.clearForeignGroup("copy")).code());
        }
        try (Pool p = TestPools.openOrCreate(dir.resolve("pool"), 2, 64);
             Mapping m = Mappings.open(p, dir.resolve("state"), MappingOptions.defaults().withFsync(false))) {
            LogicalDisk c = m.disk("copy");
            assertEquals(g1, c.diskGroupId());
            assertEquals(m.disk("src").diskGroupId(), c.foreignGroup());
            ByteBuffer b = ByteBuffer.allocate(512);
            c.read(3 * MB, b);
            assertEquals(5, b.get(0));
            assertEquals(g1, PhysicalAddress.group(c.translate(5 * MB)));
            // the pointer copy goes away: the disk settles in its own group, durably
            int e = c.entry(3);
            assertTrue(c.compareAndSetEntry(3, e, 0));
            m.clearForeignGroup("copy");
            assertEquals(-1, c.foreignGroup());
        }
        try (Pool p = TestPools.openOrCreate(dir.resolve("pool"), 2, 64);
             Mapping m = Mappings.open(p, dir.resolve("state"), MappingOptions.defaults().withFsync(false))) {
            assertEquals(-1, m.disk("copy").foreignGroup());
            assertEquals(g1, PhysicalAddress.group(m.disk("copy").translate(5 * MB)));
        }
    }

    private static void assumeReal() {
        org.junit.jupiter.api.Assumptions.assumeTrue(TestPools.real(), "needs the real pool (two disk groups)");
    }
}
