package io.evasan.nsc;

import io.evasan.nsc.api.QuarantineEntry;
import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.lun.impl.FileLunStore;
import io.evasan.nsc.lun.impl.StoredLunTable;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.sharing.DeleteOption;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 findings 2 and 5 at the controller's command path: a snapshot marker queued in the cache
 * while its LUN is deleted (and its id offered to a new LUN), concurrent requests for one snapshot
 * name, and a start over an inconsistent catalogue (the shape the old race left on disk).
 */
class ControllerCommandPathTest {
    private static final long MIB = 1L << 20;

    @Test
    void shouldFailAMarkerWhoseLunWasDeletedAndNeverSnapshotTheLunThatCameNext() throws Exception {
        try (Nsc n = new Nsc("cmd-race")) {
            LunRecord a = n.ctl.createLun("a", MIB);
            n.ctl.cache().pauseDestage();   // the marker stays queued, as behind a slow destage
            SnapshotMarker m;
            try {
                m = n.ctl.snapshot("a", "s", false);
                n.ctl.deleteLun("a");
                LunRecord b = n.ctl.createLun("b", 2 * MIB);
                assertNotEquals(a.id(), b.id(), "a LUN id named by a queued marker is not reused");
            } finally {
                n.ctl.cache().resumeDestage();
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> m.taken().get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.NOT_FOUND, ((StorageException) e.getCause()).code(), e.getCause().toString());
            assertTrue(n.ctl.listSnapshots().isEmpty(), "no snapshot was taken of another LUN: " + n.ctl.listSnapshots());
            assertFalse(n.ctl.takenSnapshot(m).isPresent());
            n.reopen();
            assertTrue(n.ctl.quarantine().isEmpty(), n.ctl.quarantine().toString());
            assertEquals(List.of("b"), n.ctl.listLuns().stream().map(LunRecord::name).toList());
            LunRecord c = n.ctl.createLun("c", MIB);   // the marker is gone now: the freed id may come back
            assertEquals(a.id(), c.id());
        }
    }

