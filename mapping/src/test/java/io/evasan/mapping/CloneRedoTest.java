package io.evasan.mapping;

import io.evasan.mapping.LunRecordDescriptor.LunRecord;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.support.TestPools;
import io.evasan.mld.MldBatch;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A crash between the catalogue commit of a snapshot disk and its pointer-copy log record: the
 * reopen redoes the copy (the disk is never left empty while its catalogue record exists).
 */
class CloneRedoTest {
    static final long MB = 1 << 20;
    @TempDir
    Path dir;

    @Test
    void shouldRedoAnInterruptedPointerCopyAtReopen() {
        int srcId;
        try (Pool p = TestPools.openOrCreate(dir.resolve("pool"), 1, 64);
             Mapping m = Mappings.open(p, dir.resolve("state"), MappingOptions.defaults())) {
            LogicalDisk src = m.create("src", 8 * MB, RaidLevel.RAID1);
            src.write(3 * MB, ByteBuffer.allocate(512).put(0, (byte) 5));
            srcId = src.id();
            // the first half of createSnapshotDisk only: the catalogue record, no CLONE record
            int id = 100;
            LunRecord r = new LunRecord(id, "half", 8 * MB, 0, srcId, 1, 1, srcId, LmapEntry.SP, LmapEntry.SS,
                    new long[] {0}, new RaidLevel[] {RaidLevel.RAID1});
            m.mld().commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(id), LunRecordDescriptor.encode(r))
                    .put(LunRecordDescriptor.META_KIND, LunRecordDescriptor.NEXT_ID_KEY, LunRecordDescriptor.encodeInt(id + 1)));
        }
        for (int round = 0; round < 2; round++) { // redone once, then stable
            try (Pool p = TestPools.openOrCreate(dir.resolve("pool"), 1, 64);
                 Mapping m = Mappings.open(p, dir.resolve("state"), MappingOptions.defaults())) {
                LogicalDisk half = m.disk("half");
                LogicalDisk src = m.disk("src");
                int se = src.entry(3);
                int he = half.entry(3);
                assertTrue(LmapEntry.samePointer(se, he), LmapEntry.toString(he));
                assertTrue(LmapEntry.holder(se) && LmapEntry.sp(se));
                assertTrue(!LmapEntry.holder(he) && LmapEntry.ss(he));
                ByteBuffer b = ByteBuffer.allocate(512);
                half.read(3 * MB, b);
                assertEquals(5, b.get(0));
                assertEquals(src.lockDomain(), half.lockDomain());
                assertEquals(0, half.heldSegments());
            }
        }
    }
}
