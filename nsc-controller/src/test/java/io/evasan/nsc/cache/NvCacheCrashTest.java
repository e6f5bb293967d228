package io.evasan.nsc.cache;

import io.evasan.raid.ChildJvm;

import io.evasan.nsc.cache.impl.FileDestageTarget;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.SegmentStore;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.SnapshotRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.evasan.nsc.cache.TestUtil.tagAt;
import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Non-volatile mode: acknowledged cached writes and markers survive kill -9 of the process. */
class NvCacheCrashTest {
    static final long LUN_BYTES = 4L << 20;
    static final int BLOCKS = 256;

    static CacheConfig config(Path log) {
        return new CacheConfig().nonVolatileLog(log).segmentSize(256 << 10).segmentCount(32).destageWorkers(1);
    }

    /** Block k goes to one of 256 4 KiB blocks, so later writes overwrite earlier ones. */
    static long offsetOf(int k) {
        return (long) ((k * 37) % BLOCKS) * 4096;
    }

    /** Idempotent snapshot of LUN 0's file: copied once per request id. */
    static void copySnapshot(Path dir, SnapshotRequest req) {
        Path snap = dir.resolve("snap-" + req.requestId() + ".img");
        try {
            if (!Files.exists(snap)) {
                Path tmp = dir.resolve("snap-" + req.requestId() + ".tmp");
                Files.copy(dir.resolve("lun-0.img"), tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, snap, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shouldDestageEveryAcknowledgedWriteAfterKill9(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("cache.log");
        Path dir = tmp.resolve("data");
        int markerAfter = 300;
        Map<Integer, Long> ackSeq = new HashMap<>();
        long[] markerBox = {-1};
        int[] ackBox = {0};
        int exit;
        try (ChildJvm child = ChildJvm.of(NvCrashChild.class).heap("256m")
                .args(log.toString(), dir.toString(), "100000", String.valueOf(markerAfter)).mergeStderr().start()) {
            boolean[] killed = {false};
            child.follow(line -> {
                if (line.startsWith("ACK ")) {
                    String[] f = line.split(" ");
                    ackBox[0] = Integer.parseInt(f[1]);
                    ackSeq.put(ackBox[0], Long.parseLong(f[2]));
                    if (!killed[0] && ackBox[0] >= 900) {
                        // kill -9 with a dirty cache; keep reading what the child printed before it died
                        child.kill9();
                        killed[0] = true;
                    }
                } else if (line.startsWith("MARKER ")) {
                    markerBox[0] = Long.parseLong(line.substring(7).trim());
                } else if (!line.isBlank()) {
                    System.out.println("child: " + line);
                }
            });
            exit = child.waitFor(30);
        }
        long markerSeq = markerBox[0];
        int lastAck = ackBox[0];
        System.out.println("child killed (exit " + exit + ") after " + lastAck + " acknowledged writes; marker seq "
                + markerSeq);
        assertTrue(markerSeq > 0, "marker acknowledged before the kill");

        FileDestageTarget target = new FileDestageTarget(dir);
        target.openLun(0, LUN_BYTES);
        byte[] beforeReplay = Files.readAllBytes(dir.resolve("lun-0.img"));
        long destagedBeforeKill = 0;
        for (int k = 1; k <= lastAck; k++) {
            if (tagAt(beforeReplay, offsetOf(k)) == k) {
                destagedBeforeKill++;
            }
        }
        try (WriteBackCache cache = new WriteBackCache(config(log), target, req -> copySnapshot(dir, req),
                new CacheStats("restart"))) {
            System.out.println("replayed " + cache.recoveredWrites() + " writes and " + cache.recoveredMarkers()
                    + " markers after restart; " + destagedBeforeKill + " blocks held their latest write before replay");
            assertTrue(cache.recoveredWrites() > 0, "the cache was dirty at the kill");
            assertEquals(0, cache.dirtyBytes());
        }
        byte[] fin = Files.readAllBytes(dir.resolve("lun-0.img"));
        long[] lastWriteTo = new long[BLOCKS];
        long[] lastBeforeMarker = new long[BLOCKS];
        for (int k = 1; k <= lastAck; k++) {
            int b = (int) (offsetOf(k) / 4096);
            lastWriteTo[b] = k;
            if (ackSeq.get(k) < markerSeq) {
                lastBeforeMarker[b] = k;
            }
        }
        int next = lastAck + 1; // acknowledged but perhaps not yet printed when killed
        for (int b = 0; b < BLOCKS; b++) {
            long got = tagAt(fin, b * 4096L);
            boolean inFlight = offsetOf(next) / 4096 == b && got == next;
            assertTrue(got == lastWriteTo[b] || inFlight,
                    "block " + b + ": expected acknowledged write " + lastWriteTo[b] + " found " + got);
        }
        byte[] snap = Files.readAllBytes(dir.resolve("snap-77.img"));
        for (int b = 0; b < BLOCKS; b++) {
            assertEquals(lastBeforeMarker[b], tagAt(snap, b * 4096L), "snapshot block " + b);
        }
        target.close();
    }

    @Test
    void shouldIgnoreTornAndUncommittedRecordsOnReplay(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("torn.log");
        try (SegmentStore s = SegmentStore.openLog(log, 64 << 10, 4, false)) {
            for (int k = 1; k <= 4; k++) {
                long addr = s.append(CacheLogDescriptor.TYPE_WRITE, k, 1, 0, k * 512L, 512);
                ByteBuffer seg = s.segment(CacheLogDescriptor.segmentOf(addr));
                seg.put(CacheLogDescriptor.offsetOf(addr) + CacheLogDescriptor.PAYLOAD_OFFSET, tagged(k, 1), 0, 512);
                s.commit(addr);
                if (k == 4) {
                    // torn: a byte of the last record's payload never reached the file
                    int i = CacheLogDescriptor.offsetOf(addr) + CacheLogDescriptor.PAYLOAD_OFFSET + 100;
                    seg.put(i, (byte) (seg.get(i) ^ 0x5a));
                }
            }
            // an append that never committed (killed mid-copy): state stays WRITING
            long addr = s.append(CacheLogDescriptor.TYPE_WRITE, 5, 1, 0, 5 * 512L, 512);
            assertEquals(0, CacheLogDescriptor.state(s.segment(0), CacheLogDescriptor.offsetOf(addr)));
            List<SegmentStore.Recovered> live = s.scanLive();
            assertEquals(3, live.size(), "records 1-3 whole, 4 torn, 5 uncommitted");
        }
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(config(log).segmentSize(64 << 10).segmentCount(4), mem, mem,
                new CacheStats("torn"))) {
            assertEquals(3, cache.recoveredWrites());
        }
        byte[] b = mem.contents(0);
        for (int k = 1; k <= 5; k++) {
            assertEquals(k <= 3 ? k : 0, tagAt(b, k * 512L), "record " + k);
        }
        try (SegmentStore s = SegmentStore.openLog(log, 64 << 10, 4, false)) {
            assertTrue(s.scanLive().isEmpty(), "log trimmed after replay");
        }
    }

    @Test
    void shouldReplayInSequenceOrderAcrossReusedSegments(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("reuse.log");
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        CacheConfig cfg = new CacheConfig().nonVolatileLog(log).segmentSize(64 << 10).segmentCount(4);
        // fill and drain the log twice so segments are reused with stale records behind the new ones
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("reuse1"))) {
            for (int k = 1; k <= 200; k++) {
                cache.write(1, 0, (k % 50) * 4096L, tagged(k, 8), false);
            }
            cache.synchronizeAll();
            cache.pauseDestage();
            for (int k = 201; k <= 230; k++) {
                cache.write(k % 2, 0, (k % 7) * 4096L, tagged(k, 8), false);
            }
            cache.insertMarker(new SnapshotRequest(9, "m", SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.API, 0));
            for (int k = 231; k <= 240; k++) {
                cache.write(k % 2, 0, (k % 7) * 4096L, tagged(k, 8), false);
            }
            // simulate the crash: copy the mapped log as it is now, before close drains it
            Files.copy(log, tmp.resolve("crash.log"));
            cache.resumeDestage();
        }
        byte[] expected = mem.contents(0);
        byte[] expectedSnap = mem.snapshot(9, 0);
        MemoryDestageTarget fresh = new MemoryDestageTarget();
        fresh.createLun(0, 1 << 20);
        for (int k = 1; k <= 200; k++) {
            fresh.write(0, (k % 50) * 4096L, tagged(k, 8));
        }
        try (WriteBackCache cache = new WriteBackCache(cfg.nonVolatileLog(tmp.resolve("crash.log")), fresh, fresh,
                new CacheStats("reuse2"))) {
            // 40 writes; a write that met a segment boundary was logged as two chunk records
            assertTrue(cache.recoveredWrites() >= 40 && cache.recoveredWrites() <= 50, "" + cache.recoveredWrites());
            assertEquals(1, cache.recoveredMarkers());
        }
        assertNotNull(fresh.snapshot(9, 0));
        org.junit.jupiter.api.Assertions.assertArrayEquals(expectedSnap, fresh.snapshot(9, 0));
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, fresh.contents(0));
    }