    @Test
    void shouldQueueExactlyOneOfFiftyConcurrentRequestsForOneSnapshotName() throws Exception {
        try (Nsc n = new Nsc("cmd-dup")) {
            n.ctl.createLun("a", MIB);
            n.ctl.createLun("b", MIB);
            ExecutorService pool = Executors.newFixedThreadPool(16);
            n.ctl.cache().pauseDestage();
            List<Future<SnapshotMarker>> fs = new ArrayList<>();
            try {
                CountDownLatch go = new CountDownLatch(1);
                for (int i = 0; i < 50; i++) {
                    String lun = i % 2 == 0 ? "a" : "b";
                    fs.add(pool.submit(() -> {
                        go.await();
                        return n.ctl.snapshot(lun, "dup2", false);
                    }));
                }
                go.countDown();
                for (Future<SnapshotMarker> f : fs) {
                    try {
                        f.get(10, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        assertEquals(ErrorCode.ALREADY_EXISTS, ((StorageException) e.getCause()).code(), e.getCause().toString());
                    }
                }
                StorageException lun = assertThrows(StorageException.class, () -> n.ctl.createLun("dup2", MIB));
                assertEquals(ErrorCode.ALREADY_EXISTS, lun.code(), "a queued snapshot's name is taken for LUNs too");
            } finally {
                n.ctl.cache().resumeDestage();
                pool.shutdownNow();
            }
            int queued = 0;
            for (Future<SnapshotMarker> f : fs) {
                try {
                    f.get().taken().get(10, TimeUnit.SECONDS);
                    queued++;
                } catch (ExecutionException e) {
                    // refused with ALREADY_EXISTS above
                }
            }
            assertEquals(1, queued, "exactly one request is queued");
            List<String> names = n.ctl.listSnapshots().stream().map(SnapshotRecord::name).toList();
            assertEquals(List.of("dup2"), names);
        }
    }

    @Test
    void shouldStartOverAnInconsistentCatalogueQuarantineAndRepairIt() throws Exception {
        try (Nsc n = new Nsc("cmd-quarantine")) {
            LunRecord a = n.ctl.createLun("a", MIB);
            LunRecord b = n.ctl.createLun("b", MIB);
            n.ctl.createLun("c", MIB);
            n.ctl.snapshot("b", "b-gone", false).taken().get(10, TimeUnit.SECONDS);
            n.ctl.snapshot("c", "c-snap", false).taken().get(10, TimeUnit.SECONDS);
            byte[] data = Nsc.pattern(4096, 7);
            n.ctl.presentLun(Nsc.HOST, 0, "b");
            assertTrue(n.run(n.nexus(Nsc.HOST), 0, Nsc.write10(0, 8, false), data, data.length).good());
            n.ctl.close();
            // the old race's shapes: a LUN whose disk is gone, a snapshot whose disk is gone, a snapshot
            // record naming a LUN id whose tree does not hold its disk, and a disk no record names
            SnapshotRecord bGone = null;
            SnapshotRecord cSnap = null;
            for (SnapshotRecord s : n.ctl.listSnapshots()) {
                if (s.name().equals("b-gone")) {
                    bGone = s;
                } else {
                    cSnap = s;
                }
            }
            n.trees.delete(a.disk(), DeleteOption.DELETE_SNAPSHOTS);
            n.trees.delete(bGone.disk(), DeleteOption.KEEP_SNAPSHOTS);
            long orphan = n.trees.createLun(2);
            StoredLunTable t = FileLunStore.open(n.dir.resolve("state"));
            SnapshotRecord stray = t.addSnapshot(new SnapshotRecord("stray", b.id(), cSnap.disk(), 77, false, 1));

            Controller ctl = n.open();   // starts: one inconsistent object never blocks a start
            List<String> ids = ctl.quarantine().stream().map(QuarantineEntry::id).sorted().toList();
            assertEquals(List.of("disk-" + orphan, "lun-" + a.id(), "snapshot-" + bGone.id(), "snapshot-" + stray.id()), ids);
            for (QuarantineEntry q : ctl.quarantine()) {
                assertFalse(q.reason().isEmpty());
                assertTrue(q.repair().contains("/api/"), q.repair());
            }
            assertTrue(ctl.isQuarantined(a.id()));
            StorageException busy = assertThrows(StorageException.class, () -> ctl.presentLun(Nsc.HOST, 3, "a"));
            assertEquals(ErrorCode.INVALID_STATE, busy.code());
            assertTrue(busy.getMessage().contains("quarantined"), busy.getMessage());
            assertThrows(StorageException.class, () -> ctl.snapshot("a", "x", false));
            byte[] got = new byte[data.length];
            ctl.read("b", 0, got);   // the healthy LUN serves as before
            assertArrayEquals(data, got);
            n.reopen();   // and a second start, before any repair, too
            assertEquals(4, n.ctl.quarantine().size());

            n.ctl.deleteLun("a");   // deleting a quarantined object by name is its repair
            n.ctl.deleteSnapshot("b-gone");
            n.ctl.repairQuarantined("snapshot-" + stray.id());
            n.ctl.repairQuarantined("disk-" + orphan);
            assertTrue(n.ctl.quarantine().isEmpty());
            StorageException none = assertThrows(StorageException.class, () -> n.ctl.repairQuarantined("disk-" + orphan));
            assertEquals(ErrorCode.NOT_FOUND, none.code());
            assertThrows(StorageException.class, () -> n.trees.kind(orphan));
            assertEquals(io.evasan.sharing.DiskKind.SNAPSHOT, n.trees.kind(cSnap.disk()), "a disk a healthy record names stays");
            n.reopen();
            assertTrue(n.ctl.quarantine().isEmpty(), n.ctl.quarantine().toString());
            assertEquals(List.of("b", "c"), n.ctl.listLuns().stream().map(LunRecord::name).toList());
            assertEquals(List.of("c-snap"), n.ctl.listSnapshots().stream().map(SnapshotRecord::name).toList());
            assertNull(n.ctl.listSnapshots().stream().filter(s -> s.name().equals("stray")).findAny().orElse(null));
            got = new byte[data.length];
            n.ctl.read("b", 0, got);
            assertArrayEquals(data, got);
        }
    }
}
