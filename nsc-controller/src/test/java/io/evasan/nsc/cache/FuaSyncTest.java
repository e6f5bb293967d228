package io.evasan.nsc.cache;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;

import static io.evasan.nsc.cache.TestUtil.tagAt;
import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FUA and SYNCHRONIZE CACHE force data to the backend (and flush it) before completing. */
class FuaSyncTest {
    private static CacheConfig slow() {
        return new CacheConfig().destageWorkers(2).destageBytesPerSecond(1L << 20);
    }

    @Test
    void shouldDestageAndFlushBeforeFuaCompletes() {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(slow(), mem, mem, new CacheStats("fua"))) {
            for (int i = 0; i < 20; i++) {
                cache.write(1, 0, i * 4096L, tagged(i + 1, 8), false);
            }
            cache.write(2, 0, 200 * 4096L, tagged(500, 8), false);
            long flushes = mem.flushes();
            cache.write(1, 0, 3 * 4096L + 512, tagged(99, 1), true);
            byte[] now = mem.contents(0);
            assertEquals(99, tagAt(now, 3 * 4096L + 512), "FUA data on the backend");
            for (int i = 0; i < 20; i++) {
                assertEquals(i + 1, tagAt(now, i * 4096L), "older write of the same initiator first");
            }
            assertTrue(mem.flushes() > flushes, "LUN flushed");
        }
    }

    @Test
    void shouldDestageOverlappingWritesOfAllInitiatorsOnSynchronize() {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        mem.createLun(1, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(slow(), mem, mem, new CacheStats("sync"))) {
            for (int i = 0; i < 10; i++) {
                cache.write(i % 3, 0, i * 4096L, tagged(i + 1, 8), false);
                cache.write(i % 3, 1, i * 4096L, tagged(i + 100, 8), false);
            }
            long flushes = mem.flushes();
            cache.synchronize(0, 2 * 4096L, 3 * 4096L);
            byte[] now = mem.contents(0);
            for (int i = 2; i < 5; i++) {
                assertEquals(i + 1, tagAt(now, i * 4096L), "synchronized range destaged");
            }
            assertTrue(mem.flushes() > flushes);
            cache.synchronize(0, 0, 0);
            now = mem.contents(0);
            for (int i = 0; i < 10; i++) {
                assertEquals(i + 1, tagAt(now, i * 4096L));
            }
            cache.synchronizeAll();
            assertEquals(0, cache.dirtyBytes());
            for (int i = 0; i < 10; i++) {
                assertEquals(i + 100, tagAt(mem.contents(1), i * 4096L));
            }
        }
    }

    @ParameterizedTest(name = "lun={0} offset={1} length={2} -> {3}")
    @CsvSource({
            "0, 100, 512, UNALIGNED_IO",
            "0, 0, 100, UNALIGNED_IO",
            "0, 1048576, 512, OUT_OF_RANGE",
            "0, 1048064, 1024, OUT_OF_RANGE",
            "0, -512, 512, UNALIGNED_IO",
            "9, 0, 512, NOT_FOUND",
            "0, 0, 0, INVALID_ARGUMENT"})
    void shouldRejectBadWritesAndChangeNothing(int lun, long off, int len, ErrorCode code) {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig(), mem, mem, new CacheStats("bad"))) {
            cache.pauseDestage();
            StorageException e = assertThrows(StorageException.class,
                    () -> cache.write(1, lun, off, ByteBuffer.allocate(len), false));
            assertEquals(code, e.code());
            assertTrue(cache.pendingItems().isEmpty());
            assertEquals(0, cache.dirtyBytes());
            if (len > 0) {
                StorageException r = assertThrows(StorageException.class,
                        () -> cache.read(lun, off, ByteBuffer.allocate(len)));
                assertEquals(code, r.code());
            }
            cache.resumeDestage();
        }
    }
}