    @Test
    void shouldKeepTheLogWhenReplayFailsAndReportFailedSnapshots(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("keep.log");
        CacheConfig cfg = new CacheConfig().nonVolatileLog(log).segmentSize(64 << 10).segmentCount(4);
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("keep1"))) {
            cache.pauseDestage();
            cache.write(1, 0, 0, tagged(1, 1), false);
            cache.insertMarker(new SnapshotRequest(4, "s", SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.API, 0));
            cache.write(1, 0, 512, tagged(2, 1), false);
            Files.copy(log, tmp.resolve("crash.log"));
            cache.resumeDestage();
        }
        Path crash = tmp.resolve("crash.log");
        MemoryDestageTarget broken = new MemoryDestageTarget(); // LUN 0 missing: every replayed write fails
        io.evasan.error.StorageException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.evasan.error.StorageException.class,
                () -> new WriteBackCache(cfg.nonVolatileLog(crash), broken, broken, new CacheStats("keep2")));
        assertEquals(io.evasan.error.ErrorCode.NOT_FOUND, e.code());
        try (SegmentStore s = SegmentStore.openLog(crash, 64 << 10, 4, false)) {
            assertEquals(3, s.scanLive().size(), "log untouched after a failed replay");
        }
        MemoryDestageTarget healthy = new MemoryDestageTarget();
        healthy.createLun(0, 1 << 20);
        try (WriteBackCache cache = new WriteBackCache(cfg.nonVolatileLog(crash), healthy, req -> {
            throw new IllegalStateException("snapshot space exhausted");
        }, new CacheStats("keep3"))) {
            assertEquals(2, cache.recoveredWrites());
            assertEquals(0, cache.recoveredMarkers());
            assertEquals(1, cache.recoveryFailures().size());
            assertTrue(cache.recoveryFailures().get(0).contains("snapshot space exhausted"));
        }
        assertEquals(2, tagAt(healthy.contents(0), 512));
    }

    @Test
    void shouldRefuseToFormatAForeignFile(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("precious.img");
        Files.writeString(f, "not a cache log");
        MemoryDestageTarget mem = new MemoryDestageTarget();
        io.evasan.error.StorageException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.evasan.error.StorageException.class,
                () -> new WriteBackCache(new CacheConfig().nonVolatileLog(f), mem, mem, new CacheStats("foreign")));
        assertEquals(io.evasan.error.ErrorCode.CORRUPT_METADATA, e.code());
        assertEquals("not a cache log", Files.readString(f));
    }

    @Test
    void shouldFlushTheBackendBeforeEachDoneMarkInPowerLossMode(@TempDir Path tmp) {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        CacheConfig cfg = new CacheConfig().nonVolatileLog(tmp.resolve("pl.log")).segmentSize(64 << 10)
                .segmentCount(4).forceOnAck(true);
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("powerloss"))) {
            long before = mem.flushes();
            for (int k = 1; k <= 10; k++) {
                cache.write(1, 0, k * 4096L, tagged(k, 8), false);
            }
            cache.synchronizeAll();
            assertTrue(mem.flushes() - before >= 10, "one backend flush per destaged record");
        }
        for (int k = 1; k <= 10; k++) {
            assertEquals(k, tagAt(mem.contents(0), k * 4096L));
        }
    }

    @Test
    void shouldRefuseALogAlreadyInUse(@TempDir Path tmp) {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        CacheConfig cfg = new CacheConfig().nonVolatileLog(tmp.resolve("busy.log")).segmentSize(64 << 10).segmentCount(4);
        try (WriteBackCache first = new WriteBackCache(cfg, mem, mem, new CacheStats("first"))) {
            first.write(1, 0, 0, tagged(1, 1), false);
            io.evasan.error.StorageException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.evasan.error.StorageException.class,
                    () -> new WriteBackCache(cfg, mem, mem, new CacheStats("second")));
            assertEquals(io.evasan.error.ErrorCode.INVALID_STATE, e.code());
        }
        assertEquals(1, tagAt(mem.contents(0), 0));
    }
}
