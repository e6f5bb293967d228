package io.evasan.nsc;

import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.vendor.SnapshotMarkerCdbDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 000 marker end to end: writer threads stream numbered SCSI WRITEs through the DiskTarget
 * while a host sends the vendor snapshot command (C0h); the sharing-tree snapshot holds every
 * write acknowledged before the command and none begun after it completed.
 */
class MarkerEndToEndTest {
    static final int THREADS = 4;
    static final int WRITES = 300;
    static final int BLOCKS_PER_WRITE = 8;

    static byte[] stamp(int t, int k) {
        byte[] b = new byte[BLOCKS_PER_WRITE * 512];
        ByteBuffer bb = ByteBuffer.wrap(b);
        for (int i = 0; i + 16 <= b.length; i += 16) {
            bb.putInt(i, 0x5EED0000 | t).putInt(i + 4, k).putLong(i + 8, ((long) t << 32) ^ k ^ i);
        }
        return b;
    }

    @Test
    void shouldHoldExactlyTheWritesAcknowledgedBeforeTheHostSnapshotCommand() throws Exception {
        try (Nsc n = new Nsc("marker-e2e", c -> c.cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(64)
                .destageBytesPerSecond(4L << 20)))) {
            long lunBytes = (long) THREADS * WRITES * BLOCKS_PER_WRITE * 512;
            n.ctl.createLun("m", lunBytes);
            n.ctl.presentLun("*", 0, "m");
            AtomicLongArray started = new AtomicLongArray(THREADS);
            AtomicLongArray acked = new AtomicLongArray(THREADS);
            AtomicLong windowStart = new AtomicLong(Long.MAX_VALUE);
            AtomicLong windowEnd = new AtomicLong(Long.MAX_VALUE);
            AtomicLong maxLatencyInWindow = new AtomicLong();
            Thread[] writers = new Thread[THREADS];
            Throwable[] failure = new Throwable[1];
            for (int t = 0; t < THREADS; t++) {
                final int tt = t;
                ItNexus x = n.nexus("iqn.2026-01.test:w" + t);
                writers[t] = new Thread(() -> {
                    try {
                        for (int k = 0; k < WRITES; k++) {
                            byte[] d = stamp(tt, k);
                            long lba = ((long) tt * WRITES + k) * BLOCKS_PER_WRITE;
                            started.incrementAndGet(tt);
                            long t0 = System.nanoTime();
                            Nsc.Result r = n.runNoUa(x, 0, Nsc.write10(lba, BLOCKS_PER_WRITE, false), d, d.length);
                            long t1 = System.nanoTime();
                            if (r.status != ScsiStatus.GOOD) {
                                throw new AssertionError("write " + tt + "/" + k + ": " + r);
                            }
                            acked.incrementAndGet(tt);
                            if (t1 >= windowStart.get() && t0 <= windowEnd.get()) {
                                maxLatencyInWindow.accumulateAndGet(t1 - t0, Math::max);
                            }
                        }
                    } catch (Throwable e) {
                        failure[0] = e;
                    }
                }, "writer-" + t);
                writers[t].start();
            }
            while (sum(acked) < THREADS * WRITES / 3) {
                Thread.sleep(1);
            }
            long[] ackedBefore = new long[THREADS];
            for (int t = 0; t < THREADS; t++) {
                ackedBefore[t] = acked.get(t);
            }
            ItNexus host = n.nexus(Nsc.HOST);
            byte[] cdb = new byte[16];
            SnapshotMarkerCdbDescriptor.encode(cdb, SnapshotMarkerCdbDescriptor.SA_SNAPSHOT, 77, 16);
            windowStart.set(System.nanoTime());
            Nsc.Result m = n.runNoUa(host, 0, cdb, null, 16);
            long[] startedAfter = new long[THREADS];
            for (int t = 0; t < THREADS; t++) {
                startedAfter[t] = started.get(t);
            }
            assertEquals(ScsiStatus.GOOD, m.status, m.toString());
            long markerSeq = ByteBuffer.wrap(m.data).getLong(0);
            SnapshotRecord snap = null;
            long deadline = System.currentTimeMillis() + 60_000;
            while (snap == null && System.currentTimeMillis() < deadline) {
                for (SnapshotRecord s : n.ctl.listSnapshots()) {
                    if (s.name().equals("host-77")) {
                        snap = s;
                    }
                }
                Thread.sleep(2);
            }
            windowEnd.set(System.nanoTime());
            assertNotNull(snap, "snapshot taken when the marker left the cache");
            for (Thread w : writers) {
                w.join();
            }
            if (failure[0] != null) {
                throw new AssertionError(failure[0]);
            }
            long inSnapshot = 0;
            for (int t = 0; t < THREADS; t++) {
                int prefix = -1;
                for (int k = 0; k < WRITES; k++) {
                    long off = ((long) t * WRITES + k) * BLOCKS_PER_WRITE * 512;
                    byte[] got = n.readDisk(snap.disk(), off, BLOCKS_PER_WRITE * 512);
                    boolean present = java.util.Arrays.equals(got, stamp(t, k));
                    boolean zero = java.util.Arrays.equals(got, new byte[got.length]);
                    assertTrue(present || zero, "write " + t + "/" + k + " torn in the snapshot");
                    if (prefix < 0 && zero) {
                        prefix = k;
                    }
                    if (prefix >= 0) {
                        assertTrue(zero, "thread " + t + ": write " + k + " in the snapshot after missing write " + prefix);
                    }
                }
                if (prefix < 0) {
                    prefix = WRITES;
                }
                inSnapshot += prefix;
                assertTrue(prefix >= ackedBefore[t], "thread " + t + ": " + ackedBefore[t]
                        + " writes acknowledged before the command, only " + prefix + " in the snapshot");
                assertTrue(prefix <= startedAfter[t], "thread " + t + ": " + prefix + " writes in the snapshot, but only "
                        + startedAfter[t] + " begun before the command completed");
            }
            n.ctl.cache().synchronizeAll();
            for (int t = 0; t < THREADS; t++) {
                for (int k = 0; k < WRITES; k += 37) {
                    long off = ((long) t * WRITES + k) * BLOCKS_PER_WRITE * 512;
                    assertArrayEquals(stamp(t, k), n.readDisk(n.ctl.lun("m").disk(), off, BLOCKS_PER_WRITE * 512));
                }
            }
            System.out.printf("marker seq=%d: %d writes in the snapshot (acknowledged before the command: %d,"
                            + " begun before it completed: %d); longest write latency while the marker was pending = %.3f ms;"
                            + " marker pending %.1f ms%n", markerSeq, inSnapshot, sumArr(ackedBefore), sumArr(startedAfter),
                    maxLatencyInWindow.get() / 1e6, (windowEnd.get() - windowStart.get()) / 1e6);
        }
    }

    private static long sum(AtomicLongArray a) {
        long s = 0;
        for (int i = 0; i < a.length(); i++) {
            s += a.get(i);
        }
        return s;
    }

    private static long sumArr(long[] a) {
        long s = 0;
        for (long v : a) {
            s += v;
        }
        return s;
    }
}
