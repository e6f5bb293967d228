package io.evasan.mapping;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Capacity exhaustion: a write that needs a new RStore when the disk group has no free PSEGs fails
 * with SPACE_ALLOCATION_FAILED; nothing else is affected; it succeeds once space is freed.
 */
class CapacityTest {
    static final long MB = 1 << 20;
    @TempDir
    Path dir;

    static ByteBuffer block(int v) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) v);
        return ByteBuffer.wrap(b);
    }

    static byte[] read(LogicalDisk d, long off) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        d.read(off, b);
        return b.array();
    }

    @Test
    void shouldFailWithSpaceAllocationFailedAndRecoverWhenSpaceIsFreed() {
        try (Pool pool = TestPools.openOrCreate(dir.resolve("pool"), 1, 40);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults())) {
            LogicalDisk other = m.create("other", 16 * MB, RaidLevel.RAID1);
            other.write(0, block(7));
            LogicalDisk fill = m.create("fill", 2048 * MB, RaidLevel.RAID0);
            long off = 0;
            StorageException failure = null;
            int written = 0;
            for (; off < fill.sizeBytes(); off += 8 * MB) { // one new RStore per 8 MB range
                try {
                    fill.write(off, block(written % 100 + 1));
                    written++;
                } catch (StorageException e) {
                    failure = e;
                    break;
                }
            }
            assertNotNull(failure, "the group never filled up");
            assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, failure.code(), failure.getMessage());
            assertTrue(written > 0);
            long failedOff = off;
            // nothing changed for the failing segment; everything else works
            assertEquals(0, fill.entry(failedOff >> 20));
            assertArrayEquals(new byte[4096], read(fill, failedOff));
            assertEquals(1.0, m.stats().spaceAllocationFailures(), 0.0);
            for (int i = 0; i < written; i++) {
                assertArrayEquals(block(i % 100 + 1).array(), read(fill, i * 8 * MB));
            }
            assertArrayEquals(block(7).array(), read(other, 0));
            other.write(4096, block(9)); // allocated segment: no new space needed
            fill.write(MB, block(3));   // second RSEG of an existing RStore: no new RStore needed
            assertArrayEquals(block(3).array(), read(fill, MB));
            StorageException again = assertThrows(StorageException.class, () -> fill.write(failedOff, block(5)));
            assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, again.code());
            // free one RStore (both of its RSEGs), and the write succeeds
            fill.unmap(0, 2 * MB);
            fill.write(failedOff, block(5));
            assertArrayEquals(block(5).array(), read(fill, failedOff));
            assertNotEquals(PhysicalAddress.UNMAPPED, fill.translate(failedOff));
        }
    }
}
