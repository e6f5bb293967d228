package io.evasan.nsc.cell;

import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.CellRecord.*;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CellState#apply}: in order only, all or nothing, cascades as the LUN table does. */
class CellStateTest {
    private static CellState withLunAndSnapshot() {
        CellState s = new CellState();
        s.apply(new Committed(1, new LunCreated(0, "lun0", LunKind.PRIMARY, 11, 5, 1 << 20, 0)));
        s.apply(new Committed(2, new SnapshotTaken(4096, "snap0", 0, 6, 77, true, 1000, 12, 1 << 20, 0, "SPACE_EFFICIENT")));
        s.apply(new Committed(3, new Presented("iqn.x", 1, 0, "lun0")));
        s.apply(new Committed(4, new Presented("iqn.x", 2, 4096, "snap0")));
        s.apply(new Committed(5, new BgcopyPaused(6)));
        return s;
    }

    @Test
    void shouldRefuseAGapOrARepeat() {
        CellState s = withLunAndSnapshot();
        String before = s.describe();
        IllegalStateException gap = assertThrows(IllegalStateException.class,
                () -> s.apply(new Committed(7, new LunResized(0, "lun0", 2 << 20))));
        assertTrue(gap.getMessage().contains("record 7 applied after 5"), gap.getMessage());
        assertThrows(IllegalStateException.class, () -> s.apply(new Committed(5, new LunResized(0, "lun0", 2 << 20))));
        assertEquals(before, s.describe());
        assertEquals(5, s.lastSeq());
    }

    @Test
    void shouldRefuseARecordThatDoesNotFitAndChangeNothing() {
        CellState s = withLunAndSnapshot();
        String before = s.describe();
        for (CellRecord bad : List.of(
                new LunCreated(0, "other", LunKind.PRIMARY, 1, 9, 512, 0),           // id taken
                new LunCreated(1, "snap0", LunKind.PRIMARY, 1, 9, 512, 0),           // name taken by a snapshot
                new LunDeleted(0, "wrong-name"),
                new Presented("iqn.x", 1, 0, "lun0"),                                 // slot taken
                new Presented("iqn.y", 1, 99, "nothing"),                             // unknown unit
                new Unpresented("iqn.x", 1, 4096, "snap0"),                           // slot presents another unit
                new SnapshotTaken(4097, "s", 3, 1, 1, false, 0, 0, 512, 0, "P"),      // no LUN 3
                new SnapclonePromoted(4096, "snap0", "lun0"),                         // LUN name taken
                new RecordRemoved("host", "h0"),
                new DriveFailed(9, 0),
                new DrivePulled(9, 0),
                new BgcopyResumed(5),                                                 // disk 5 is no snapclone
                new BackupTerminated())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.apply(new Committed(6, bad)), bad::toString);
            assertTrue(e.getMessage().startsWith("record 6 "), e.getMessage());
            assertEquals(before, s.describe(), "state changed by the refused " + bad);
        }
    }

    @Test
    void shouldDeleteALunWithItsSnapshotsAndPresentations() {
        CellState s = withLunAndSnapshot();
        s.apply(new Committed(6, new LunDeleted(0, "lun0")));
        assertEquals("Backup[-1]\n", s.describe());
    }

    @Test
    void shouldPromoteASnapcloneKeepingItsIdentityAndPresentations() {
        CellState s = withLunAndSnapshot();
        s.apply(new Committed(6, new BgcopyResumed(6)));
        s.apply(new Committed(7, new SnapclonePromoted(4096, "snap0", "clone0")));
        assertEquals(new CellState.Lun(4096, "clone0", LunKind.PRIMARY, 12, 6, 1 << 20, 0), s.luns().get(4096));
        assertTrue(s.snapshots().isEmpty());
        assertTrue(s.describe().contains("Presentation[iqn.x|2 -> 4096]"), s.describe());
    }

    @Test
    void shouldEndTheBackupSessionAtARestartOnly() {
        CellState s = withLunAndSnapshot();
        s.apply(new Committed(6, new BackupInitiated(0, "lun0")));
        CellState copy = s.copy();
        assertEquals(s.describe(), copy.describe());
        s.restarted();
        assertTrue(s.describe().endsWith("Backup[-1]\n"));
        assertTrue(copy.describe().endsWith("Backup[0]\n"));
    }
}
