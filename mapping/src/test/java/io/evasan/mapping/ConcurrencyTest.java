package io.evasan.mapping;

import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Racing first writes: several threads write their own 4 KB slice of the same segments at the
 * same time (every segment is first-written by several threads at once) while readers translate
 * and read. Each segment must be allocated exactly once and every slice must read back.
 */
class ConcurrencyTest {
    static final long MB = 1 << 20;
    static final int THREADS = 4;
    static final int SEGMENTS = 96;
    @TempDir
    Path dir;

    static byte[] slice(int thread, int seg) {
        byte[] b = new byte[4096];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (thread * 31 + seg * 7 + i);
        }
        return b;
    }

    @Test
    void shouldAllocateEachSegmentOnceUnderRacingFirstWrites() throws Exception {
        try (Pool pool = TestPools.openOrCreate(dir.resolve("pool"), 1, 128);
             Mapping m = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false))) {
            LogicalDisk d = m.create("race", SEGMENTS * MB, RaidLevel.RAID5);
            ExecutorService ex = Executors.newFixedThreadPool(THREADS + 1);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                fs.add(ex.submit(() -> {
                    for (int s = 0; s < SEGMENTS; s++) {
                        d.write(s * MB + thread * 4096L, ByteBuffer.wrap(slice(thread, s)));
                    }
                    return null;
                }));
            }
            fs.add(ex.submit(() -> {
                ByteBuffer b = ByteBuffer.allocate(4096);
                for (int k = 0; k < 20000; k++) {
                    long off = (k % SEGMENTS) * MB;
                    d.translate(off);
                    b.clear();
                    d.read(off, b);
                }
                return null;
            }));
            for (Future<?> f : fs) {
                f.get();
            }
            ex.shutdown();
            assertEquals(SEGMENTS, d.heldSegments());
            assertEquals(SEGMENTS / 8, (long) m.stats().rstoreAllocations(), "one RStore per 8 MB range");
            for (int s = 0; s < SEGMENTS; s++) {
                for (int t = 0; t < THREADS; t++) {
                    ByteBuffer b = ByteBuffer.allocate(4096);
                    d.read(s * MB + t * 4096L, b);
                    assertArrayEquals(slice(t, s), b.array(), "segment " + s + " thread " + t);
                }
            }
        }
    }
}
