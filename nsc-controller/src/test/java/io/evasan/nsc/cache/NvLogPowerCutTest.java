package io.evasan.nsc.cache;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.impl.SegmentStore;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.SnapshotAction;
import io.evasan.nsc.marker.SnapshotRequest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * README "Durability", first claim, under a power cut: a write acknowledged by the write-back cache
 * in power-loss mode ({@link CacheConfig#forceOnAck}) is in the NV log ({@code cache.log}) and is
 * destaged after the restart. kill -9 keeps the page cache and proves nothing here; the test puts
 * the log behind {@link NvLogMedium} and the backend behind a simulated LUN, both of which keep
 * every unforced byte (mapped stores, unflushed backend writes) volatile. At a seeded cut point
 * (a force / flush of either, before or after it takes effect) every unforced 512-byte sector is
 * independently kept or lost (a multi-sector record torn, later sectors surviving earlier ones).
 * The restart replays the log, and may itself be cut (inside replay, the trim, the close) and
 * restarted. Checked: every acknowledged write is there; a torn record is rejected by its CRC (no
 * LIVE record in the log differs from what was written); the write in flight at the cut is there
 * in whole records or not at all (one record, or a prefix of its chunks when it crossed into a fresh
 * segment); no block holds anything but a whole block of one write.
 *
 * <p>Default mode (forceOnAck off, the appliance's setting) is not tested here: it never forces on
 * acknowledgement, so by design it survives kill -9 but not a power cut.
 *
 * <p>{@code -Devasan.powercut.iterations=N -Devasan.seed=S}; iteration i uses seed S+i. The
 * interleaving with the destage thread is not seeded, so a seed replays the workload and the cut
 * point but not necessarily the exact schedule.
 */
class NvLogPowerCutTest {
    private static final int SEG = 64 << 10;
    private static final int SEGS = 8;
    private static final int BLOCK = 512;
    private static final int BLOCKS = 512;
    private static final int LUN = 0;
    private static final Path LOG = Path.of("simulated-cache.log");

    /** The power cut, thrown out of every force / flush at and after the cut. */
    static final class Cut extends Error {
        Cut() {
            super("power cut", null, false, false);
        }
    }

    /** Something with unforced state that a cut settles (each unforced sector kept or lost). */
    interface Volatile {
        void settle(Random rnd, double keep, int[] stats);
    }

    /** One power domain: the log medium and the backend share it; a budget of cut points. */
    static final class Power {
        final Random rnd;
        long budget;
        volatile boolean dead;
        final List<Volatile> parts = new ArrayList<>();
        final int[] stats = new int[2]; // unforced sectors kept, lost
        /** Targeted scenarios: whether the cut point's own force takes effect, and the share of unforced sectors kept; null = seeded. */
        Boolean applyAtCut;
        Double keepAtCut;

        Power(Random rnd, long budget) {
            this.rnd = rnd;
            this.budget = budget;
        }

        /** One cut point: {@code durable} makes something stable; the cut may strike before or after it. */
        synchronized void point(Runnable durable) {
            if (dead) {
                throw new Cut();
            }
            if (--budget == 0) {
                if (applyAtCut != null ? applyAtCut : rnd.nextBoolean()) {
                    durable.run();
                }
                cutNow();
                throw new Cut();
            }
            durable.run();
        }

        synchronized void cutNow() {
            if (dead) {
                return;
            }
            dead = true;
            double keep = keepAtCut != null ? keepAtCut : switch (rnd.nextInt(4)) {
                case 0 -> 0.0;
                case 1 -> 1.0;
                default -> rnd.nextDouble();
            };
            for (Volatile v : parts) {
                v.settle(rnd, keep, stats);
            }
        }

        synchronized void checkAlive() {
            if (dead) {
                throw new Cut();
            }
        }
    }

    /** The durable content of the log file. */
    static final class LogDisk {
        final byte[] b = new byte[(int) CacheLogDescriptor.fileLength(SEG, SEGS)];
        long size;

        LogDisk copy() {
            LogDisk d = new LogDisk();
            System.arraycopy(b, 0, d.b, 0, b.length);
            d.size = size;
            return d;
        }
    }

    /** The NV log under simulated power: mapped stores go to {@code mem} (page cache), force copies to disk. */
    static final class SimLog implements NvLogMedium, Volatile {
        private final Power power;
        private final LogDisk disk;
        private final byte[] mem;
        private final Map<ByteBuffer, Long> regions = new IdentityHashMap<>();

        SimLog(Power power, LogDisk disk) {
            this.power = power;
            this.disk = disk;
            this.mem = disk.b.clone();
            synchronized (power) {
                power.parts.add(this);
            }
        }

        @Override public boolean tryLock() { return true; }
        @Override public long size() { return disk.size; }

        @Override
        public int read(ByteBuffer dst, long position) {
            int n = (int) Math.max(0, Math.min(dst.remaining(), disk.size - position));
            dst.put(mem, (int) position, n);
            return n;
        }

        @Override
        public int write(ByteBuffer src, long position) {
            power.checkAlive();
            int n = src.remaining();
            src.get(mem, (int) position, n);
            synchronized (power) {
                disk.size = Math.max(disk.size, position + n); // metadata: take it as journaled
            }
            return n;
        }

        @Override
        public void truncate(long size) {
            synchronized (power) {
                power.checkAlive();
                for (int i = (int) size; i < mem.length; i++) {
                    mem[i] = 0;
                    disk.b[i] = 0;
                }
                disk.size = Math.min(disk.size, size);
            }
        }

        @Override
        public synchronized ByteBuffer map(long position, int length) {
            ByteBuffer b = ByteBuffer.wrap(mem, (int) position, length).slice();
            regions.put(b, position);
            return b;
        }

        @Override
        public void force(ByteBuffer region, int index, int length) {
            long base;
            synchronized (this) {
                base = regions.get(region);
            }
            // msync writes whole pages; forcing only the covering 512-byte sectors is the harsher model
            int from = (int) ((base + index) & ~(BLOCK - 1L));
            int to = (int) ((base + index + length + BLOCK - 1) & ~(BLOCK - 1L));
            power.point(() -> System.arraycopy(mem, from, disk.b, from, to - from));
        }

        @Override public void close() { }

        @Override
        public void settle(Random rnd, double keep, int[] stats) {
            settleSectors(mem, disk.b, rnd, keep, stats);
        }
    }

    static void settleSectors(byte[] mem, byte[] durable, Random rnd, double keep, int[] stats) {
        for (int s = 0; s < durable.length; s += BLOCK) {
            if (java.util.Arrays.equals(mem, s, s + BLOCK, durable, s, s + BLOCK)) {
                continue;
            }
            if (rnd.nextDouble() < keep) {
                System.arraycopy(mem, s, durable, s, BLOCK);
                stats[0]++;
            } else {
                stats[1]++;
            }
        }
    }

    /** One LUN whose writes are volatile until flush / flushAll. */
    static final class SimBackend implements DestageTarget, SnapshotAction, Volatile {
        private final Power power;
        final byte[] durable;
        private final byte[] mem;

        SimBackend(Power power, byte[] durable) {
            this.power = power;
            this.durable = durable;
            this.mem = durable.clone();
            synchronized (power) {
                power.parts.add(this);
            }
        }

        @Override
        public long lunSizeBytes(int lunId) {
            return durable.length;
        }

        @Override
        public void write(int lunId, long byteOffset, ByteBuffer src) {
            synchronized (power) {
                power.checkAlive();
                src.get(mem, (int) byteOffset, src.remaining());
            }
        }

        @Override
        public void read(int lunId, long byteOffset, ByteBuffer dst) {
            synchronized (power) {
                dst.put(mem, (int) byteOffset, dst.remaining());
            }
        }

        @Override
        public void flush(int lunId) {
            power.point(() -> System.arraycopy(mem, 0, durable, 0, mem.length));
        }

        @Override
        public void flushAll() {
            flush(LUN);
        }

        @Override
        public void takeSnapshot(SnapshotRequest request) {
            throw new StorageException(ErrorCode.INVALID_STATE, "no markers in this test");
        }

        @Override
        public void settle(Random rnd, double keep, int[] stats) {
            settleSectors(mem, durable, rnd, keep, stats);
        }
    }

    private static CacheConfig config(Power power, LogDisk disk) {
        return new CacheConfig().nonVolatileLog(LOG).nvLogMedium(f -> new SimLog(power, disk)).forceOnAck(true)
                .segmentSize(SEG).segmentCount(SEGS).destageWorkers(1).maxEntries(256)
                .retryBackoffMillis(1).maxRetryBackoffMillis(2).maxDestageAttempts(2);
    }

    /** Block {@code blk} as written by write {@code id}: every long is (id << 32 | blk). */
    private static ByteBuffer pattern(int id, int blk, int count) {
        ByteBuffer b = ByteBuffer.allocate(count * BLOCK).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < count; k++) {
            long v = ((long) id << 32) | (blk + k);
            for (int i = 0; i < BLOCK / 8; i++) {
                b.putLong(v);
            }
        }
        return b.flip();
    }

    /** The write id a whole block holds, 0 for never written; fails on anything else (a torn or foreign block). */
    private static int idOf(byte[] a, int off, int blk, String where) {
        ByteBuffer b = ByteBuffer.wrap(a, off, BLOCK).order(ByteOrder.LITTLE_ENDIAN);
        long v = b.getLong(off);
        for (int i = 0; i < BLOCK; i += 8) {
            if (b.getLong(off + i) != v) {
                fail(where + ": block " + blk + " mixes writes (torn)");
            }
        }
        if (v == 0) {
            return 0;
        }
        if ((int) v != blk) {
            fail(where + ": block " + blk + " holds data of block " + (int) v);
        }
        return (int) (v >>> 32);
    }

    /**
     * A trim (the restart's, after the replay) cut between wiping two segment headers. The newer
     * record of a block sits in a lower-numbered segment than an older one (segments are reused in
     * free-list order), so the wipe removes the newer one first; were the trim to take effect only
     * once every header is wiped, the next restart would replay the older record alone over the
     * newer data. The trim must commit atomically (its forced file header).
     */
    @Test
    void shouldNotReplayAnOlderRecordWhenTheTrimIsCut() {
        LogDisk disk = new LogDisk();
        byte[] lun = new byte[BLOCKS * BLOCK];
        int x = 100;
        Power p = new Power(new Random(1), Long.MAX_VALUE);
        try (SegmentStore s = SegmentStore.openLog(f -> new SimLog(p, disk), LOG, SEG, SEGS, true)) {
            int big = s.maxPayloadPerSegment() / BLOCK;
            long filler = append(s, 1, 0, big);            // fills segment 0
            append(s, 2, x, 1);                              // older write of block x: segment 1
            s.done(filler);                                  // segment 0 free again, on top of the free list
            long newer = append(s, 3, x, big);               // newer write of block x: does not fit, segment 0
            assertEquals(0, CacheLogDescriptor.segmentOf(newer), "the newer record is in the lower segment");
        }
        // restart cut inside its trim: points are the backend flushAll, the file header, segment 0, segment 1
        Power q = new Power(new Random(2), 3);
        q.applyAtCut = true;
        q.keepAtCut = 0.0;
        SimBackend be = new SimBackend(q, lun);
        try {
            new WriteBackCache(config(q, disk), be, be, new CacheStats("trim-cut")).close();
            fail("the restart should have been cut");
        } catch (Cut expected) {
            // cut after segment 0's header wipe was forced
        }
        assertEquals(3, idOf(lun, x * BLOCK, x, "after the cut restart"));
        Power r = new Power(new Random(3), Long.MAX_VALUE);
        SimBackend be2 = new SimBackend(r, lun);
        try (WriteBackCache cache = new WriteBackCache(config(r, disk), be2, be2, new CacheStats("trim-cut-2"))) {
            assertEquals(3, idOf(be2.durable, x * BLOCK, x, "after the second restart ("
                    + cache.recoveredWrites() + " replayed)"), "block " + x + " went back to an older write");
        }
    }

    private static long append(SegmentStore s, int id, int blk, int count) {
        long addr = s.append(CacheLogDescriptor.TYPE_WRITE, id, 1, LUN, (long) blk * BLOCK, count * BLOCK);
        ByteBuffer seg = s.segment(CacheLogDescriptor.segmentOf(addr)).duplicate();
        seg.position(CacheLogDescriptor.offsetOf(addr) + CacheLogDescriptor.PAYLOAD_OFFSET);
        seg.put(pattern(id, blk, count));
        s.commit(addr);
        return addr;
    }

    private long seedsRun;
    private long recordsChecked;
    private long recutCount;

    @Test
    void shouldKeepEveryAcknowledgedWriteAcrossPowerCutsWithForceOnAck() throws Exception {
        int n = Integer.getInteger("evasan.powercut.iterations", 60);
        long base = Long.getLong("evasan.seed", new Random().nextLong());
        System.out.println("[powercut] NvLogPowerCutTest base seed " + base + " (replay: -Devasan.seed=" + base
                + " -Devasan.powercut.iterations=N)");
        Thread.UncaughtExceptionHandler old = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            if (!(e instanceof Cut)) {
                e.printStackTrace();
            }
        });
        try {
            run(n, base);
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(old);
        }
    }

    private void run(int n, long base) throws Exception {
        int[] stats = new int[2];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long seed = base + i;
            try {
                iteration(seed, stats);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + " (base " + base + ", iteration " + i + "): " + e.getMessage(), e);
            }
        }
        System.out.printf("[powercut] NvLogPowerCutTest: %d cuts (%d more during recovery), %d LIVE log records "
                        + "verified, unforced sectors kept %d / lost %d, %d ms%n", seedsRun, recutCount, recordsChecked,
                stats[0], stats[1], (System.nanoTime() - t0) / 1_000_000);
        assertTrue(stats[1] > 0 && stats[0] > 0, "the cuts both kept and lost unforced sectors");
    }

    private void iteration(long seed, int[] stats) throws Exception {
        Random rnd = new Random(seed);
        LogDisk disk = new LogDisk();
        byte[] lun = new byte[BLOCKS * BLOCK];
        int writes = 10 + rnd.nextInt(70);
        int[] lastAcked = new int[BLOCKS];
        int[][] issued = new int[writes + 1][];
        int inflight = 0;

        // run: acknowledged writes, destaged concurrently, until the cut
        Power p = new Power(rnd, 1 + rnd.nextInt(3 * writes + 20));
        try {
            SimBackend backend = new SimBackend(p, lun);
            // abandoned at the cut (no close: the power is gone); its daemon worker idles
            WriteBackCache cache = new WriteBackCache(config(p, disk), backend, backend, new CacheStats("nvpc"));
            for (int id = 1; id <= writes && !p.dead; id++) {
                int blk = rnd.nextInt(BLOCKS - 8);
                int cnt = 1 + rnd.nextInt(8);
                issued[id] = new int[] {blk, cnt};
                inflight = id;
                cache.write(1, LUN, (long) blk * BLOCK, pattern(id, blk, cnt), false);
                for (int k = 0; k < cnt; k++) {
                    lastAcked[blk + k] = id;
                }
                inflight = 0;
                if (rnd.nextInt(6) == 0) {
                    Thread.sleep(1); // let the destage interleave (done marks, flushes)
                }
            }
            if (!p.dead) {
                Thread.sleep(rnd.nextInt(3));
                p.cutNow();
            }
        } catch (Cut c) {
            // the cut struck inside this write (or before it)
        } catch (StorageException e) {
            if (!p.dead) {
                throw e;
            }
        }
        assertTrue(p.dead);
        stats[0] += p.stats[0];
        stats[1] += p.stats[1];
        seedsRun++;

        // what the log holds now: every LIVE record is exactly a write that was issued (torn ones rejected by crc)
        Power probe = new Power(rnd, Long.MAX_VALUE);
        LogDisk copy = disk.copy();
        try (SegmentStore s = SegmentStore.openLog(f -> new SimLog(probe, copy), LOG, SEG, SEGS, true)) {
            for (SegmentStore.Recovered r : s.scanLive()) {
                assertEquals(CacheLogDescriptor.TYPE_WRITE, r.type());
                ByteBuffer seg = s.segment(CacheLogDescriptor.segmentOf(r.address()));
                int rec = CacheLogDescriptor.offsetOf(r.address());
                int len = CacheLogDescriptor.payloadLength(seg, rec);
                long off = CacheLogDescriptor.byteOffset(seg, rec);
                byte[] payload = new byte[len];
                seg.duplicate().position(rec + CacheLogDescriptor.PAYLOAD_OFFSET).get(payload);
                int blk = (int) (off / BLOCK);
                int id = idOf(payload, 0, blk, "LIVE log record seq " + r.seq());
                assertTrue(id > 0 && id < issued.length && issued[id] != null, "LIVE record of a write never issued: " + id);
                // a write is one record, or several (chunks) where it crosses into a fresh segment
                assertTrue(blk >= issued[id][0] && len > 0 && len % BLOCK == 0
                        && blk + len / BLOCK <= issued[id][0] + issued[id][1], "record of write " + id + " at block "
                        + blk + ", " + len + " bytes, outside the write");
                for (int k = 0; k < len / BLOCK; k++) {
                    assertEquals(id, idOf(payload, k * BLOCK, blk + k, "LIVE log record seq " + r.seq()));
                }
                recordsChecked++;
            }
        }

        // restart: replay; the restart itself may be cut (replay, flush, trim, close) and restarted
        for (int attempt = 0; ; attempt++) {
            boolean cutAgain = attempt < 3 && rnd.nextBoolean();
            Power q = new Power(rnd, cutAgain ? 1 + rnd.nextInt(24) : Long.MAX_VALUE);
            SimBackend be = new SimBackend(q, lun);
            try (WriteBackCache cache = new WriteBackCache(config(q, disk), be, be, new CacheStats("nvpc-restart"))) {
                verify(be.durable, lastAcked, inflight == 0 ? null : issued[inflight], inflight,
                        "after restart " + attempt + " (" + cache.recoveredWrites() + " replayed)");
            } catch (Cut c) {
                recutCount++;
                continue;
            }
            if (!q.dead) {
                return;
            }
            recutCount++; // cut inside close (trim): restart once more
        }
    }

    private static void verify(byte[] lun, int[] lastAcked, int[] inflightRange, int inflight, String where) {
        int inflightSeen = 0;
        int inflightPrefix = -1;
        for (int b = 0; b < BLOCKS; b++) {
            int id = idOf(lun, b * BLOCK, b, where);
            boolean inInflight = inflightRange != null && b >= inflightRange[0] && b < inflightRange[0] + inflightRange[1];
            if (inInflight && id == inflight) {
                inflightSeen++;
                if (inflightPrefix == -1 || inflightPrefix == b - inflightRange[0]) {
                    inflightPrefix = b - inflightRange[0] + 1;
                }
            } else if (id != lastAcked[b]) {
                fail(where + ": block " + b + " holds write " + id + ", the last acknowledged write there is "
                        + lastAcked[b]);
            }
        }
        // the write in flight at the cut: none of it, or whole records of it, in order (a prefix of whole chunks)
        if (inflightRange != null && inflightSeen != 0 && inflightSeen != inflightPrefix) {
            fail(where + ": the write in flight at the cut (" + inflight + ") is applied out of order: " + inflightSeen
                    + " of " + inflightRange[1] + " blocks, not a prefix");
        }
    }
}
