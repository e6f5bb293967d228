package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded random workload against a plain in-memory model: reads always equal the model (newest
 * wins per sector, including partial overlaps of several cached writes); the backend receives each
 * initiator's writes in order and never an older write over a newer one to the same sector; after
 * a full synchronize the backend equals the model. Steps: -Devasan.steps (default 4000).
 */
class CacheOrderingTest {
    static final int LUN_SECTORS = 256;

    /** Records every backend write: (write number from the first sector's tag) per sector. */
    static final class RecordingTarget extends ForwardingTarget {
        final Random jitter;
        final Map<Long, Integer> initiatorOfWrite;
        final long[][] lastWriteAt = new long[2][LUN_SECTORS];
        final Map<Integer, Long> lastWriteOfInitiator = new HashMap<>();
        volatile String violation;

        RecordingTarget(long seed, Map<Long, Integer> initiatorOfWrite) {
            super(new MemoryDestageTarget());
            this.jitter = new Random(seed ^ 0x5DEECE66DL);
            this.initiatorOfWrite = initiatorOfWrite;
            mem.createLun(0, LUN_SECTORS * 512L);
            mem.createLun(1, LUN_SECTORS * 512L);
        }


        @Override
        public void write(int lunId, long byteOffset, ByteBuffer src) {
            int n;
            synchronized (this) {
                n = jitter.nextInt(4);
            }
            if (n == 0) {
                LockSupport.parkNanos(50_000);
            }
            long tag = src.getLong(src.position());
            synchronized (this) {
                Integer init;
                synchronized (initiatorOfWrite) {
                    init = initiatorOfWrite.get(tag);
                }
                Long prev = lastWriteOfInitiator.get(init);
                if (prev != null && prev > tag && violation == null) {
                    violation = "initiator " + init + " write " + tag + " destaged after its later write " + prev;
                }
                lastWriteOfInitiator.put(init, tag);
                int first = (int) (byteOffset / 512);
                for (int s = first; s < first + src.remaining() / 512; s++) {
                    if (lastWriteAt[lunId][s] > tag && violation == null) {
                        violation = "LUN " + lunId + " sector " + s + ": write " + tag + " landed over newer write "
                                + lastWriteAt[lunId][s];
                    }
                    lastWriteAt[lunId][s] = tag;
                }
            }
            mem.write(lunId, byteOffset, src);
        }



    }

