package io.evasan.nsc.backup;

import io.evasan.nsc.Nsc;
import io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import io.evasan.sharing.DiskDescription;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 003 through the SCSI target: tables 2 and 4 (initiate / terminate, each error by its real
 * cause), the backup LUN, the bounded log and its overflow, tables 7 and 10 (LOP START / STATUS)
 * with full and incremental copies.
 *
 * <p>Layout of every case: LUN "prim" (id 0, 1 MiB = 16 segments of 64 KiB) at host LUN 0, log LUN
 * "log" (id 1, capacity 4 segments) at host LUN 1 (the backup LUN), "dst" (id 2, 1 MiB) at host LUN 2.
 */
class SnapshotBackupTest {
    static final int SEG = Nsc.SEG;
    static final int SEG_BLOCKS = SEG / 512;
    static final long PRIM_SIZE = 16L * SEG;
    static final int LOG_SEGMENTS = 4;

    /** A controller with the standard layout; flags drive the table-2 pool conditions. */
    static final class Setup implements AutoCloseable {
        final AtomicBoolean rebuild = new AtomicBoolean();
        final AtomicBoolean init = new AtomicBoolean();
        final AtomicBoolean consistency = new AtomicBoolean();
        final Nsc n;
        final FaultyTrees faulty;
        final ItNexus x;
        LunRecord prim;
        LunRecord log;
        LunRecord dst;

        Setup(String name, boolean withLog) {
            this(name, withLog, 4096);
        }

        Setup(String name, boolean withLog, long poolSegments) {
            faulty = new FaultyTrees(new SharingTreesImpl(new MemorySegmentMaps(SEG, poolSegments),
                    SharingConfig.defaults().withBackground(false), SharingStats.standalone()));
            Consumer<io.evasan.nsc.ControllerConfig> t = c -> c.rebuildInProgress(rebuild::get)
                    .initializationInProgress(init::get).consistencyCheckInProgress(consistency::get);
            n = new Nsc(name, faulty.trees, t);
            prim = n.ctl.createLun("prim", PRIM_SIZE);
            n.ctl.presentLun(Nsc.HOST, 0, "prim");
            if (withLog) {
                log = n.ctl.defineLogLun("log", (long) LOG_SEGMENTS * SEG);
                n.ctl.presentLun(Nsc.HOST, 1, "log");
            } else {
                n.ctl.createLun("plain", PRIM_SIZE);
                n.ctl.presentLun(Nsc.HOST, 1, "plain");
            }
            dst = n.ctl.createLun("dst", PRIM_SIZE);
            n.ctl.presentLun(Nsc.HOST, 2, "dst");
            x = n.nexus(Nsc.HOST);
            for (int l = 0; l < 3; l++) {
                n.runNoUa(x, l, Nsc.tur(), null, 0);   // eat unit attentions
            }
        }

        SnapshotBackupEngineImpl engine() {
            return n.ctl.backupEngine();
        }

        Nsc.Result cmd(int hostLun, byte[] cdb, byte[] out, long edtl) {
            return n.runNoUa(x, hostLun, cdb, out, edtl);
        }

        Nsc.Result initiate(int hostLun) {
            byte[] c = new byte[10];
            DcmdDescriptor.encodeSnapshot(c, true);
            return cmd(hostLun, c, null, 0);
        }

        Nsc.Result terminate(int hostLun) {
            byte[] c = new byte[10];
            DcmdDescriptor.encodeSnapshot(c, false);
            return cmd(hostLun, c, null, 0);
        }

        int lopStart(int op, int src, int dstDrive) {
            byte[] c = new byte[10];
            DcmdDescriptor.encodeLopStart(c, op, src, dstDrive, 2);
            Nsc.Result r = cmd(0, c, null, 2);
            assertEquals(ScsiStatus.GOOD, r.status, "LOP START answers GOOD with data: " + r);
            return DcmdDescriptor.decodeReturnData(r.data, 0);
        }

        int lopStatus() {
            byte[] c = new byte[10];
            DcmdDescriptor.encodeLopStatus(c, DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, 2);
            Nsc.Result r = cmd(0, c, null, 2);
            assertEquals(ScsiStatus.GOOD, r.status, "LOP STATUS answers GOOD with data: " + r);
            return DcmdDescriptor.decodeReturnData(r.data, 0);
        }

