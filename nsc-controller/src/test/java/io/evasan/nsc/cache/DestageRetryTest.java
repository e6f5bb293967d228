package io.evasan.nsc.cache;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;

import static io.evasan.nsc.cache.TestUtil.awaitTrue;
import static io.evasan.nsc.cache.TestUtil.tagAt;
import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failed destages are bounded (issue 11 finding 3): given up when the data is lost, never a frozen wait. */
class DestageRetryTest {
    /** A memory backend that fails the writes {@code failing} selects (by LUN and offset) with {@code code}. */
    static final class FailingTarget extends ForwardingTarget {
        volatile BiPredicate<Integer, Long> failing = (l, o) -> false;
        volatile ErrorCode code = ErrorCode.WRITE_FAULT;
        final AtomicInteger attempts = new AtomicInteger();
        final List<long[]> lost = new ArrayList<>();

        FailingTarget() {
            super(new MemoryDestageTarget());
        }


        @Override
        public void write(int lunId, long byteOffset, ByteBuffer src) {
            if (failing.test(lunId, byteOffset)) {
                attempts.incrementAndGet();
                throw new StorageException(code, "drill: LUN " + lunId + " offset " + byteOffset);
            }
            mem.write(lunId, byteOffset, src);
        }




        @Override
        public synchronized void destageLost(int lunId, long byteOffset, long length, StorageException cause) {
            lost.add(new long[] {lunId, byteOffset, length});
        }

        synchronized List<long[]> lost() {
            return new ArrayList<>(lost);
        }
    }

    private static CacheConfig config() {
        return new CacheConfig().segmentSize(256 * 1024).segmentCount(8).destageWorkers(2)
                .retryBackoffMillis(2).maxRetryBackoffMillis(20).maxDestageAttempts(5);
    }

