package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.evasan.nsc.cache.TestUtil.tagAt;
import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A slow destager bounds the cache; writers are slowed, never failed. */
class BackPressureTest {

    @Test
    void shouldBoundCacheAndNeverFailAWrite() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 8 << 20);
        CacheConfig cfg = new CacheConfig().segmentSize(64 << 10).segmentCount(4).destageWorkers(2)
                .destageBytesPerSecond(2L << 20);
        CacheStats stats = new CacheStats("bp");
        int writers = 4;
        int perWriter = 64;
        int size = 4096;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong maxDirty = new AtomicLong();
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, stats)) {
            List<Thread> ts = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                ts.add(new Thread(() -> {
                    try {
                        for (int k = 0; k < perWriter; k++) {
                            long off = ((long) id * perWriter + k) * size;
                            cache.write(id, 0, off, tagged(id * 1000L + k, size / 512), false);
                            maxDirty.accumulateAndGet(cache.dirtyBytes(), Math::max);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            ts.forEach(Thread::start);
            for (Thread t : ts) {
                t.join();
            }
            assertNull(failure.get(), "no write may fail");
            long total = (long) writers * perWriter * size;
            System.out.printf("wrote %d KiB through a %d KiB cache: max dirty %d KiB, %d back-pressure waits, "
                            + "total wait %.1f ms%n", total >> 10, cache.capacityBytes() >> 10, maxDirty.get() >> 10,
                    stats.backPressureWaits(), stats.backPressureWait().totalTime(TimeUnit.MILLISECONDS));
            assertTrue(maxDirty.get() <= cache.capacityBytes());
            assertTrue(stats.backPressureWaits() > 0, "writers had to wait for room");
            cache.synchronizeAll();
        }
        byte[] fin = mem.contents(0);
        for (int id = 0; id < writers; id++) {
            for (int k = 0; k < perWriter; k++) {
                assertEquals(id * 1000L + k, tagAt(fin, ((long) id * perWriter + k) * size));
            }
        }
    }

    @Test
    void shouldReturnFullAndCompleteSpaceFutureWhenRoomReturns() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 8 << 20);
        CacheConfig cfg = new CacheConfig().segmentSize(64 << 10).segmentCount(4);
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("full"))) {
            cache.pauseDestage();
            int k = 0;
            while (cache.tryWrite(1, 0, k * 8192L, tagged(k, 16)) != WriteCache.FULL) {
                k++;
            }
            assertTrue(k > 0);
            assertTrue(cache.dirtyBytes() <= cache.capacityBytes());
            List<CachedItem> before = cache.pendingItems();
            CompletableFuture<Void> room = cache.whenSpaceFor(8192);
            assertFalse(room.isDone());
            assertEquals(before, cache.pendingItems(), "a refused write changes nothing");
            cache.resumeDestage();
            room.get(20, TimeUnit.SECONDS);
            assertTrue(cache.tryWrite(1, 0, k * 8192L, tagged(k, 16)) != WriteCache.FULL);
            cache.synchronizeAll();
            for (int i = 0; i <= k; i++) {
                assertEquals(i, tagAt(mem.contents(0), i * 8192L));
            }
        }
    }
}
