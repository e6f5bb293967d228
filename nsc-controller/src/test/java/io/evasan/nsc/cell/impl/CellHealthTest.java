package io.evasan.nsc.cell.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.HealthState;
import io.evasan.nsc.api.LbaRange;
import io.evasan.nsc.api.ObjectHealth;
import io.evasan.nsc.cell.CellStateReplay;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.rsd.Rsd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cell's health model over a real stack: drive, RSS, disk group, LUN and controller states, lost LBA ranges. */
class CellHealthTest {
    @TempDir
    Path dir;

    private static ObjectHealth find(List<ObjectHealth> all, String kind, String id) {
        return all.stream().filter(o -> o.kind().equals(kind) && o.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + id + " in " + all));
    }

    @Test
    void shouldReportEveryObjectOkOnAHealthyCell() {
        try (CellStateReplay.Stack st = new CellStateReplay.Stack(dir)) {
            st.cell.luns().createLun("l1", 4L << 20, "RAID1", -1);
            List<ObjectHealth> all = st.cell.health().objects();
            assertTrue(all.stream().allMatch(o -> o.state() == HealthState.OK), all.toString());
            for (String kind : List.of("drive", "rss", "disk-group", "lun", "controller", "cache")) {
                assertTrue(all.stream().anyMatch(o -> o.kind().equals(kind)), "kind " + kind + " in " + all);
            }
        }
    }

    @Test
    void shouldReportLostLbaRangesThatReadUnrecoveredAndNameTheLunInThePullRefusal() {
        try (CellStateReplay.Stack st = new CellStateReplay.Stack(dir)) {
            LunRecord l = st.cell.luns().createLun("l1", 4L << 20, "RAID1", -1);
            byte[] data = new byte[4 << 20];
            new Random(7).nextBytes(data);
            st.trees.write(l.disk(), 0, data, 0, data.length);
            DiskGroup g = st.pool.diskGroups().get(0);
            long rsd = st.trees.rstoreIds(l.disk()).first();
            Rsd r = g.rsd(rsd);
            int a = r.drive(0);
            int b = r.drive(1);                       // the other half of mirrored pair 0
            st.cell.drives().failDrive(g.id(), a);
            ObjectHealth degraded = find(st.cell.health().objects(), "lun", String.valueOf(l.id()));
            assertEquals(HealthState.DEGRADED, degraded.state(), degraded.toString());
            StorageException refused = assertThrows(StorageException.class, () -> st.cell.drives().checkPull(g.id(), b, false));
            assertTrue(refused.getMessage().contains("LUN(s) l1"), refused.getMessage());

            st.cell.drives().failDrive(g.id(), b);
            List<ObjectHealth> all = st.cell.health().objects();
            ObjectHealth lun = find(all, "lun", String.valueOf(l.id()));
            assertEquals(HealthState.FAILED, lun.state());
            assertTrue(lun.reason().startsWith("data lost"), lun.reason());
            assertFalse(lun.lost().isEmpty());
            assertEquals(HealthState.FAILED, find(all, "drive", g.id() + "/" + a).state());
            assertEquals(HealthState.FAILED, find(all, "disk-group", String.valueOf(g.id())).state());
            assertEquals(HealthState.FAILED, find(all, "rss", g.id() + "/" + r.rssId()).state());
            // every reported range reads 03/11/00 (UNRECOVERABLE_READ); the block after the first range reads back
            for (LbaRange x : lun.lost()) {
                StorageException e = assertThrows(StorageException.class,
                        () -> st.trees.read(l.disk(), x.firstLba() * 512, new byte[512], 0, 512));
                assertEquals(ErrorCode.UNRECOVERABLE_READ, e.code());
                e = assertThrows(StorageException.class,
                        () -> st.trees.read(l.disk(), (x.firstLba() + x.blocks() - 1) * 512, new byte[512], 0, 512));
                assertEquals(ErrorCode.UNRECOVERABLE_READ, e.code());
            }
            long after = lun.lost().get(0).firstLba() + lun.lost().get(0).blocks();
            byte[] ok = new byte[512];
            st.trees.read(l.disk(), after * 512, ok, 0, 512);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, (int) after * 512, (int) after * 512 + 512), ok);
        }
    }

    @Test
    void shouldReturnToOkWhenTheFailedDrivesAreRestored() throws Exception {
        try (CellStateReplay.Stack st = new CellStateReplay.Stack(dir)) {
            LunRecord l = st.cell.luns().createLun("l1", 4L << 20, "RAID1", -1);
            st.trees.write(l.disk(), 0, new byte[1 << 20], 0, 1 << 20);
            DiskGroup g = st.pool.diskGroups().get(0);
            Rsd r = g.rsd(st.trees.rstoreIds(l.disk()).first());
            st.cell.drives().failDrive(g.id(), r.drive(0));
            st.cell.drives().failDrive(g.id(), r.drive(1));
            assertEquals(HealthState.FAILED, find(st.cell.health().objects(), "lun", String.valueOf(l.id())).state());
            st.cell.drives().restoreDrive(g.id(), r.drive(0));
            st.cell.drives().restoreDrive(g.id(), r.drive(1));
            while (!st.cell.drives().rebuild(g.id()).orElseThrow().finished()) {
                Thread.sleep(20);
            }
            List<ObjectHealth> all = st.cell.health().objects();
            assertTrue(all.stream().allMatch(o -> o.state() == HealthState.OK), all.toString());
        }
    }
}