    private static StorageException failureOf(CompletableFuture<Void> f) {
        try {
            f.get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return (StorageException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no answer within 20 s", e);
        }
        throw new AssertionError("completed normally");
    }

    @Test
    void shouldGiveUpALostWriteAfterBoundedAttemptsAndReportItToWaiters() {
        FailingTarget t = new FailingTarget();
        t.mem.createLun(0, 1 << 20);
        t.mem.createLun(1, 1 << 20);
        t.failing = (l, o) -> l == 0;
        try (WriteBackCache cache = new WriteBackCache(config(), t, t.mem, new CacheStats("lost"))) {
            cache.write(0, 0, 8192, tagged(1, 16), false);
            cache.write(1, 1, 8192, tagged(2, 16), false);
            StorageException e = assertThrows(StorageException.class, () -> cache.synchronize(0, 0, 0));
            assertEquals(ErrorCode.WRITE_FAULT, e.code(), e.getMessage());
            awaitTrue("lost write leaves the cache", () -> cache.dirtyBytes() == 0);
            assertEquals(5, t.attempts.get(), "bounded attempts");
            assertEquals(1, t.lost().size());
            assertEquals(0, t.lost().get(0)[0]);
            assertEquals(8192, t.lost().get(0)[1]);
            assertEquals(16 * 512, t.lost().get(0)[2]);
            assertEquals(16 * 512, cache.stats().destageLostBytes());
            cache.synchronize(1, 0, 0);   // the other LUN is fine
            assertEquals(2, tagAt(t.mem.contents(1), 8192));
            cache.synchronize(0, 0, 0);   // reported once
        }
    }

    @Test
    void shouldReportALossToTheNextSynchronizeOnceEvenWithoutAWaiter() {
        FailingTarget t = new FailingTarget();
        t.mem.createLun(0, 1 << 20);
        t.failing = (l, o) -> l == 0;
        try (WriteBackCache cache = new WriteBackCache(config(), t, t.mem, new CacheStats("lost-once"))) {
            cache.write(0, 0, 0, tagged(1, 8), false);
            awaitTrue("given up", () -> cache.dirtyBytes() == 0);
            t.failing = (l, o) -> false;
            StorageException e = assertThrows(StorageException.class,
                    () -> cache.write(0, 0, 4096, tagged(2, 8), true), "the FUA write reports the earlier loss");
            assertEquals(ErrorCode.WRITE_FAULT, e.code());
            cache.synchronize(0, 0, 0);
            assertEquals(2, tagAt(t.mem.contents(0), 4096), "the FUA write itself was kept");
        }
    }

    @Test
    void shouldReportLostOnlyTheSectorsNoNewerCachedWriteHolds() {
        FailingTarget t = new FailingTarget();
        t.mem.createLun(0, 1 << 20);
        t.failing = (l, o) -> o == 0;   // only the older write, at offset 0
        try (WriteBackCache cache = new WriteBackCache(config(), t, t.mem, new CacheStats("lost-partial"))) {
            cache.pauseDestage();
            cache.write(1, 0, 0, tagged(1, 16), false);        // [0, 8K)
            cache.write(2, 0, 4096, tagged(2, 8), false);     // [4K, 8K), newer, another initiator
            cache.resumeDestage();
            awaitTrue("drained", () -> cache.dirtyBytes() == 0);
            assertEquals(1, t.lost().size());
            assertEquals(0, t.lost().get(0)[1]);
            assertEquals(4096, t.lost().get(0)[2], "the newer write still held [4K, 8K)");
            assertEquals(2, tagAt(t.mem.contents(0), 4096), "the newer write landed");
        }
    }

    @Test
    void shouldKeepRetryingWhatMayStillLandAndFailItsWaitersWithinBounds() throws Exception {
        FailingTarget t = new FailingTarget();
        t.mem.createLun(0, 1 << 20);
        t.mem.createLun(1, 1 << 20);
        t.code = ErrorCode.SPACE_ALLOCATION_FAILED;
        t.failing = (l, o) -> l == 0;
        try (WriteBackCache cache = new WriteBackCache(config(), t, t.mem, new CacheStats("retry"))) {
            cache.write(0, 0, 0, tagged(7, 8), false);
            List<CompletableFuture<Void>> syncs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                syncs.add(cache.synchronizeAsync(0, 0, 0));
            }
            for (CompletableFuture<Void> f : syncs) {
                StorageException e = failureOf(f);
                assertEquals(ErrorCode.WRITE_FAULT, e.code(), e.getMessage());
            }
            // another LUN's FUA and sync complete meanwhile
            cache.write(1, 1, 0, tagged(8, 8), true);
            cache.synchronize(1, 0, 0);
            assertEquals(8, tagAt(t.mem.contents(1), 0));
            // nothing acknowledged was dropped: still cached, readable, never reported lost
            assertTrue(cache.dirtyBytes() >= 4096);
            ByteBuffer r = ByteBuffer.allocate(4096);
            cache.read(0, 0, r);
            assertEquals(7, r.getLong(0));
            assertTrue(t.lost().isEmpty());
            int before = t.attempts.get();
            Thread.sleep(100);
            assertTrue(t.attempts.get() - before <= 10, "backoff grows: " + (t.attempts.get() - before) + " attempts in 100 ms");
            // space comes back: it lands
            t.failing = (l, o) -> false;
            cache.synchronizeAsync(0, 0, 0).get(20, TimeUnit.SECONDS);
            assertEquals(7, tagAt(t.mem.contents(0), 0));
            assertEquals(0, cache.dirtyBytes());
        }
    }

