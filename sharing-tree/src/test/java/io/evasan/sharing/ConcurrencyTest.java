package io.evasan.sharing;

import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host writers on the LUN and on its snapshots, each owning disjoint sector slots (so the final
 * content is known), run while BGCOPY of a snapclone runs on the background thread. Afterwards
 * every disk equals the model: the LUN and snapshots hold their writers' last data over the
 * content they had when taken, the snapclone holds the LUN's content at clone time.
 */
class ConcurrencyTest {
    private static final int SEG = 4096;
    private static final int SEGS = 64;

    @Test
    void shouldKeepEveryDiskEqualToModelWithWritersAndBgcopyConcurrent() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        Random rnd = new Random(seed);
        MemorySegmentMaps maps = new MemorySegmentMaps(SEG, 100_000);
        SharingConfig cfg = SharingConfig.defaults().withBackground(true).withQuiesceThreshold(4).withRate(256 << 10);
        try (SharingTreesImpl st = new SharingTreesImpl(maps, cfg, SharingStats.standalone())) {
            long lun = st.createLun(SEGS);
            byte[] base = new byte[SEGS * SEG];
            rnd.nextBytes(base);
            st.write(lun, 0, base, 0, base.length);
            long s0 = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            long s1 = st.snapshot(lun, AllocationPolicy.RESERVE_FULL);
            st.pauseBgcopy(st.snapclone(lun, AllocationPolicy.ON_DEMAND, SnapcloneMode.EAGER));
            long clone = -1;
            for (long id : st.chain(lun)) {
                if (st.kind(id) == DiskKind.SNAPCLONE) {
                    clone = id;
                }
            }
            long s2 = st.snapshot(lun, AllocationPolicy.ON_DEMAND);
            long[] disks = {lun, s0, s1, s2};
            byte[][] model = new byte[disks.length][];
            for (int i = 0; i < disks.length; i++) {
                model[i] = base.clone();
            }
            byte[] cloneModel = base.clone();
            int writers = 4;
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            final long cloneId = clone;
            java.util.concurrent.atomic.AtomicInteger writesWhileCopying = new java.util.concurrent.atomic.AtomicInteger();
            st.resumeBgcopy(clone);
            for (int w = 0; w < writers; w++) {
                final int me = w;
                final long wseed = rnd.nextLong();
                Thread t = new Thread(() -> {
                    Random r = new Random(wseed);
                    try {
                        for (int i = 0; i < 1500; i++) {
                            int di = r.nextInt(disks.length);
                            int seg = r.nextInt(SEGS);
                            // writer `me` owns sectors me, me+writers, ... of every segment
                            int sector = me + writers * r.nextInt(SEG / 512 / writers);
                            byte[] b = new byte[512];
                            r.nextBytes(b);
                            long off = (long) seg * SEG + sector * 512L;
                            st.write(disks[di], off, b, 0, 512);
                            synchronized (model[di]) {
                                System.arraycopy(b, 0, model[di], (int) off, 512);
                            }
                            if (st.kind(cloneId) == DiskKind.SNAPCLONE) {
                                writesWhileCopying.incrementAndGet();
                            }
                        }
                    } catch (Throwable ex) {
                        errors.add(ex);
                    }
                }, "writer-" + w);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(2));
            }
            assertTrue(errors.isEmpty(), () -> "seed " + seed + ": " + errors.peek());
            assertTrue(writesWhileCopying.get() > 100, "writes overlapped BGCOPY: " + writesWhileCopying.get());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (st.kind(clone) == DiskKind.SNAPCLONE && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(DiskKind.LUN, st.kind(clone), "seed " + seed + ": BGCOPY finished and the clone left");
            for (int i = 0; i < disks.length; i++) {
                byte[] got = new byte[SEGS * SEG];
                st.read(disks[i], 0, got, 0, got.length);
                int at = Arrays.mismatch(model[i], got);
                assertEquals(-1, at, "seed " + seed + ": disk " + disks[i] + " differs at byte " + at);
            }
            byte[] got = new byte[SEGS * SEG];
            st.read(clone, 0, got, 0, got.length);
            assertArrayEquals(cloneModel, got, "seed " + seed + ": snapclone content");
            // the clone got its data by BGCOPY steps or by copy-on-first-writes of the writers; which of the
            // two did more depends on thread timing (under load the writers may copy every segment first)
            assertTrue(st.stats().bgcopySegments.count() + st.stats().cfwCopies.count() > 0,
                    "seed " + seed + ": the clone was filled by neither BGCOPY nor copy-on-first-write");
        }
    }
}