        /** Writes whole segments of the primary with FUA (destaged when it returns). */
        byte[] writeSegments(int hostLun, long seed, int... segs) {
            byte[] last = null;
            for (int s : segs) {
                last = Nsc.pattern(SEG, seed * 100 + s);
                Nsc.Result r = cmd(hostLun, write10((long) s * SEG_BLOCKS, SEG_BLOCKS, true), last, SEG);
                assertTrue(r.good(), "write segment " + s + ": " + r);
            }
            return last;
        }

        byte[] readAll(int hostLun) {
            byte[] all = new byte[(int) PRIM_SIZE];
            for (int s = 0; s < 16; s++) {
                Nsc.Result r = cmd(hostLun, read10((long) s * SEG_BLOCKS, SEG_BLOCKS), null, SEG);
                assertTrue(r.good(), "read segment " + s + " of host LUN " + hostLun + ": " + r);
                System.arraycopy(r.data, 0, all, s * SEG, SEG);
            }
            return all;
        }

        void fill(long seed) {
            writeSegments(0, seed, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        }

        int diskCount() {
            return n.trees.disks().size();
        }

        @Override
        public void close() {
            engine().resumeCopy();
            n.close();
        }
    }

    // ------------------------------------------------------------------ table 2

    static Stream<Arguments> table2() {
        return Stream.of(
                Arguments.of("good completion, snapshot ready", SenseCodes.NO_SENSE),
                Arguments.of("illegal CDB", DcmdCodes.ILLEGAL_CDB),
                Arguments.of("rebuild in progress", DcmdCodes.REBUILD_IN_PROGRESS),
                Arguments.of("initialization in progress", DcmdCodes.INITIALIZATION_IN_PROGRESS),
                Arguments.of("check consistency in progress", DcmdCodes.CHECK_CONSISTENCY_IN_PROGRESS),
                Arguments.of("snapshot backup already in progress", DcmdCodes.SNAPSHOT_ALREADY_IN_PROGRESS),
                Arguments.of("log LUN not defined", DcmdCodes.NO_LOG_LUN_DEFINED),
                Arguments.of("command issued to a backup LUN", DcmdCodes.COMMAND_TO_BACKUP_LUN));
    }

    @ParameterizedTest(name = "table 2: {0}")
    @MethodSource("table2")
    void shouldAnswerTable2ByRealCause(String row, int expected) {
        boolean withLog = !row.startsWith("log LUN");
        try (Setup s = new Setup("t2", withLog)) {
            int hostLun = 0;
            byte[] cdb = new byte[10];
            DcmdDescriptor.encodeSnapshot(cdb, true);
            switch (row) {
                case "illegal CDB": cdb[5] = 1; break;
                case "rebuild in progress": s.rebuild.set(true); break;
                case "initialization in progress": s.init.set(true); break;
                case "check consistency in progress": s.consistency.set(true); break;
                case "snapshot backup already in progress": assertTrue(s.initiate(0).good()); break;
                case "command issued to a backup LUN": hostLun = 1; break;
                default: break;
            }
            int disksBefore = s.diskCount();
            BackupState stateBefore = s.engine().state();
            Nsc.Result r = s.cmd(hostLun, cdb, null, 0);
            if (expected == SenseCodes.NO_SENSE) {
                assertEquals(ScsiStatus.GOOD, r.status, r.toString());
                assertEquals(BackupState.ACTIVE, s.engine().state());
                assertEquals(disksBefore + 2, s.diskCount(), "one snapshot disk and the log's space");
                assertTrue(s.cmd(1, Nsc.tur(), null, 0).good(), "backup LUN ready");
            } else {
                assertEquals(ScsiStatus.CHECK_CONDITION, r.status, r.toString());
                assertEquals(expected, r.sense, "got " + SenseCodes.toString(r.sense));
                assertEquals(disksBefore, s.diskCount(), "nothing changed");
                assertEquals(stateBefore, s.engine().state(), "nothing changed");
            }
        }
    }

