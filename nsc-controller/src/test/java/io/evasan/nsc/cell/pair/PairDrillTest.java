package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.DrillRequest;
import io.evasan.nsc.api.DriveStatus;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cell.drill.DrillVerifier;
import io.evasan.nsc.cell.drill.LastRedundancy;
import io.evasan.nsc.cell.impl.MldRecords;
import io.evasan.nsc.cell.impl.StorageCell;
import io.evasan.nsc.lun.LunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cell's drills through its API ({@code Controllers.drill}) over a real pool and a controller pair (no heartbeat:
 * a fault is acted on at once): the verifier's scratch LUN written through the fault and read back, a write that
 * does not read back counted as lost, the pull of a drive (refused when it would lose data), and the drill history
 * kept in the MLD across a reopen.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PairDrillTest {
    @TempDir
    Path dir;

    private static Cell cell(PairedStack s) {
        return new StorageCell(s.pool, s.trees, s.ctl, new MldRecords(s.mapping.mld(), s.ctl.commandLog()), s.pair);
    }

    private static boolean scratchLeft(PairedStack s) {
        return s.ctl.listLuns().stream().anyMatch(l -> l.name().startsWith("drill-scratch-"));
    }

    private static void assertVerified(DrillReport r) {
        assertTrue(r.writesAcknowledged() >= 128, "the verifier wrote before and after the fault: " + r);
        assertEquals(r.writesAcknowledged(), r.writesVerified(), r.toString());
        assertEquals(0, r.lostWrites(), r.toString());
        assertTrue(r.outcome().contains("verifier on drill-scratch-" + r.id()), r.outcome());
    }

    @Test
    void shouldVerifyEveryWriteAcknowledgedThroughAKill() {
        try (PairedStack s = new PairedStack(dir, null)) {
            DrillReport r = cell(s).controllers().drill(DrillRequest.of("kill", NscId.B, true));
            System.out.println("kill drill with verifier: " + r);
            assertTrue(r.takeoverMillis() >= 0, r.toString());
            assertTrue(r.unitsMoved() >= 1, "the scratch LUN preferred B and moved to A: " + r);
            assertVerified(r);
            assertTrue(!scratchLeft(s), "the scratch LUN is deleted");
        }
    }

    @Test
    void shouldVerifyEveryWriteAcknowledgedThroughAHang() {
        try (PairedStack s = new PairedStack(dir, null)) {
            DrillReport r = cell(s).controllers().drill(DrillRequest.of("hang", NscId.A, true));
            System.out.println("hang drill with verifier: " + r);
            assertEquals(NscId.A, r.target());
            assertVerified(r);
            assertTrue(!scratchLeft(s));
        }
    }

    @Test
    void shouldCountAnAcknowledgedWriteThatDoesNotReadBackAsLost() {
        try (PairedStack s = new PairedStack(dir, null)) {
            LunRecord lun = s.ctl.createLun("scratch", 1 << 20);
            DrillVerifier v = new DrillVerifier(s.ctl.writeCache(), lun.id(), 1 << 20, 42);
            v.start();
            assertTrue(v.awaitAcknowledged(8, 30_000));
            // block 0 was acknowledged and the writer never writes it again: overwrite it as a lost write would look
            s.ctl.writeCache().write(1, lun.id(), 0, ByteBuffer.wrap(new byte[4096]), false);
            DrillVerifier.Result r = v.finish();
            assertEquals(1, r.lost(), r.toString());
            assertEquals(r.acknowledged() - 1, r.verified(), r.toString());
            assertTrue(r.firstLoss().startsWith("block 0 holds no pattern block"), r.firstLoss());
        }
    }

    @Test
    void shouldRefuseADrillOnAnUnknownKindOrWithoutATargetChangingNothing() {
        try (PairedStack s = new PairedStack(dir, null)) {
            Cell c = cell(s);
            StorageException e = assertThrows(StorageException.class, () -> c.controllers().drill(DrillRequest.of("explode", NscId.A, true)));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().startsWith("kind:"), e.getMessage());
            e = assertThrows(StorageException.class, () -> c.controllers().drill(DrillRequest.of("kill", null, true)));
            assertTrue(e.getMessage().startsWith("target:"), e.getMessage());
            e = assertThrows(StorageException.class, () -> c.controllers().drill(DrillRequest.pullDrive(0, -1, true, false)));
            assertTrue(e.getMessage().startsWith("index:"), e.getMessage());
            assertEquals(List.of(), c.controllers().drills());
            assertTrue(s.ctl.listLuns().isEmpty());
        }
    }

    @Test
    void shouldPullADriveKeepTheDataReadableAndRefuseToPullTheLastRedundancyUnlessForced() {
        try (PairedStack s = new PairedStack(dir, null)) {
            Cell c = cell(s);
            LunRecord keep = s.ctl.createLun("keep", 8 << 20);
            s.ctl.writeCache().write(1, keep.id(), 0, ByteBuffer.wrap(new byte[1 << 20]), false);
            s.ctl.writeCache().synchronize(keep.id(), 0, 0);
            io.evasan.raid.DiskGroup g = s.pool.diskGroups().get(0);
            io.evasan.raid.rsd.Rsd rsd = g.rsd(g.rsdIds().get(0));
            int pulled = rsd.drive(0);
            int other = rsd.drive(1);
            DrillReport r = c.controllers().drill(DrillRequest.pullDrive(0, pulled, true, false));
            System.out.println("pull-drive drill: " + r);
            assertEquals("pull-drive", r.kind());
            assertNull(r.target());
            assertVerified(r);
            assertTrue(r.outcome().contains("pulled (MISSING); group degraded (1 of 8 drives away)"), r.outcome());
            assertTrue(r.outcome().contains("data readable"), r.outcome());
            assertEquals(DriveStatus.MISSING, c.drives().diskGroup(0).orElseThrow().drives().get(pulled).state());
            assertTrue(!scratchLeft(s));

            // drive `other` shares a RAID5 RStore with the pulled one (degraded now): it holds its last redundancy
            assertTrue(!LastRedundancy.onDrive(g, other).isEmpty());
            int last = other;
            int luns = s.ctl.listLuns().size();
            StorageException e = assertThrows(StorageException.class,
                    () -> c.controllers().drill(DrillRequest.pullDrive(0, last, true, false)));
            assertEquals(ErrorCode.INVALID_STATE, e.code());
            assertTrue(e.getMessage().contains("last redundancy"), e.getMessage());
            assertEquals(DriveStatus.AVAILABLE, c.drives().diskGroup(0).orElseThrow().drives().get(last).state());
            assertEquals(luns, s.ctl.listLuns().size(), "no scratch LUN was created");
            assertEquals(1, c.controllers().drills().size(), "the refused drill is not in the history");
            e = assertThrows(StorageException.class, () -> c.controllers().drill(DrillRequest.pullDrive(0, pulled, false, false)));
            assertEquals(ErrorCode.INVALID_STATE, e.code(), "the drive is away already");

            c.drives().restoreDrive(0, pulled);
            assertEquals(DriveStatus.AVAILABLE, c.drives().diskGroup(0).orElseThrow().drives().get(pulled).state());
        }
    }

    @Test
    void shouldRestartAndReopenAfterAVerifiedDrillWhoseScratchLunWasDeletedWhileItsOwnerWasDown() {
        try (PairedStack s = new PairedStack(dir, null)) {
            s.pair.follow(s.ctl.commandLog());   // as the launcher: the deleted scratch LUN loses its ownership record
            s.pair.caches().cache(NscId.B).pauseDestage();   // the scratch LUN's writes stay in B's log when B dies
            DrillReport r = cell(s).controllers().drill(DrillRequest.of("kill", NscId.B, true));
            assertVerified(r);
            s.pair.restart(NscId.B);   // B's log still holds writes of the deleted LUN: they must not replay
        }
        try (PairedStack s = new PairedStack(dir, null)) {
            assertTrue(s.ctl.listLuns().isEmpty());
        }
    }

    @Test
    void shouldKeepTheDrillHistoryAcrossAReopen() {
        DrillReport first;
        DrillReport pulled;
        try (PairedStack s = new PairedStack(dir, null)) {
            Cell c = cell(s);
            first = c.controllers().drill(DrillRequest.of("kill", NscId.A, true));
            s.pair.restart(NscId.A);
            pulled = c.controllers().drill(DrillRequest.pullDrive(0, 1, false, false));
            c.drives().restoreDrive(0, 1);
            assertEquals(List.of(first.id(), pulled.id()), c.controllers().drills().stream().map(DrillReport::id).toList());
        }
        try (PairedStack s = new PairedStack(dir, null)) {
            Cell c = cell(s);
            List<DrillReport> kept = c.controllers().drills();
            assertEquals(2, kept.size(), kept.toString());
            assertEquals(first.id(), kept.get(0).id());
            assertEquals(first.writesAcknowledged(), kept.get(0).writesAcknowledged());
            assertEquals(first.writesVerified(), kept.get(0).writesVerified());
            assertEquals(first.takeoverMillis(), kept.get(0).takeoverMillis());
            assertEquals(first.outcome(), kept.get(0).outcome());
            assertEquals(pulled, kept.get(1));
            DrillReport next = c.controllers().drill(DrillRequest.of("kill", NscId.B, false));
            assertEquals(pulled.id() + 1, next.id(), "ids continue after the kept history");
            assertEquals(3, c.controllers().drills().size());
        }
    }
}