    @ParameterizedTest
    @ValueSource(longs = {1L, 20261122L, 0xC0FFEEL})
    void shouldMatchModelUnderRandomWorkload(long seedParam) {
        long seed = Long.getLong("evasan.seed", seedParam);
        int steps = Integer.getInteger("evasan.steps", 4000);
        System.out.println("CacheOrderingTest seed=" + seed + " steps=" + steps);
        Random rnd = new Random(seed);
        Map<Long, Integer> initiatorOfWrite = new HashMap<>();
        RecordingTarget target = new RecordingTarget(seed, initiatorOfWrite);
        byte[][] model = {new byte[LUN_SECTORS * 512], new byte[LUN_SECTORS * 512]};
        CacheConfig cfg = new CacheConfig().segmentSize(64 << 10).segmentCount(6).maxEntries(48)
                .destageWorkers(1 + rnd.nextInt(3));
        long writeNo = 0;
        int step = 0;
        try (WriteBackCache cache = new WriteBackCache(cfg, target, r -> { }, new CacheStats("ordering"))) {
            for (step = 0; step < steps; step++) {
                int op = rnd.nextInt(100);
                int lun = rnd.nextInt(2);
                if (op < 70) {
                    int init = rnd.nextInt(4);
                    int sectors = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 120 : 8);
                    int first = rnd.nextInt(LUN_SECTORS - sectors + 1);
                    long tag = ++writeNo;
                    synchronized (initiatorOfWrite) {
                        initiatorOfWrite.put(tag, init);
                    }
                    ByteBuffer b = tagged(tag, sectors);
                    System.arraycopy(b.array(), 0, model[lun], first * 512, sectors * 512);
                    cache.write(init, lun, first * 512L, b, rnd.nextInt(50) == 0);
                } else if (op < 95) {
                    int sectors = 1 + rnd.nextInt(64);
                    int first = rnd.nextInt(LUN_SECTORS - sectors + 1);
                    ByteBuffer dst = ByteBuffer.allocate(sectors * 512);
                    cache.read(lun, first * 512L, dst);
                    byte[] exp = Arrays.copyOfRange(model[lun], first * 512, (first + sectors) * 512);
                    if (!Arrays.equals(exp, dst.array())) {
                        fail("seed " + seed + " step " + step + ": read LUN " + lun + " sectors [" + first + ", "
                                + (first + sectors) + ") differs from the model");
                    }
                } else if (op < 97) {
                    cache.synchronize(lun, 0, 0);
                } else if (op < 98) {
                    cache.setInitiatorWeight(rnd.nextInt(4), 1 + rnd.nextInt(4));
                } else {
                    cache.pauseDestage();
                    for (int i = 0; i < 5; i++) {
                        int init = rnd.nextInt(4);
                        int first = rnd.nextInt(LUN_SECTORS - 4);
                        long tag = ++writeNo;
                        synchronized (initiatorOfWrite) {
                            initiatorOfWrite.put(tag, init);
                        }
                        ByteBuffer b = tagged(tag, 4);
                        System.arraycopy(b.array(), 0, model[lun], first * 512, 4 * 512);
                        if (cache.tryWrite(init, lun, first * 512L, b) == WriteCache.FULL) {
                            b.rewind();
                            cache.resumeDestage();
                            cache.write(init, lun, first * 512L, b, false);
                            cache.pauseDestage();
                        }
                    }
                    cache.resumeDestage();
                }
                if (target.violation != null) {
                    fail("seed " + seed + " step " + step + ": " + target.violation);
                }
            }
            cache.synchronizeAll();
            assertEquals(0, cache.dirtyBytes());
        } catch (AssertionError e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AssertionError("seed " + seed + " step " + step + ": " + e, e);
        }
        if (target.violation != null) {
            fail("seed " + seed + ": " + target.violation);
        }
        for (int lun = 0; lun < 2; lun++) {
            assertArrayEquals(model[lun], target.mem.contents(lun), "seed " + seed + ": backend LUN " + lun);
        }
    }

    /** A weight-4 initiator gets four destages for each one of a weight-1 initiator while both are backlogged. */
    @Test
    void shouldFavourAHeavierInitiatorWithoutReorderingEither() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        List<Integer> order = new ArrayList<>();
        DestageTarget rec = new DestageTarget() {
            @Override public long lunSizeBytes(int lunId) { return mem.lunSizeBytes(lunId); }
            @Override public void write(int lunId, long off, ByteBuffer src) {
                synchronized (order) {
                    order.add((int) src.getLong(src.position()));
                }
                mem.write(lunId, off, src);
            }
            @Override public void read(int lunId, long off, ByteBuffer dst) { mem.read(lunId, off, dst); }
            @Override public void flush(int lunId) { }
            @Override public void flushAll() { }
        };
        try (WriteBackCache cache = new WriteBackCache(new CacheConfig().destageWorkers(1), rec, r -> { },
                new CacheStats("weights"))) {
            cache.setInitiatorWeight(7, 4);
            cache.pauseDestage();
            for (int i = 0; i < 20; i++) {
                cache.write(7, 0, i * 512L, tagged(100 + i, 1), false);
                cache.write(8, 0, (100 + i) * 512L, tagged(200 + i, 1), false);
            }
            cache.resumeDestage();
            cache.synchronizeAll();
        }
        List<Integer> first15 = order.subList(0, 15);
        long heavy = first15.stream().filter(t -> t < 200).count();
        System.out.println("destage order (1xx = weight 4, 2xx = weight 1): " + order);
        assertEquals(12, heavy, "weight 4 vs 1 in the first 15 destages");
        int lastA = 0;
        int lastB = 0;
        for (int t : order) {
            if (t < 200) {
                assertTrue(t > lastA);
                lastA = t;
            } else {
                assertTrue(t > lastB);
                lastB = t;
            }
        }
    }

    /**
     * Concurrent writers on overlapping sectors with a marker in the middle: the backend ends equal
     * to all writes applied in acknowledgement-sequence order, the snapshot equals the writes with a
     * lower sequence number than the marker applied in that order.
     */
    @ParameterizedTest
    @ValueSource(longs = {7L, 99L})
    void shouldOrderConcurrentOverlappingWritesBySequence(long seedParam) throws Exception {
        long seed = Long.getLong("evasan.seed", seedParam);
        int perThread = Integer.getInteger("evasan.steps", 4000) / 4;
        System.out.println("concurrent ordering seed=" + seed + " writes/thread=" + perThread);
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 64 * 512);
        int threads = 4;
        long[][] seqs = new long[threads][perThread];
        int[][] firsts = new int[threads][perThread];
        int[][] counts = new int[threads][perThread];
        CacheConfig cfg = new CacheConfig().segmentSize(64 << 10).segmentCount(4).maxEntries(64).destageWorkers(3);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        io.evasan.nsc.marker.SnapshotMarker marker;
        DestageTarget slow = new DestageTarget() {
            private final java.util.concurrent.atomic.AtomicLong n = new java.util.concurrent.atomic.AtomicLong(seed);
            @Override public long lunSizeBytes(int lunId) { return mem.lunSizeBytes(lunId); }
            @Override public void write(int lunId, long off, ByteBuffer src) {
                LockSupport.parkNanos(20_000 * (n.incrementAndGet() % 5)); // uneven in-flight windows
                mem.write(lunId, off, src);
            }
            @Override public void read(int lunId, long off, ByteBuffer dst) { mem.read(lunId, off, dst); }
            @Override public void flush(int lunId) { mem.flush(lunId); }
            @Override public void flushAll() { mem.flushAll(); }
        };
        try (WriteBackCache cache = new WriteBackCache(cfg, slow, mem, new CacheStats("concurrent"))) {
            java.util.concurrent.CyclicBarrier half = new java.util.concurrent.CyclicBarrier(threads + 1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(new Thread(() -> {
                    try {
                        Random r = new Random(seed * 31 + id);
                        for (int k = 0; k < perThread; k++) {
                            if (k == perThread / 2) {
                                half.await();
                            }
                            int n = 1 + r.nextInt(6);
                            int first = r.nextInt(64 - n + 1);
                            firsts[id][k] = first;
                            counts[id][k] = n;
                            seqs[id][k] = cache.write(id, 0, first * 512L, tagged(((long) id << 32) | k, n), false);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            ts.forEach(Thread::start);
            half.await();
            marker = cache.insertMarker(new io.evasan.nsc.marker.SnapshotRequest(1, "mid",
                    io.evasan.nsc.marker.SnapshotRequest.Kind.SNAPSHOT, io.evasan.nsc.marker.SnapshotRequest.Source.API, 0));
            for (Thread t : ts) {
                t.join();
            }
            cache.synchronizeAll();
        }
        if (failure.get() != null) {
            throw new AssertionError("seed " + seed, failure.get());
        }
        // chunked writes end with their last chunk's seq; a write here is one chunk (<= 3 KiB)
        List<long[]> order = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            for (int k = 0; k < perThread; k++) {
                order.add(new long[] {seqs[t][k], t, k});
            }
        }
        order.sort((a, b) -> Long.compare(a[0], b[0]));
        byte[] model = new byte[64 * 512];
        byte[] snapModel = null;
        for (long[] w : order) {
            if (snapModel == null && w[0] > marker.seq()) {
                snapModel = model.clone();
            }
            int t = (int) w[1];
            int k = (int) w[2];
            ByteBuffer b = tagged(((long) t << 32) | k, counts[t][k]);
            System.arraycopy(b.array(), 0, model, firsts[t][k] * 512, counts[t][k] * 512);
        }
        if (snapModel == null) {
            snapModel = model.clone();
        }
        assertArrayEquals(snapModel, mem.snapshot(1, 0), "seed " + seed + ": snapshot = writes before the marker");
        assertArrayEquals(model, mem.contents(0), "seed " + seed + ": backend = all writes in sequence order");
    }
}
