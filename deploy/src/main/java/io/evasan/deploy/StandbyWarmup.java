package io.evasan.deploy;

import io.evasan.nsc.Controller;
import io.evasan.raid.rstore.RaidLevel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Readies a clustered follower's JVM for a takeover: runs the leader's whole path — create a pool, then open it
 * again holding data, each time with maps, sharing trees, both controllers' caches, portals and management — on a
 * scratch cell of its own (a private temporary directory, free loopback ports), writing and reading through the
 * cache and a destage each time, then deletes the directory. A takeover then runs code that is loaded and compiled: in-process (a JVM that had led
 * before) a takeover measured a third of the time of a fresh follower process's.
 *
 * <p>Invariants: it touches nothing of the cell (its own directory, its own ports, its own event bus), so the real
 * takeover may run beside it; a failure only costs the warm-up (reported, never thrown into the follower).
 */
final class StandbyWarmup {
    private static final int BLOCK = 64 << 10;
    private static final int WRITES = 64;

    private StandbyWarmup() {
    }

    /** Runs the warm-up; returns its duration in milliseconds. */
    static long run(EmbeddedAppliance.Options cell) throws Exception {
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("evasan-warmup-");
        try {
            EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir, "127.0.0.1", 0, cell.targetIqn(),
                    RaidLevel.RAID5, 64L << 20, true, false, "127.0.0.1", 0)
                    .withHeartbeatTimeout(cell.heartbeatTimeoutMillis())
                    .withPhysicalBlockBytes(cell.physicalBlockBytes())
                    .withPerfHistoryInMemory();   // a scratch cell keeps no history files
            try (EmbeddedAppliance a = EmbeddedAppliance.start(o)) {   // created
                exercise(a.controller());
            }
            try (EmbeddedAppliance a = EmbeddedAppliance.start(o)) {   // opened with data, as a takeover opens the pool
                exercise(a.controller());
            }
        } finally {
            deleteTree(dir);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** Writes, flushes (a destage) and reads the scratch cell's first LUN through the cache. */
    private static void exercise(Controller c) {
        int lun = c.listLuns().get(0).id();
        ByteBuffer b = ByteBuffer.allocate(BLOCK);
        for (int i = 0; i < WRITES; i++) {
            b.clear();
            while (b.hasRemaining()) {
                b.put((byte) i);
            }
            b.flip();
            c.writeCache().write(0, lun, (long) i * BLOCK, b, false);
        }
        c.writeCache().synchronizeAll();
        ByteBuffer r = ByteBuffer.allocate(BLOCK);
        for (int i = 0; i < WRITES; i++) {
            r.clear();
            c.writeCache().read(lun, (long) i * BLOCK, r);
            if (r.get(0) != (byte) i) {
                throw new IllegalStateException("the warm-up read back " + r.get(0) + " at block " + i);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