    @Test
    void shouldNotHoldTheCallerWhileALunsDestageIsStuck() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        GatedTarget gated = new GatedTarget(mem);
        try (WriteBackCache cache = new WriteBackCache(config(), gated, mem, new CacheStats("stuck"))) {
            cache.write(0, 0, 0, tagged(3, 8), false);
            CompletableFuture<Void> f = cache.synchronizeAsync(0, 0, 0);
            Thread.sleep(50);
            assertFalse(f.isDone(), "waits for the stuck destage without holding this thread");
            gated.permits.release(1);
            f.get(20, TimeUnit.SECONDS);
            assertEquals(3, tagAt(mem.contents(0), 0));
            gated.permits.release(1000);
        }
    }

    @Test
    void shouldGiveUpAtReplayOnlyWritesWhoseStoreLostTheDataAndReportThem(@TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path log = tmp.resolve("nv.log");
        CacheConfig cfg = config().nonVolatileLog(log);
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        mem.createLun(1, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("replay1"))) {
            cache.pauseDestage();
            cache.write(0, 0, 0, tagged(1, 8), false);
            cache.write(1, 1, 0, tagged(2, 8), false);
            java.nio.file.Files.copy(log, tmp.resolve("crash.log"));   // the log as a kill -9 leaves it
            cache.resumeDestage();
        }
        CacheConfig crashed = config().nonVolatileLog(tmp.resolve("crash.log"));
        // no space at replay: nothing given up, the log is kept (as for any other failure)
        FailingTarget full = new FailingTarget();
        full.mem.createLun(0, 1 << 20);
        full.mem.createLun(1, 1 << 20);
        full.code = ErrorCode.SPACE_ALLOCATION_FAILED;
        full.failing = (l, o) -> l == 0;
        StorageException e = assertThrows(StorageException.class,
                () -> new WriteBackCache(crashed, full, full.mem, new CacheStats("replay2")));
        assertEquals(ErrorCode.SPACE_ALLOCATION_FAILED, e.code());
        assertTrue(full.lost().isEmpty());
        // LUN 0's RStore lost its data: that write is given up after bounded attempts, LUN 1 is replayed, the cache opens
        FailingTarget dead = new FailingTarget();
        dead.mem.createLun(0, 1 << 20);
        dead.mem.createLun(1, 1 << 20);
        dead.code = ErrorCode.WRITE_FAULT;
        dead.failing = (l, o) -> l == 0;
        try (WriteBackCache cache = new WriteBackCache(crashed, dead, dead.mem, new CacheStats("replay3"))) {
            assertEquals(5, dead.attempts.get(), "bounded attempts");
            assertEquals(1, dead.lost().size());
            assertEquals(8 * 512, dead.lost().get(0)[2]);
            assertEquals(1, cache.recoveryFailures().size(), cache.recoveryFailures().toString());
            assertEquals(2, tagAt(dead.mem.contents(1), 0), "LUN 1 replayed");
            StorageException s = assertThrows(StorageException.class, () -> cache.synchronize(0, 0, 0));
            assertEquals(ErrorCode.WRITE_FAULT, s.code(), "the loss is reported to the next SYNCHRONIZE CACHE");
            cache.synchronize(1, 0, 0);
        }
    }

    @Test
    void shouldCompleteEverySynchronizeOnlyAfterItsWritesLandedUnderRandomFailures() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("DestageRetryTest random sync seed=" + seed);
        java.util.Random rnd = new java.util.Random(seed);
        FailingTarget t = new FailingTarget();
        int sectors = 256;
        t.mem.createLun(0, sectors * 512L);
        t.mem.createLun(1, sectors * 512L);
        t.code = ErrorCode.SPACE_ALLOCATION_FAILED;   // retried without limit: nothing may be dropped
        java.util.Random fail = new java.util.Random(seed ^ 0x5DEECE66DL);
        t.failing = (l, o) -> {
            synchronized (fail) {
                return fail.nextInt(4) == 0;
            }
        };
        CacheConfig cfg = config().maxDestageAttempts(1_000_000).maxRetryBackoffMillis(4);
        long[][] acked = new long[2][sectors];
        List<Object[]> checks = new ArrayList<>();
        try (WriteBackCache cache = new WriteBackCache(cfg, t, t.mem, new CacheStats("random-sync"))) {
            long tag = 1;
            for (int op = 0; op < 600; op++) {
                int lun = rnd.nextInt(2);
                int first = rnd.nextInt(sectors);
                int n = 1 + rnd.nextInt(Math.min(16, sectors - first));
                if (rnd.nextInt(5) == 0) {
                    long[] want = Arrays.copyOfRange(acked[lun], first, first + n);
                    checks.add(new Object[] {cache.synchronizeAsync(lun, first * 512L, n * 512L), lun, first, want});
                } else {
                    ByteBuffer b = ByteBuffer.allocate(n * 512);
                    for (int k = 0; k < n; k++) {
                        b.putLong(k * 512, tag);
                        acked[lun][first + k] = tag;
                    }
                    cache.write(rnd.nextInt(4), lun, first * 512L, b, false);
                    tag++;
                }
            }
            for (Object[] c : checks) {
                @SuppressWarnings("unchecked")
                CompletableFuture<Void> f = (CompletableFuture<Void>) c[0];
                int lun = (int) c[1];
                int first = (int) c[2];
                long[] want = (long[]) c[3];
                // completion implies every write acknowledged before the call in its range had landed
                f.get(30, TimeUnit.SECONDS);
                byte[] now = t.mem.contents(lun);
                for (int k = 0; k < want.length; k++) {
                    long got = tagAt(now, (first + k) * 512L);
                    assertTrue(got >= want[k], "seed " + seed + ": LUN " + lun + " sector " + (first + k) + " holds tag "
                            + got + " older than " + want[k] + " acknowledged before the sync");
                }
            }
            t.failing = (l, o) -> false;
            cache.synchronizeAll();
            for (int lun = 0; lun < 2; lun++) {
                byte[] now = t.mem.contents(lun);
                for (int k = 0; k < sectors; k++) {
                    assertEquals(acked[lun][k], tagAt(now, k * 512L), "seed " + seed + ": nothing acknowledged was dropped");
                }
            }
            assertTrue(t.lost().isEmpty());
        }
    }
}
