package io.evasan.nsc.cell.pair;

import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.NscState;
import io.evasan.nsc.api.NscView;
import io.evasan.nsc.lun.LunRecord;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The controller pair over a real pool: host writes from several threads to units owned by A and by B while one
 * controller is killed (or hung) at a seeded random moment; the heartbeat detects it, the survivor takes over,
 * and every acknowledged write reads back, before and after the controller returns (failback), and after a crash
 * of the whole appliance (both logs replayed, each for the units it owns only).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ControllerPairTest {
    private static final int LUNS = 4;
    private static final long LUN_BYTES = 8L << 20;
    private static final int BLOCK = 4096;
    private static final int BLOCKS_PER_THREAD = 64;

    @TempDir
    Path dir;
    private Vertx vertx;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** What each writer last had acknowledged per block of its own range (the oracle), and what it had in flight. */
    private static final class Writer implements Runnable {
        final int lun;
        final int unit;
        final long base;
        final int initiator;
        final Random rnd;
        final PairedStack s;
        final byte[][] acked = new byte[BLOCKS_PER_THREAD][];
        /** A block whose last write did not return: it holds either its acked or its in-flight bytes. */
        final byte[][] inFlight = new byte[BLOCKS_PER_THREAD][];
        final AtomicBoolean stop;
        final AtomicLong ackedCount = new AtomicLong();
        volatile Throwable failure;

        Writer(PairedStack s, int lun, int unit, int initiator, long base, long seed, AtomicBoolean stop) {
            this.s = s;
            this.lun = lun;
            this.unit = unit;
            this.initiator = initiator;
            this.base = base;
            this.rnd = new Random(seed);
            this.stop = stop;
        }

        @Override
        public void run() {
            try {
                while (!stop.get()) {
                    int b = rnd.nextInt(BLOCKS_PER_THREAD);
                    byte[] data = new byte[BLOCK];
                    rnd.nextBytes(data);
                    inFlight[b] = data;
                    s.ctl.writeCache().write(initiator, unit, base + (long) b * BLOCK, ByteBuffer.wrap(data), false);
                    acked[b] = data;
                    inFlight[b] = null;
                    ackedCount.incrementAndGet();
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        void verify(PairedStack st, String when) {
            for (int b = 0; b < BLOCKS_PER_THREAD; b++) {
                byte[] got = new byte[BLOCK];
                st.ctl.writeCache().read(unit, base + (long) b * BLOCK, ByteBuffer.wrap(got));
                byte[] want = acked[b] == null ? new byte[BLOCK] : acked[b];
                if (inFlight[b] != null && Arrays.equals(got, inFlight[b])) {
                    continue;
                }
                assertArrayEquals(want, got, when + ": LUN " + lun + " (unit " + unit + ") block " + (base / BLOCK + b)
                        + " of initiator " + initiator);
            }
        }
    }

    /** One block of {@code b} bytes. */
    private static byte[] filled(int b) {
        byte[] x = new byte[BLOCK];
        Arrays.fill(x, (byte) b);
        return x;
    }

    private List<Writer> writers(PairedStack s, List<LunRecord> luns, long seed, AtomicBoolean stop) {
        List<Writer> ws = new ArrayList<>();
        int init = 1;
        for (LunRecord r : luns) {
            for (int t = 0; t < 2; t++) {
                ws.add(new Writer(s, luns.indexOf(r), r.id(), init, (long) t * BLOCKS_PER_THREAD * BLOCK,
                        seed * 31 + init, stop));
                init++;
            }
        }
        return ws;
    }

    private static List<LunRecord> createLuns(PairedStack s) {
        List<LunRecord> out = new ArrayList<>();
        for (int i = 0; i < LUNS; i++) {
            LunRecord r = s.ctl.createLun("lun" + i, LUN_BYTES);
            // even LUNs prefer A, odd B, with failback
            s.pair.setPreference(r.id(), i % 2 == 0 ? NscId.A : NscId.B, FailoverMode.FAILOVER_FAILBACK);
            out.add(r);
        }
        return out;
    }

    private void drill(String kind) throws Exception {
        drill(kind, NscId.B, false);
    }

    /**
     * {@code kind} on {@code victim} under load (a partition ignores it); with {@code lease}, the quorum lease
     * decides: A holds it from the start, a standby takes over only after claiming it, and the holder wins a
     * partition.
     */
    private void drill(String kind, NscId victim, boolean lease) throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("ControllerPairTest." + kind + " seed=" + seed + " (rerun with -Devasan.seed=" + seed + ")");
        Random rnd = new Random(seed);
        List<Writer> ws;
        List<LunRecord> luns;
        try (PairedStack s = new PairedStack(dir, vertx, 100, 2000, lease)) {
            if (lease) {
                assertEquals("holds generation 1", s.pair.leaseState(NscId.A), "A claims the blank lease at start");
                assertTrue(s.pair.leaseState(NscId.B).startsWith("standby"), s.pair.leaseState(NscId.B));
            }
            luns = createLuns(s);
            for (LunRecord r : luns) {
                assertEquals(r.id() % 2 == luns.get(0).id() % 2 ? NscId.A : NscId.B, s.pair.ownership(r.id()).owner());
            }
            AtomicBoolean stop = new AtomicBoolean();
            ws = writers(s, luns, seed, stop);
            List<Thread> threads = new ArrayList<>();
            for (Writer w : ws) {
                Thread t = new Thread(w, "writer-" + w.initiator);
                t.start();
                threads.add(t);
            }
            Thread.sleep(50 + rnd.nextInt(300));   // the seeded random moment of the fault
            long before = ws.stream().mapToLong(w -> w.ackedCount.get()).sum();
            DrillReport r = kind.equals("kill") ? s.pair.kill(victim)
                    : kind.equals("hang") ? s.pair.hang(victim) : s.pair.partition();
            NscId lost = r.target();   // B, or for a partition whichever lost the race
            NscId kept = lost.partner();
            System.out.println("drill: " + r + " (" + before + " writes acknowledged before the fault)");
            assertTrue(r.takeoverMillis() >= 0, "taken over: " + r);
            if (lease) {
                checkLease(s, kind, lost, kept);
            }
            assertEquals(LUNS / 2, r.unitsMoved(), r.toString());
            Thread.sleep(200);   // writes continue on A alone, unmirrored
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            for (Writer w : ws) {
                if (w.failure != null) {
                    throw new AssertionError("writer " + w.initiator + " failed", w.failure);
                }
            }
            NscView b = s.pair.nscs().get(lost.ordinal());
            assertEquals(NscState.FAILED, b.state());
            assertEquals(List.of(), b.ownedUnits());
            assertEquals(NscState.ONLINE, s.pair.state(kept), "exactly one controller survives");
            assertEquals(LUNS, s.pair.nscs().get(kept.ordinal()).ownedUnits().size(), "the survivor owns every LUN");
            assertTrue(s.pair.nscs().get(kept.ordinal()).mirrorLost() != null, "the survivor reports its cache unmirrored");
            DrillReport done = s.pair.drills().get(0);
            assertTrue(done.firstIoMillis() >= done.takeoverMillis(), "first I/O after the takeover: " + done);
            System.out.println("drill report: " + done);
            for (Writer w : ws) {
                w.verify(s, "after the " + kind + " (" + lost + " lost), read through " + kept);
            }

            // the lost controller returns: fresh mirrors both ways, its preferred LUNs fail back
            List<Integer> back = s.pair.restart(lost);
            assertEquals(LUNS / 2, back.size(), "failed back: " + back);
            for (LunRecord lr : luns) {
                LunOwnership o = s.pair.ownership(lr.id());
                assertEquals(o.preferred(), o.owner(), "after failback: " + o);
            }
            assertEquals(null, s.pair.nscs().get(0).mirrorLost(), "A mirrored again");
            assertEquals(null, s.pair.nscs().get(1).mirrorLost(), "B mirrored");
            for (Writer w : ws) {
                w.verify(s, "after " + lost + "'s return");
            }
            // more writes on both, then the whole appliance crashes with both logs full of dirty data
            stop.set(false);
            threads.clear();
            for (Writer w : ws) {
                Thread t = new Thread(w, "writer-" + w.initiator);
                t.start();
                threads.add(t);
            }
            Thread.sleep(100);
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            s.crash();
        }
        try (PairedStack s = new PairedStack(dir, vertx, 100, 2000, lease)) {
            for (Writer w : ws) {
                w.verify(s, "after the appliance crashed and reopened");
            }
        }
    }

    /** The lease after the takeover: the survivor holds it, and the lost controller may write nothing. */
    private static void checkLease(PairedStack s, String kind, NscId lost, NscId kept) {
        if (kind.equals("partition")) {
            assertEquals(NscId.B, lost, "the lease holder (A) wins a partition");
        }
        io.evasan.mld.lease.DiskLease gone = s.pair.lease(lost);
        io.evasan.mld.lease.DiskLease won = s.pair.lease(kept);
        assertTrue(won.mayWrite(), kept + " holds the lease after the " + kind + ": " + won);
        assertFalse(gone.mayWrite(), lost + " may not write after the " + kind + ": " + gone);
        if (lost == NscId.A) {
            // the holder was lost: the standby claimed the next generation, and the old holder is fenced from its own
            assertEquals(2, won.heldGeneration(), kind + ": B claimed generation 2");
            if (kind.equals("hang")) {   // the zombie resumes: its first renewal finds itself fenced
                assertFalse(gone.renew(), "a resumed hung holder renews nothing");
                assertEquals(1, gone.fencedGeneration(), "fenced from generation 1");
                assertFalse(gone.mayWrite());
            }
        } else {
            assertEquals(1, won.heldGeneration(), "the holder kept its generation: " + won);
        }
        assertEquals("holds generation " + won.heldGeneration(), s.pair.leaseState(kept));
    }

    @Test
    void shouldLetTheStandbyTakeOverOnlyWithTheLeaseWhenTheLeaseHolderIsKilled() throws Exception {
        drill("kill", NscId.A, true);
    }

    @Test
    void shouldFenceAHungLeaseHolderSoThatItWritesNothingWhenItResumes() throws Exception {
        drill("hang", NscId.A, true);
    }

    @Test
    void shouldLetTheLeaseHolderWinWhenTheBusBetweenThemIsCut() throws Exception {
        drill("partition", null, true);
    }

    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheStandbyIsKilledWithTheLease() throws Exception {
        drill("kill", NscId.B, true);
    }

    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheOwnerIsKilledUnderLoad() throws Exception {
        drill("kill");
    }

    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheOwnerHangs() throws Exception {
        drill("hang");
    }

    @Test
    void shouldLetExactlyOneControllerWriteWhenTheBusBetweenThemIsCut() throws Exception {
        drill("partition");
    }

    @Test
    void shouldTakeASnapshotRequestedBeforeTheOwnerDiedWithExactlyTheWritesAcknowledgedBeforeItsRequest() throws Exception {
        try (PairedStack s = new PairedStack(dir, vertx)) {
            LunRecord r = s.ctl.createLun("lun0", LUN_BYTES);
            s.pair.setPreference(r.id(), NscId.B, FailoverMode.FAILOVER_FAILBACK);
            snapshotBetweenWritesThenKillB(s, r.id());
            s.ctl.writeCache().resumeDestage();
            assertTrue(s.ctl.listSnapshots().stream().anyMatch(x -> x.name().equals("s1")),
                    "the survivor took the snapshot its replica's marker asked for");
            assertSnapshotBetweenWrites(s);
        }
    }

    /**
     * A cell that crashed leaves its mirror endpoints on the bus (nothing closed them); the cell reopened on the same
     * bus must not mirror into them. When the reopened pair's links had the crashed one's addresses, the bus handed
     * every other frame to the stale endpoint, which acknowledged it: the marker (or a write) was acknowledged but
     * missing from the live replica, and the survivor's replay neither took the snapshot nor answered its requester.
     */
    @Test
    void shouldTakeASnapshotRequestedBeforeTheOwnerDiedInACellReopenedOnTheBusOfOneThatCrashed() throws Exception {
        try (PairedStack s = new PairedStack(dir, vertx)) {
            LunRecord r = s.ctl.createLun("lun0", LUN_BYTES);
            s.pair.setPreference(r.id(), NscId.B, FailoverMode.FAILOVER_FAILBACK);
            s.ctl.writeCache().write(1, r.id(), 0, ByteBuffer.wrap(filled(1)), false);
            s.crash();
        }
        try (PairedStack s = new PairedStack(dir, vertx)) {
            io.evasan.nsc.marker.SnapshotMarker m = snapshotBetweenWritesThenKillB(s, s.ctl.lun("lun0").id());
            assertTrue(m.taken().isDone(), "the takeover's replay answered the requester");
            assertEquals("s1", m.taken().join().name(), "and took the snapshot");
            s.ctl.writeCache().resumeDestage();
            assertSnapshotBetweenWrites(s);
        }
    }

    /**
     * With destage paused, B (the owner of {@code unit}, "lun0") gets a write of 7s, snapshot "s1" and a write of 9s;
     * then B is killed and taken over. Returns the snapshot's marker.
     */
    private static io.evasan.nsc.marker.SnapshotMarker snapshotBetweenWritesThenKillB(PairedStack s, int unit) {
        s.ctl.writeCache().pauseDestage();   // the write, the marker and the later write stay in B's cache
        s.ctl.writeCache().write(1, unit, 0, ByteBuffer.wrap(filled(7)), false);
        io.evasan.nsc.marker.SnapshotMarker m = s.ctl.snapshot("lun0", "s1", false);
        s.ctl.writeCache().write(1, unit, 0, ByteBuffer.wrap(filled(9)), false);
        assertTrue(s.ctl.listSnapshots().stream().noneMatch(x -> x.name().equals("s1")), "not taken yet");
        DrillReport d = s.pair.kill(NscId.B);
        assertTrue(d.takeoverMillis() >= 0, d.toString());
        return m;
    }

    /** After {@link #snapshotBetweenWritesThenKillB}: "s1" holds the first write, "lun0" the second. */
    private static void assertSnapshotBetweenWrites(PairedStack s) {
        byte[] got = new byte[BLOCK];
        s.ctl.readSnapshot("s1", 0, got);
        assertArrayEquals(filled(7), got, "the snapshot holds exactly the writes acknowledged before its request");
        s.ctl.read("lun0", 0, got);
        assertArrayEquals(filled(9), got, "the LUN holds the write acknowledged after the request");
    }

    /**
     * A marker its owner acknowledged without its replica holding it (a mirror link that broke first) cannot be
     * replayed when the owner dies: its requester learns that it failed (BUSY, naming the snapshot and the
     * controller) at the takeover instead of waiting forever, and may request the same name again.
     */
    @Test
    void shouldFailASnapshotRequestTheReplicaNeverHeldWhenItsOwnerDiesAndLetItBeRequestedAgain() throws Exception {
        byte[] before = filled(7);
        try (PairedStack s = new PairedStack(dir, null)) {
            LunRecord r = s.ctl.createLun("lun0", LUN_BYTES);
            s.pair.setPreference(r.id(), NscId.B, FailoverMode.FAILOVER_FAILBACK);
            s.ctl.writeCache().pauseDestage();
            s.ctl.writeCache().write(1, r.id(), 0, ByteBuffer.wrap(before), false);
            s.pair.cutMirror(NscId.B, "test: the link broke");
            io.evasan.nsc.marker.SnapshotMarker m = s.ctl.snapshot("lun0", "s1", false);
            DrillReport d = s.pair.kill(NscId.B);
            assertTrue(d.takeoverMillis() >= 0, d.toString());
            assertTrue(m.taken().isCompletedExceptionally(), "answered at the takeover");
            Throwable e = assertThrows(java.util.concurrent.CompletionException.class, () -> m.taken().join())
                    .getCause();
            io.evasan.error.StorageException se = assertInstanceOf(io.evasan.error.StorageException.class, e);
            assertEquals(io.evasan.error.ErrorCode.BUSY, se.code());
            assertTrue(se.getMessage().contains("snapshot s1") && se.getMessage().contains("nsc-b"), se.getMessage());
            assertTrue(s.ctl.listSnapshots().stream().noneMatch(x -> x.name().equals("s1")), "not taken");

            s.ctl.writeCache().resumeDestage();
            io.evasan.nsc.marker.SnapshotMarker again = s.ctl.snapshot("lun0", "s1", false);
            assertEquals("s1", again.taken().join().name(), "the name was released: requested again and taken");
            byte[] got = new byte[BLOCK];
            s.ctl.readSnapshot("s1", 0, got);
            assertArrayEquals(before, got);
        }
    }

    /** Seed 003 in a duplex cell: an active snapshot backup and a LOP copy survive the failover of the primary's owner. */
    @Test
    void shouldKeepAnActiveSnapshotBackupAndItsCopyAcrossTheFailoverOfThePrimarysOwner() throws Exception {
        byte[] before = filled(3);
        byte[] after = filled(4);
        try (PairedStack s = new PairedStack(dir, vertx)) {
            s.ctl.defineLogLun("log", 64L << 20);
            LunRecord prim = s.ctl.createLun("prim", LUN_BYTES);
            LunRecord dst = s.ctl.createLun("dst", LUN_BYTES);
            s.pair.setPreference(prim.id(), NscId.B, FailoverMode.FAILOVER_FAILBACK);
            s.pair.setPreference(dst.id(), NscId.A, FailoverMode.FAILOVER_FAILBACK);
            s.ctl.writeCache().write(1, prim.id(), 0, ByteBuffer.wrap(before), false);
            s.ctl.initiateBackup("prim");
            s.ctl.writeCache().write(1, prim.id(), 0, ByteBuffer.wrap(after), false);
            s.ctl.startBackupCopy("dst", false, true);
            s.ctl.backupEngine().pauseCopy();
            DrillReport d = s.pair.kill(NscId.B);
            assertTrue(d.takeoverMillis() >= 0, d.toString());
            assertEquals(io.evasan.nsc.backup.BackupState.ACTIVE, s.ctl.backupEngine().state(), "the backup stays active");
            assertEquals(prim.id(), s.ctl.backupEngine().activePrimary());
            s.ctl.writeCache().synchronize(prim.id(), 0, BLOCK);   // the write after initiation, destaged by B or replayed
            io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl e = s.ctl.backupEngine();
            assertEquals(BLOCK / 512, e.logUsedSectors(), "the log kept the old data of the block's sectors");
            byte[] logged = new byte[BLOCK];
            s.trees.read(e.activeLogDisk(), e.logSlotOf(0) * 512, logged, 0, BLOCK);
            assertArrayEquals(before, logged, "in the log's own space");
            ByteBuffer backupLun = ByteBuffer.allocate(BLOCK);
            e.logUnit().read(0, BLOCK / 512, backupLun);
            assertArrayEquals(before, backupLun.array(), "the backup LUN reads the old data after the failover");
            s.ctl.backupEngine().resumeCopy();
            s.ctl.backupEngine().awaitCopy(30_000);
            byte[] got = new byte[BLOCK];
            s.ctl.read("dst", 0, got);
            assertArrayEquals(before, got, "the copy holds the backup's point in time, taken before the failover");
            s.ctl.read("prim", 0, got);
            assertArrayEquals(after, got, "the primary keeps the write acknowledged after the initiation");
        }
    }

    @Test
    void shouldSendAFailedBackUnitsWritesToTheRestartedControllersCache() throws Exception {
        try (PairedStack s = new PairedStack(dir, vertx)) {
            LunRecord r = s.ctl.createLun("lun0", LUN_BYTES);
            s.pair.setPreference(r.id(), NscId.B, FailoverMode.FAILOVER_FAILBACK);
            s.pair.kill(NscId.B);
            assertEquals(List.of(r.id()), s.pair.restart(NscId.B));
            s.ctl.writeCache().pauseDestage();
            s.ctl.writeCache().write(1, r.id(), 0, ByteBuffer.wrap(filled(5)), false);
            assertEquals(BLOCK, s.pair.caches().cache(NscId.B).dirtyBytes(), "the write is in B's new cache");
            assertEquals(0, s.pair.caches().cache(NscId.A).dirtyBytes(), "and not in A's");
            s.ctl.writeCache().resumeDestage();
        }
    }

    @Test
    void shouldNotReplayUnitsTheSurvivorTookOverWhenTheApplianceCrashesBeforeTheDeadControllerReturns() throws Exception {
        byte[] old = filled(1);
        byte[] newer = filled(2);
        int unit;
        try (PairedStack s = new PairedStack(dir, vertx)) {
            LunRecord r = s.ctl.createLun("lun0", LUN_BYTES);
            unit = r.id();
            s.pair.setPreference(unit, NscId.B, FailoverMode.FAILOVER_ONLY);
            s.ctl.writeCache().pauseDestage();   // B's log keeps the old bytes
            s.ctl.writeCache().write(1, unit, 0, ByteBuffer.wrap(old), false);
            s.pair.kill(NscId.B);
            assertEquals(NscId.A, s.pair.ownership(unit).owner());
            s.ctl.writeCache().pauseDestage();
            s.ctl.writeCache().write(1, unit, 0, ByteBuffer.wrap(newer), false);
            s.ctl.writeCache().resumeDestage();
            s.ctl.writeCache().synchronize(unit, 0, 0);
            s.crash();
        }
        try (PairedStack s = new PairedStack(dir, vertx)) {
            byte[] got = new byte[BLOCK];
            s.ctl.writeCache().read(unit, 0, ByteBuffer.wrap(got));
            assertArrayEquals(newer, got, "B's stale log entry must not be replayed over A's newer write");
            assertEquals(NscId.B, s.pair.ownership(unit).owner(), "at start a unit goes to its preferred controller");
            s.ctl.writeCache().read(unit, 0, ByteBuffer.wrap(got));
            assertArrayEquals(newer, got, "and reads the same there");
        }
    }
}