    /** A session and a copy a host starts with DCMDs are cell records like the management ones (a partner must see them). */
    @Test
    void shouldRecordAHostsSessionAndCopyInTheCellLog() throws Exception {
        try (Setup s = new Setup("bk-records", true)) {
            java.util.List<io.evasan.nsc.api.CellRecord> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            s.n.ctl.commandLog().subscribe(c -> seen.add(c.record()));
            assertTrue(s.initiate(0).good());
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, s.prim.id(), s.dst.id()));
            s.engine().awaitCopy(30_000);   // a completed copy ends the session
            assertTrue(s.initiate(0).good());
            assertTrue(s.terminate(0).good());
            assertTrue(s.terminate(0).status != ScsiStatus.GOOD, "nothing left to terminate");
            var initiated = new io.evasan.nsc.api.CellRecord.BackupInitiated(s.prim.id(), "prim");
            var ended = new io.evasan.nsc.api.CellRecord.BackupTerminated();
            assertEquals(java.util.List.of(initiated, new io.evasan.nsc.api.CellRecord.BackupCopyStarted("dst", false), ended,
                    initiated, ended), seen);
        }
    }

    @Test
    void shouldAnswerCommandToBackupLunWhenInitiateIsSentToAPresentedSnapshot() throws Exception {
        try (Setup s = new Setup("t2snap", true)) {
            s.n.ctl.snapshot("prim", "prim-snap", false).taken().get();
            s.n.ctl.presentSnapshot(Nsc.HOST, 3, "prim-snap");
            s.n.runNoUa(s.x, 3, Nsc.tur(), null, 0);   // eat the unit attention
            int disksBefore = s.diskCount();
            Nsc.Result r = s.initiate(3);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status, r.toString());
            assertEquals(DcmdCodes.COMMAND_TO_BACKUP_LUN, r.sense,
                    "a snapshot is not a primary LUN (table 2), got " + SenseCodes.toString(r.sense));
            assertEquals(disksBefore, s.diskCount(), "nothing changed");
            assertEquals(BackupState.INACTIVE, s.engine().state(), "nothing changed");
            assertTrue(s.initiate(0).good(), "the primary can still be backed up");
        }
    }

    // ------------------------------------------------------------------ table 4

    static Stream<Arguments> table4() {
        return Stream.of(
                Arguments.of("good completion via the primary LUN", SenseCodes.NO_SENSE),
                Arguments.of("good completion via the backup LUN", SenseCodes.NO_SENSE),
                Arguments.of("illegal CDB", DcmdCodes.ILLEGAL_CDB),
                Arguments.of("snapshot backup not in progress", DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS),
                Arguments.of("not in progress: addressed to another LUN", DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS));
    }

    @ParameterizedTest(name = "table 4: {0}")
    @MethodSource("table4")
    void shouldAnswerTable4ByRealCause(String row, int expected) {
        try (Setup s = new Setup("t4", true)) {
            int disksIdle = s.diskCount();
            if (!row.equals("snapshot backup not in progress")) {
                assertTrue(s.initiate(0).good());
            }
            int hostLun = row.contains("backup LUN") ? 1 : row.contains("another LUN") ? 2 : 0;
            byte[] cdb = new byte[10];
            DcmdDescriptor.encodeSnapshot(cdb, false);
            if (row.equals("illegal CDB")) {
                cdb[9] = 1;   // control byte must be 0
            }
            int disksBefore = s.diskCount();
            Nsc.Result r = s.cmd(hostLun, cdb, null, 0);
            if (expected == SenseCodes.NO_SENSE) {
                assertEquals(ScsiStatus.GOOD, r.status, r.toString());
                assertEquals(BackupState.INACTIVE, s.engine().state());
                assertEquals(disksIdle, s.diskCount(), "snapshot disk deleted");
                assertEquals(SenseCodes.NOT_READY_CAUSE_NOT_REPORTABLE, s.cmd(1, Nsc.tur(), null, 0).sense);
            } else {
                assertEquals(expected, r.sense, "got " + SenseCodes.toString(r.sense));
                assertEquals(disksBefore, s.diskCount(), "nothing changed");
            }
        }
    }

    // ------------------------------------------------------------------ backup LUN

    @Test
    void shouldPresentTheSnapshotReadOnlyAndNotReadyWithoutOne() throws Exception {
        try (Setup s = new Setup("blun", true)) {
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, Nsc.tur(), null, 0).sense);
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, read10(0, 8), null, 4096).sense);
            // A: acknowledged but still in the cache when the initiate arrives
            s.n.ctl.cache().pauseDestage();
            byte[] a = Nsc.pattern((int) PRIM_SIZE, 7);
            for (int seg = 0; seg < 16; seg++) {
                byte[] d = Arrays.copyOfRange(a, seg * SEG, (seg + 1) * SEG);
                assertTrue(s.cmd(0, write10((long) seg * SEG_BLOCKS, SEG_BLOCKS, false), d, SEG).good());
            }
            byte[] c = new byte[10];
            DcmdDescriptor.encodeSnapshot(c, true);
            CompletableFuture<ScsiTask> init = s.n.submit(s.x, 0, c, null, 0);
            Thread.sleep(50);
            assertFalse(init.isDone(), "initiate waits for its marker to leave the cache");
            s.n.ctl.cache().resumeDestage();
            assertEquals(ScsiStatus.GOOD, Nsc.result(init.get(30, TimeUnit.SECONDS)).status);
            // B: after the snapshot
            s.writeSegments(0, 99, 2, 5, 6);
            assertArrayEquals(a, s.readAll(1), "backup LUN = primary at initiate");
            byte[] b = s.readAll(0);
            assertArrayEquals(Nsc.pattern(SEG, 99 * 100 + 5), Arrays.copyOfRange(b, 5 * SEG, 6 * SEG), "primary has B");
            Nsc.Result w = s.cmd(1, write10(0, 8, false), new byte[4096], 4096);
            assertEquals(ScsiStatus.CHECK_CONDITION, w.status);
            assertEquals(SenseCodes.KEY_DATA_PROTECT, SenseCodes.key(w.sense), "writes rejected: " + SenseCodes.toString(w.sense));
            assertTrue(s.terminate(1).good(), "terminate via the backup LUN");
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, read10(0, 8), null, 4096).sense);
            assertArrayEquals(b, s.readAll(0), "primary unaffected");
        }
    }

    // ------------------------------------------------------------------ log overflow

    @Test
    void shouldReportLogOverflowOnceThenNotReadyAndLeaveThePrimaryAlone() {
        try (Setup s = new Setup("overflow", true)) {
            s.fill(1);
            byte[] before = s.readAll(0);
            assertTrue(s.initiate(0).good());
            long snap = s.engine().activeSnapshotDisk();
            s.writeSegments(0, 2, 0, 1, 2, 3);     // 4 preserved segments = the log's capacity
            s.writeSegments(0, 3, 1, 2);           // rewrites: no new preserved segment
            assertEquals(LOG_SEGMENTS, s.engine().logUsedSegments());
            assertTrue(s.cmd(1, Nsc.tur(), null, 0).good(), "still within the log");
            DiskDescription sd = s.n.trees.describe(s.prim.disk()).disks().get(0);
            assertEquals(snap, sd.id());
            assertTrue(sd.privateSegments() <= LOG_SEGMENTS, "snapshot holds at most the log's capacity: " + sd);
            assertArrayEquals(before, s.readAll(1));
            s.writeSegments(0, 4, 9);              // a fifth segment: overflow
            assertEquals(BackupState.INACTIVE, s.engine().state());
            assertFalse(s.n.trees.disks().contains(snap), "snapshot ended");
            Nsc.Result first = s.cmd(1, read10(0, 8), null, 4096);
            assertEquals(ScsiStatus.CHECK_CONDITION, first.status);
            assertEquals(DcmdCodes.LOG_OVERFLOW, first.sense, "vendor log overflow once: " + SenseCodes.toString(first.sense));
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, read10(0, 8), null, 4096).sense);
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, Nsc.tur(), null, 0).sense);
            assertEquals(DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS, s.terminate(0).sense);
            // the primary saw every write
            byte[] want = before.clone();
            for (int seg : new int[]{0, 3}) {
                System.arraycopy(Nsc.pattern(SEG, 200 + seg), 0, want, seg * SEG, SEG);
            }
            for (int seg : new int[]{1, 2}) {
                System.arraycopy(Nsc.pattern(SEG, 300 + seg), 0, want, seg * SEG, SEG);
            }
            System.arraycopy(Nsc.pattern(SEG, 409), 0, want, 9 * SEG, SEG);
            assertArrayEquals(want, s.readAll(0), "primary unaffected by the overflow");
            // the next initiate works again
            assertTrue(s.initiate(0).good());
            assertArrayEquals(want, s.readAll(1));
        }
    }

    @Test
    void shouldTreatASnapshotInvalidatedForLackOfPoolSpaceAsALogOverflow() {
        try (Setup s = new Setup("invalidated", true, 20)) {   // the primary's 16 segments + 2 spare for the snapshot + 2 for the log
            s.fill(21);
            assertTrue(s.initiate(0).good());
            s.writeSegments(0, 22, 0, 1);          // two preserved segments: the pool is now full
            assertTrue(s.cmd(1, Nsc.tur(), null, 0).good());
            s.writeSegments(0, 23, 2);             // no space to preserve: the tree invalidates the snapshot
            byte[] prim = s.readAll(0);
            assertArrayEquals(Nsc.pattern(SEG, 2302), Arrays.copyOfRange(prim, 2 * SEG, 3 * SEG), "primary write succeeded");
            assertEquals(DcmdCodes.LOG_OVERFLOW, s.cmd(1, read10(0, 8), null, 4096).sense, "reported once as a log overflow");
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, read10(0, 8), null, 4096).sense);
            assertEquals(BackupState.INACTIVE, s.engine().state());
        }
    }

    // ------------------------------------------------------------------ LOP: tables 7 and 10

    @Test
    void shouldCopyTheSnapshotWithBusyDestinationAndTableCodes() throws Exception {
        try (Setup s = new Setup("lop", true)) {
            assertEquals(DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS, s.lopStatus(), "table 10: no copy in progress");
            assertEquals(DcmdCodes.LOP_START_DRIVE_NOT_READY, s.lopStart(1, s.log.id(), s.dst.id()),
                    "table 7: no snapshot active -> system drive not ready");
            s.fill(5);
            byte[] a = s.readAll(0);
            assertTrue(s.initiate(0).good());
            s.writeSegments(0, 6, 4);
            byte[] noDrive = new byte[10];
            DcmdDescriptor.encodeLopStart(noDrive, 1, s.log.id(), 7, 2);
            assertEquals(DcmdCodes.ILLEGAL_CDB, s.cmd(0, noDrive, null, 2).sense,
                    "no drive 7: Illegal CDB, as for a drive the initiator cannot see (LUN masking)");
            assertEquals(DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE, s.lopStart(1, s.log.id(), s.log.id()));
            assertEquals(DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE, s.lopStart(1, s.log.id(), s.prim.id()),
                    "the primary is not a destination");
            LunRecord small = s.n.ctl.createLun("small", SEG);
            s.n.ctl.presentLun(Nsc.HOST, 3, "small");   // LOP START names only LUNs the initiator sees
            assertEquals(DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE, s.lopStart(1, s.log.id(), small.id()),
                    "destination smaller than the primary");
            s.engine().pauseCopy();
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(1, s.log.id(), s.dst.id()), "table 7: started");
            assertEquals(DcmdCodes.LOP_START_COPY_ALREADY_IN_PROGRESS, s.lopStart(1, s.prim.id(), small.id()),
                    "table 7: a copy is already in progress");
            assertEquals(DcmdCodes.LOP_STATUS_IN_PROGRESS, s.lopStatus(), "table 10: in progress");
            Nsc.Result busy = s.cmd(2, read10(0, 8), null, 4096);
            assertEquals(ScsiStatus.BUSY, busy.status, "destination BUSY during the copy: " + busy);
            assertEquals(ScsiStatus.BUSY, s.cmd(2, write10(0, 8, false), new byte[4096], 4096).status);
            s.engine().resumeCopy();
            s.engine().awaitCopy(30_000);
            assertEquals(DcmdCodes.LOP_STATUS_COMPLETED, s.lopStatus(), "table 10: completed");
            assertArrayEquals(a, s.readAll(2), "destination = snapshot");
            assertEquals(BackupState.INACTIVE, s.engine().state(), "a completed copy terminates the snapshot backup");
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, Nsc.tur(), null, 0).sense);
            assertTrue(s.cmd(2, write10(0, 8, false), new byte[4096], 4096).good(), "destination normal again");
        }
    }

    @Test
    void shouldReportCopyTerminatedByCommand() throws Exception {
        try (Setup s = new Setup("lop-term", true)) {
            s.fill(8);
            assertTrue(s.initiate(0).good());
            s.engine().pauseCopy();
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(1, s.log.id(), s.dst.id()));
            assertTrue(s.terminate(0).good());
            assertEquals(DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND, s.lopStatus(), "table 10: terminated by command");
            assertTrue(s.cmd(2, read10(0, 8), null, 4096).good(), "destination no longer BUSY");
        }
    }

    @Test
    void shouldReportDriveNotReadyWhenTheLogOverflowsDuringTheCopy() throws Exception {
        try (Setup s = new Setup("lop-ovf", true)) {
            s.fill(9);
            assertTrue(s.initiate(0).good());
            s.engine().pauseCopy();
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(1, s.log.id(), s.dst.id()));
            s.writeSegments(0, 10, 0, 1, 2, 3, 4);    // fifth preserved segment overflows the log
            s.engine().awaitCopy(30_000);
            assertEquals(DcmdCodes.LOP_STATUS_DRIVE_NOT_READY, s.lopStatus(), "table 10: system drive not ready");
            assertEquals(DcmdCodes.LOG_OVERFLOW, s.cmd(1, Nsc.tur(), null, 0).sense);
        }
    }

    @Test
    void shouldReportIrrecoverableDataErrors() throws Exception {
        try (Setup s = new Setup("lop-err", true)) {
            s.fill(11);
            assertTrue(s.initiate(0).good());
            s.faulty.failReadsOf = s.engine().activeSnapshotDisk();
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(1, s.log.id(), s.dst.id()));
            s.engine().awaitCopy(30_000);
            assertEquals(DcmdCodes.LOP_STATUS_IRRECOVERABLE_DATA_ERRORS, s.lopStatus(), "table 10: irrecoverable data errors");
            s.faulty.failReadsOf = -1;
            assertEquals(BackupState.ACTIVE, s.engine().state(), "the snapshot stays; the host may retry or terminate");
            assertTrue(s.cmd(2, read10(0, 8), null, 4096).good(), "destination no longer BUSY");
        }
    }

    @Test
    void shouldCopyOnlyChangedSegmentsIncrementally() throws Exception {
        try (Setup s = new Setup("lop-inc", true)) {
            s.fill(12);
            assertTrue(s.initiate(0).good());
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(DcmdDescriptor.LOP_INCREMENTAL_COPY, s.log.id(), s.dst.id()));
            s.engine().awaitCopy(30_000);
            assertEquals(DcmdCodes.LOP_STATUS_COMPLETED, s.lopStatus());
            assertFalse(s.engine().lastCopyIncremental(), "no baseline yet: full copy");
            assertEquals(16, s.engine().lastCopiedSegments());
            // two segments change, then the next snapshot is copied incrementally
            s.writeSegments(0, 13, 3, 9);
            byte[] s2 = s.readAll(0);
            assertTrue(s.initiate(0).good());
            s.writeSegments(0, 14, 10);   // after the snapshot: not part of it
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(DcmdDescriptor.LOP_INCREMENTAL_COPY, s.log.id(), s.dst.id()));
            s.engine().awaitCopy(30_000);
            assertEquals(DcmdCodes.LOP_STATUS_COMPLETED, s.lopStatus());
            assertTrue(s.engine().lastCopyIncremental());
            assertEquals(2, s.engine().lastCopiedSegments(), "only segments 3 and 9 copied");
            assertArrayEquals(s2, s.readAll(2), "destination = second snapshot");
            // the host writes the destination: its baseline is gone, the next incremental is a full copy
            s.writeSegments(2, 15, 5);
            byte[] s3 = s.readAll(0);
            assertTrue(s.initiate(0).good());
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, s.lopStart(DcmdDescriptor.LOP_INCREMENTAL_COPY, s.log.id(), s.dst.id()));
            s.engine().awaitCopy(30_000);
            assertEquals(DcmdCodes.LOP_STATUS_COMPLETED, s.lopStatus());
            assertFalse(s.engine().lastCopyIncremental());
            assertArrayEquals(s3, s.readAll(2), "destination = third snapshot");
        }
    }
}
