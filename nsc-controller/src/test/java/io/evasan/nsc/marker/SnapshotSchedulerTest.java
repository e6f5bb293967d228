package io.evasan.nsc.marker;

import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.impl.SnapshotScheduler;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Periodic snapshots (seed 002 claim 31) go through the same marker path. */
class SnapshotSchedulerTest {

    @Test
    void shouldInsertMarkersPeriodicallyAndTakeTheirSnapshots() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(4, 1 << 20);
        CountDownLatch three = new CountDownLatch(3);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig(), mem, mem, new CacheStats("sched"))) {
            try (SnapshotScheduler s = new SnapshotScheduler(cache, 20, TimeUnit.MILLISECONDS, "hourly",
                    SnapshotRequest.Kind.SNAPSHOT, 1000, m -> m.taken().thenRun(three::countDown), errors::add, 4)) {
                for (int k = 0; k < 200 && three.getCount() > 0; k++) {
                    cache.write(1, 4, (k % 64) * 512L, ByteBuffer.allocate(512).putLong(0, k), false);
                }
                assertTrue(three.await(30, TimeUnit.SECONDS));
                assertTrue(s.ticks() >= 3);
            }
        }
        assertTrue(errors.isEmpty(), errors.toString());
        var taken = mem.snapshotsTaken();
        assertTrue(taken.size() >= 3);
        long n = 1;
        for (var e : taken.entrySet()) {
            assertEquals(1000 + n, e.getKey());
            assertEquals("hourly-" + n, e.getValue().name());
            assertEquals(SnapshotRequest.Source.SCHEDULE, e.getValue().source());
            n++;
        }
    }

    @Test
    void shouldRejectBadSchedules() {
        MarkerSink sink = r -> new SnapshotMarker(1, r, 0);
        assertThrows(IllegalArgumentException.class, () -> new SnapshotScheduler(sink, 0, TimeUnit.SECONDS, "x",
                SnapshotRequest.Kind.SNAPSHOT, 0, m -> { }, t -> { }, 1));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotScheduler(sink, 1, TimeUnit.SECONDS, "x",
                SnapshotRequest.Kind.SNAPSHOT, 0, m -> { }, t -> { }));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotRequest(1, "x", SnapshotRequest.Kind.SNAPSHOT,
                SnapshotRequest.Source.API, 2, 2));
    }
}
