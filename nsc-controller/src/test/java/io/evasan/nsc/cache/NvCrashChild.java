package io.evasan.nsc.cache;

import io.evasan.nsc.cache.impl.FileDestageTarget;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.file.Path;

/**
 * Child JVM of {@link NvCacheCrashTest}: writes numbered 4 KiB blocks through a non-volatile cache
 * whose destager is slow, prints "ACK k seq" after each acknowledgement and "MARKER seq" after the
 * marker, then idles until killed with kill -9.
 * Args: logFile dataDir writes markerAfter.
 */
public final class NvCrashChild {
    public static void main(String[] args) throws Exception {
        Path log = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        int writes = Integer.parseInt(args[2]);
        int markerAfter = Integer.parseInt(args[3]);
        FileDestageTarget target = new FileDestageTarget(dir);
        target.openLun(0, NvCacheCrashTest.LUN_BYTES);
        CacheConfig cfg = NvCacheCrashTest.config(log).destageBytesPerSecond(128 << 10);
        WriteBackCache cache = new WriteBackCache(cfg, target, req -> NvCacheCrashTest.copySnapshot(dir, req),
                new CacheStats("child"));
        StringBuilder sb = new StringBuilder();
        for (int k = 1; k <= writes; k++) {
            long seq = cache.write(k % 3, 0, NvCacheCrashTest.offsetOf(k), TestUtil.tagged(k, 8), false);
            sb.setLength(0);
            System.out.println(sb.append("ACK ").append(k).append(' ').append(seq));
            if (k == markerAfter) {
                SnapshotMarker m = cache.insertMarker(new SnapshotRequest(77, "before-crash",
                        SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.API, 0));
                System.out.println("MARKER " + m.seq());
            }
        }
        System.out.println("DONE");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
