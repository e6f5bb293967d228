package io.evasan.deploy;

import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.raid.rstore.RaidLevel;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The clustered cell's takeover in one JVM, two {@link ClusterNode}s on two clustered Vert.x instances over one data
 * directory: the leader's destage is stalled (its lease lapses) while host writes keep being acknowledged, then the
 * leader dies undrained. Every acknowledged byte must read back through the follower that took over: from the mirror
 * it held when the leader ran mirrored, from the dead leader's own logs when it had recorded that it ran unmirrored
 * (the mirror it held then is stale).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterNodeTakeoverTest {
    private static final int WRITES = 64;
    /** The part of the first LUN written and read back whole (the oracle). */
    private static final int REGION = 8 << 20;
    private static final long WAIT_MS = 120_000;

    @TempDir
    Path dir;

    /** Both processes and their buses, closed in reverse order. */
    private static final class Cell implements AutoCloseable {
        Vertx busA;
        Vertx busB;
        ClusterNode a;
        ClusterNode b;

        @Override
        public void close() {
            if (b != null) {
                b.close();
            }
            if (a != null) {
                a.crashForTest();   // its lease may have lapsed: a drain would wait for it forever
            }
            for (Vertx v : new Vertx[] {busB, busA}) {
                if (v != null) {
                    try {
                        v.close().await(30, TimeUnit.SECONDS);
                    } catch (Exception ignored) {
                        // closed already (the crashed leader's)
                    }
                }
            }
        }
    }

    @Test
    void shouldReplayAcknowledgedButNotDestagedWritesFromTheMirrorAtTakeover() throws Exception {
        long seed = seed("mirror");
        Random rnd = new Random(seed);
        byte[] oracle = new byte[REGION];
        try (Cell cell = startStalledCell()) {
            WriteCache leader = cell.a.appliance().controller().writeCache();
            int lun = lun(cell.a);
            writeRandom(leader, lun, rnd, oracle, WRITES);
            assertTrue(leader.dirtyBytes() > 0, "the leader's destage is stalled: its writes stay in its cache");

            assertTrue(cell.a.appliance().pair().mirrored(), "A still mirrors into B when it dies");
            crash(cell);
            EmbeddedAppliance taken = awaitLeader(cell.b);

            assertTrue(taken.adopted() >= WRITES, "every acknowledged write came from the mirror B held: replayed "
                    + taken.adopted() + " items, seed " + seed);
            assertReadsBack(taken, lun, oracle, seed);
            for (String nsc : new String[] {"nsc-a", "nsc-b"}) {
                assertFalse(Files.exists(dir.resolve("cell").resolve(nsc).resolve("cache.log.taken-over")),
                        "the dead leader's set-aside log of " + nsc + " is dropped once its replicas are in the pool");
            }
        }
    }

    @Test
    void shouldReplayTheDeadLeadersLogsNotTheStaleMirrorWhenItRanUnmirrored() throws Exception {
        long seed = seed("unmirrored");
        Random rnd = new Random(seed);
        byte[] oracle = new byte[REGION];
        try (Cell cell = startStalledCell()) {
            EmbeddedAppliance app = cell.a.appliance();
            WriteCache leader = app.controller().writeCache();
            int lun = lun(cell.a);
            long[] offsets = writeRandom(leader, lun, rnd, oracle, WRITES);   // mirrored into B: B's replica holds them

            // the leader saw its partner silent: it records that it runs unmirrored, then cuts its mirror links (the
            // order of ClusterNode.partnerLost); what it acknowledges next is in its own logs only
            Files.writeString(dir.resolve("cell").resolve(ClusterNode.UNMIRRORED), "proc-a runs unmirrored\n");
            app.pair().partnerProcessLost("test: proc-b taken for dead");
            for (long off : offsets) {   // every block B's stale replica holds gets newer data
                byte[] data = new byte[4096 * (1 + rnd.nextInt(16))];
                rnd.nextBytes(data);
                write(leader, lun, off, data, oracle);
            }
            writeRandom(leader, lun, rnd, oracle, WRITES);

            crash(cell);
            EmbeddedAppliance taken = awaitLeader(cell.b);

            assertEquals(0, taken.adopted(), "the stale mirror is not replayed");
            assertReadsBack(taken, lun, oracle, seed);
        }
    }

    // ------------------------------------------------------------------ steps

    private static long seed(String test) {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("ClusterNodeTakeoverTest " + test + " seed: -Devasan.seed=" + seed);
        return seed;
    }

    /**
     * A leads, B follows and holds fresh replicas of both of A's caches; then A renews its lease no more: once it
     * lapsed, nothing of A reaches the pool while its writes are still acknowledged.
     */
    private Cell startStalledCell() throws Exception {
        String name = "evasan-takeover-" + UUID.randomUUID();
        int port = FreePorts.freePortBlock(4);
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir, "127.0.0.1", port,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID5, 1L << 30, true, false, "127.0.0.1", 0)
                .withFabricPort(0).withHeartbeatTimeout(1_500);
        Cell cell = new Cell();
        try {
            cell.busA = ClusterBus.start(name, "127.0.0.1");
            cell.busB = ClusterBus.start(name, "127.0.0.1");
            cell.a = ClusterNode.start(o, NscId.A, cell.busA, System.out);
            assertEquals(ClusterNode.Role.LEADER, cell.a.role());
            cell.b = ClusterNode.start(o, NscId.B, cell.busB, System.out);
            assertEquals(ClusterNode.Role.FOLLOWER, cell.b.role());
            Path unmirrored = dir.resolve("cell").resolve(ClusterNode.UNMIRRORED);
            await("A's caches mirrored into B", () -> cell.a.appliance().pair().mirrored()
                    && !Files.exists(unmirrored));
            cell.a.stopRenewingForTest();
            await("A's lease to lapse", () -> !cell.a.mayWritePool());
            return cell;
        } catch (Exception | Error e) {
            cell.close();
            throw e;
        }
    }

    /** A dies undrained and its bus closes: B hears its heartbeat no more. */
    private static void crash(Cell cell) throws Exception {
        cell.a.crashForTest();
        cell.busA.close().await(30, TimeUnit.SECONDS);
    }

    private static EmbeddedAppliance awaitLeader(ClusterNode b) {
        await("B to take over", () -> b.role() == ClusterNode.Role.LEADER && b.appliance() != null);
        return b.appliance();
    }

    private static int lun(ClusterNode leader) {
        return leader.appliance().controller().lun(EmbeddedAppliance.FIRST_LUN).id();
    }

    /** {@code n} blocks of 4..64 KiB at random 4 KiB-aligned offsets of the region; returns their offsets. */
    private static long[] writeRandom(WriteCache cache, int lun, Random rnd, byte[] oracle, int n) {
        long[] offsets = new long[n];
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[4096 * (1 + rnd.nextInt(16))];
            rnd.nextBytes(data);
            offsets[i] = 4096L * rnd.nextInt((REGION - data.length) / 4096 + 1);
            write(cache, lun, offsets[i], data, oracle);
        }
        return offsets;
    }

    private static void write(WriteCache cache, int lun, long off, byte[] data, byte[] oracle) {
        int len = (int) Math.min(data.length, REGION - off);
        cache.write(0, lun, off, ByteBuffer.wrap(data, 0, len), false);   // returns once acknowledged
        System.arraycopy(data, 0, oracle, (int) off, len);
    }

    private static void assertReadsBack(EmbeddedAppliance app, int lun, byte[] oracle, long seed) {
        WriteCache cache = app.controller().writeCache();
        int chunk = 1 << 20;
        for (int off = 0; off < REGION; off += chunk) {
            byte[] got = new byte[chunk];
            cache.read(lun, off, ByteBuffer.wrap(got));
            byte[] want = java.util.Arrays.copyOfRange(oracle, off, off + chunk);
            assertArrayEquals(want, got, "bytes " + off + ".." + (off + chunk) + " of the first LUN, seed " + seed);
        }
    }

    private static void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("gave up waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
