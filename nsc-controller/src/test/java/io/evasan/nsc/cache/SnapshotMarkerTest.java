package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotAction;
import io.evasan.nsc.marker.SnapshotRequest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.nsc.cache.TestUtil.awaitTrue;
import static io.evasan.nsc.cache.TestUtil.tagAt;
import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed 000, Figs. 5 and 6A-6D: the snapshot marker. */
class SnapshotMarkerTest {

    private static String describe(List<CachedItem> items, long[] itemSeq) {
        StringBuilder sb = new StringBuilder();
        for (CachedItem it : items) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            if (it.marker()) {
                sb.append("M");
            } else {
                int n = -1;
                for (int i = 1; i < itemSeq.length; i++) {
                    if (itemSeq[i] == it.seq()) {
                        n = i;
                    }
                }
                sb.append(n);
            }
        }
        return sb.toString();
    }

    /**
     * Fig. 6A: items 1-5 then marker 615; 6B: items 1-3 flushed, 6-8 arrived; 6C: 4-5 flushed,
     * marker still in cache with 6-10; 6D: marker flushed, snapshot taken, cache holds 6-11.
     * The snapshot holds exactly items 1-5.
     */
    @Test
    void shouldWalkFigures6Ato6D() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        GatedTarget gated = new GatedTarget(mem);
        CountDownLatch snapshotGate = new CountDownLatch(1);
        CountDownLatch snapshotEntered = new CountDownLatch(1);
        long[] itemSeq = new long[12];
        WriteBackCache cache = new WriteBackCache(new CacheConfig().destageWorkers(1), gated, req -> {
            snapshotEntered.countDown();
            try {
                snapshotGate.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            mem.takeSnapshot(req);
        }, new CacheStats("fig6"));
        try {
            for (int i = 1; i <= 5; i++) {
                itemSeq[i] = cache.write(1, 0, i * 512L, tagged(i, 1), false);
            }
            SnapshotMarker m = cache.insertMarker(new SnapshotRequest(615, "marker-615", SnapshotRequest.Kind.SNAPSHOT,
                    SnapshotRequest.Source.API, 0));
            assertEquals("1,2,3,4,5,M", describe(cache.pendingItems(), itemSeq), "Fig. 6A");
            for (int i = 6; i <= 8; i++) {
                itemSeq[i] = cache.write(1, 0, i * 512L, tagged(i, 1), false);
            }
            gated.permits.release(3);
            awaitTrue("items 1-3 flushed", () -> cache.pendingItems().size() == 6);
            assertEquals("4,5,M,6,7,8", describe(cache.pendingItems(), itemSeq), "Fig. 6B");
            for (int i = 9; i <= 10; i++) {
                itemSeq[i] = cache.write(1, 0, i * 512L, tagged(i, 1), false);
            }
            gated.permits.release(2);
            assertTrue(snapshotEntered.await(20, TimeUnit.SECONDS));
            assertEquals("M,6,7,8,9,10", describe(cache.pendingItems(), itemSeq), "Fig. 6C");
            byte[] now = mem.contents(0);
            for (int i = 1; i <= 10; i++) {
                assertEquals(i <= 5 ? i : 0, tagAt(now, i * 512L), "backend at the marker, item " + i);
            }
            assertFalse(m.taken().isDone());
            itemSeq[11] = cache.write(1, 0, 11 * 512L, tagged(11, 1), false);
            snapshotGate.countDown();
            assertEquals(m.request(), m.taken().get(20, TimeUnit.SECONDS));
            assertEquals("6,7,8,9,10,11", describe(cache.pendingItems(), itemSeq), "Fig. 6D");
            byte[] snap = mem.snapshot(615, 0);
            for (int i = 1; i <= 11; i++) {
                assertEquals(i <= 5 ? i : 0, tagAt(snap, i * 512L), "snapshot item " + i);
            }
            // reads of the origin stay correct throughout: items 6-11 are only in the cache
            for (int i = 1; i <= 11; i++) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(512);
                cache.read(0, i * 512L, b);
                assertEquals(i, b.getLong(0), "origin read item " + i);
            }
        } finally {
            snapshotGate.countDown();
            gated.permits.release(1_000_000);
            cache.close();
        }
        byte[] fin = mem.contents(0);
        for (int i = 1; i <= 11; i++) {
            assertEquals(i, tagAt(fin, i * 512L));
        }
    }

    private static final class Writer extends Thread {
        final int id;
        final int count;
        final WriteBackCache cache;
        final long[] seq;
        final long[] start;
        final long[] end;
        final AtomicLong acked;
        final java.util.concurrent.atomic.AtomicBoolean markerIn;
        int written;
        static final int REGION = 64;

        /** Writes at least {@code count}, and keeps going until 500 writes after the marker was inserted. */
        /** Writes begun after the marker was in the cache and acknowledged (before the snapshot was taken: see the test). */
        final AtomicLong ackedAfterMarker;

        Writer(int id, int count, WriteBackCache cache, AtomicLong acked, java.util.concurrent.atomic.AtomicBoolean markerIn,
               AtomicLong ackedAfterMarker) {
            this.ackedAfterMarker = ackedAfterMarker;
            this.id = id;
            this.count = count;
            this.cache = cache;
            this.acked = acked;
            this.markerIn = markerIn;
            seq = new long[count * 4];
            start = new long[count * 4];
            end = new long[count * 4];
        }

        @Override
        public void run() {
            int seenAt = -1;
            for (int k = 0; k < seq.length; k++) {
                if (seenAt < 0 && markerIn.get()) {
                    seenAt = k;
                }
                if (k >= count && seenAt >= 0 && k >= seenAt + 500) {
                    break;
                }
                long tag = ((long) id << 32) | (k + 1);
                java.nio.ByteBuffer b = tagged(tag, 1);
                boolean afterMarker = seenAt >= 0;
                start[k] = System.nanoTime();
                seq[k] = cache.write(id, 0, (long) (id * REGION + k % REGION) * 512, b, false);
                end[k] = System.nanoTime();
                written = k + 1;
                acked.incrementAndGet();
                if (afterMarker) {
                    ackedAfterMarker.incrementAndGet();
                }
            }
        }
    }

    /**
     * Several initiators stream numbered writes; the snapshot is requested once 4000 writes are
     * acknowledged; it must hold exactly the writes sequenced before the marker (all acknowledged
     * before the request, none begun after), and writers keep going while it is pending.
     */
    @Test
    void shouldSeparateBeforeAndAfterAcrossInitiators() throws Exception {
        int writers = 4;
        int perWriter = 3000;
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        CacheConfig cfg = new CacheConfig().segmentSize(1 << 20).segmentCount(32).destageWorkers(2)
                .destageBytesPerSecond(2L << 20);
        AtomicLong acked = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean markerIn = new java.util.concurrent.atomic.AtomicBoolean();
        // hosts are never paused: the snapshot action (the marker leaving the cache) waits until host writes
        // begun after the marker was in the cache have been acknowledged; if a marker paused the hosts, none
        // would be, and the test fails (no timing threshold: a count, with a generous deadline only)
        AtomicLong ackedWhilePending = new AtomicLong();
        AtomicLong seenByAction = new AtomicLong(-1);
        int mustAck = 200;
        SnapshotAction gated = req -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ackedWhilePending.get() < mustAck && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
            seenByAction.set(ackedWhilePending.get());
            mem.takeSnapshot(req);
        };
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, gated, new CacheStats("multi"))) {
            List<Writer> ws = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                ws.add(new Writer(i, perWriter, cache, acked, markerIn, ackedWhilePending));
            }
            ws.forEach(Thread::start);
            while (acked.get() < 4000) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
            long reqStart = System.nanoTime();
            SnapshotMarker m = cache.insertMarker(new SnapshotRequest(1, "at-4000", SnapshotRequest.Kind.SNAPSHOT,
                    SnapshotRequest.Source.API, 0));
            long reqEnd = System.nanoTime();
            markerIn.set(true);
            long dirtyBefore = cache.pendingItems().stream().filter(i -> !i.marker() && i.seq() < m.seq()).count();
            m.taken().get(60, TimeUnit.SECONDS);
            long takenAt = System.nanoTime();
            for (Writer w : ws) {
                w.join();
            }
            byte[] snap = mem.snapshot(1, 0);
            long before = 0;
            long after = 0;
            long duringMarker = 0;
            long maxLatencyDuring = 0;
            for (Writer w : ws) {
                long[] expected = new long[Writer.REGION];
                for (int k = 0; k < w.written; k++) {
                    if (w.seq[k] < m.seq()) {
                        expected[k % Writer.REGION] = ((long) w.id << 32) | (k + 1);
                        before++;
                    } else {
                        after++;
                    }
                    if (w.end[k] < reqStart) {
                        assertTrue(w.seq[k] < m.seq(), "write acknowledged before the request is before the marker");
                    }
                    if (w.start[k] > reqEnd) {
                        assertTrue(w.seq[k] > m.seq(), "write begun after the request is after the marker");
                    }
                    if (w.end[k] >= reqStart && w.start[k] <= takenAt) {
                        maxLatencyDuring = Math.max(maxLatencyDuring, w.end[k] - w.start[k]);
                        if (w.seq[k] > m.seq() && w.end[k] < takenAt) {
                            duringMarker++;
                        }
                    }
                }
                for (int s = 0; s < Writer.REGION; s++) {
                    assertEquals(expected[s], tagAt(snap, (long) (w.id * Writer.REGION + s) * 512),
                            "writer " + w.id + " sector " + s);
                }
            }
            System.out.printf("marker seq=%d: %d writes before, %d after; %d before-writes still cached at the request;"
                            + " %d writes acknowledged while the marker was pending; longest write latency during"
                            + " the snapshot = %.3f ms; marker latency = %.1f ms%n",
                    m.seq(), before, after, dirtyBefore, duringMarker, maxLatencyDuring / 1e6,
                    (takenAt - reqStart) / 1e6);
            assertTrue(before >= 4000 && after > 0);
            assertTrue(seenByAction.get() >= mustAck, "only " + seenByAction.get() + " host writes begun after the"
                    + " marker was inserted were acknowledged while it waited to leave the cache (hosts paused?)");
            System.out.printf("host writes acknowledged while the marker waited (counted by the snapshot action): %d%n",
                    seenByAction.get());
            cache.synchronizeAll();
            byte[] fin = mem.contents(0);
            for (Writer w : ws) {
                for (int s = 0; s < Writer.REGION; s++) {
                    long last = 0;
                    for (int k = s; k < w.written; k += Writer.REGION) {
                        last = ((long) w.id << 32) | (k + 1);
                    }
                    assertEquals(last, tagAt(fin, (long) (w.id * Writer.REGION + s) * 512));
                }
            }
        }
    }

    /** A marker for LUN 1 does not hold back LUN 0; two markers in a row fire in order. */
    @Test
    void shouldScopeMarkersToTheirLuns() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        mem.createLun(1, 1 << 20);
        List<Long> order = new ArrayList<>();
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig().destageWorkers(1), mem, req -> {
            synchronized (order) {
                order.add(req.requestId());
            }
            mem.takeSnapshot(req);
        }, new CacheStats("scope"))) {
            cache.pauseDestage();
            cache.write(1, 1, 0, tagged(1, 1), false);
            SnapshotMarker a = cache.insertMarker(new SnapshotRequest(10, "a", SnapshotRequest.Kind.SNAPCLONE,
                    SnapshotRequest.Source.API, 1));
            SnapshotMarker b = cache.insertMarker(new SnapshotRequest(11, "b", SnapshotRequest.Kind.SNAPSHOT,
                    SnapshotRequest.Source.HOST, 0, 1));
            cache.write(2, 1, 512, tagged(2, 1), false);
            cache.write(2, 0, 0, tagged(3, 1), false);
            cache.resumeDestage();
            a.taken().get(20, TimeUnit.SECONDS);
            b.taken().get(20, TimeUnit.SECONDS);
            cache.synchronizeAll();
            assertEquals(List.of(10L, 11L), order);
            assertEquals(1, tagAt(mem.snapshot(10, 1), 0));
            assertEquals(0, tagAt(mem.snapshot(10, 1), 512));
            assertEquals(0, tagAt(mem.snapshot(11, 0), 0));
            assertEquals(0, tagAt(mem.snapshot(11, 1), 512));
            assertEquals(2, tagAt(mem.contents(1), 512));
        }
    }

    /** A failing snapshot fails the requester's future; the marker still leaves and writes flow. */
    @Test
    void shouldReportAFailingSnapshotAndKeepFlowing() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig(), mem, req -> {
            throw new IllegalStateException("no space for snapshot");
        }, new CacheStats("fail"))) {
            cache.write(1, 0, 0, tagged(1, 1), false);
            SnapshotMarker m = cache.insertMarker(new SnapshotRequest(5, "x", SnapshotRequest.Kind.SNAPSHOT,
                    SnapshotRequest.Source.API, 0));
            cache.write(1, 0, 512, tagged(2, 1), false);
            java.util.concurrent.ExecutionException ex = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> m.taken().get(20, TimeUnit.SECONDS));
            assertEquals("no space for snapshot", ex.getCause().getMessage());
            cache.synchronizeAll();
            assertEquals(2, tagAt(mem.contents(0), 512));
        }
    }

    /**
     * A wait for a LUN to drain returns once its marker fired (its writes destaged first), not while the marker is
     * pending, and not for another LUN's marker; it fails BUSY when the cache halts under it.
     */
    @Test
    void shouldWaitForTheMarkersOfALunBeforeReportingItDrained() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        mem.createLun(1, 1 << 20);
        CountDownLatch snapshotGate = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean taken = new java.util.concurrent.atomic.AtomicBoolean();
        WriteBackCache cache = new WriteBackCache(new CacheConfig().destageWorkers(2), mem, req -> {
            try {
                snapshotGate.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            mem.takeSnapshot(req);
            taken.set(true);
        }, new CacheStats("drain"));
        try {
            cache.write(1, 0, 0, tagged(1, 1), false);
            SnapshotMarker m = cache.insertMarker(new SnapshotRequest(20, "m", SnapshotRequest.Kind.SNAPSHOT,
                    SnapshotRequest.Source.API, 0));
            cache.write(1, 1, 0, tagged(2, 1), false);
            cache.synchronize(1, 0, 0);
            cache.awaitNothingPending(1);   // LUN 1: only a write, destaged; the marker names LUN 0 only
            boolean[] takenAtReturn = new boolean[1];
            Thread waiter = new Thread(() -> {
                cache.awaitNothingPending(0);
                takenAtReturn[0] = taken.get();
            });
            waiter.start();
            while (waiter.getState() != Thread.State.WAITING && waiter.getState() != Thread.State.TERMINATED) {
                Thread.sleep(1);
            }
            snapshotGate.countDown();
            waiter.join(20_000);
            assertFalse(waiter.isAlive());
            assertTrue(takenAtReturn[0], "returned only once the marker's snapshot was taken");
            // the requester's future completes just after the marker leaves the cache (outside its lock)
            m.taken().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            snapshotGate.countDown();
            cache.close();
        }

        WriteBackCache held = new WriteBackCache(new CacheConfig(), mem, req -> { }, new CacheStats("drain-halt"));
        held.pauseDestage();
        held.write(1, 0, 0, tagged(3, 1), false);
        Thread halter = new Thread(() -> {
            try {
                Thread.sleep(20);   // mostly while the caller waits; before it, the wait fails the same way
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            held.halt();
        });
        halter.start();
        io.evasan.error.StorageException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.evasan.error.StorageException.class, () -> held.awaitNothingPending(0));
        assertEquals(io.evasan.error.ErrorCode.BUSY, e.code());
        halter.join();
    }
}
