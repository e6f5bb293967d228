package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.sharing.DiskKind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots as host-visible disks: a snapclone whose BGCOPY finished becomes a primary LUN (also when
 * the process died between the tree's detach and the LUN table write), snapshots are presented
 * read-write through the cache and their presentations survive restarts, bad input changes nothing,
 * and a seeded model run mixes all of it.
 */
class SnapshotPresentationTest {
    private static final int MIB = 1 << 20;
    private static final int BLOCKS = 128;   // 64 KiB per write in these tests

    private static SnapshotRecord snap(Controller c, String name) {
        return c.listSnapshots().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    private static LunRecord lunOrNull(Controller c, String name) {
        return c.listLuns().stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
    }

    private static void write(Nsc f, ItNexus n, int hostLun, long lba, byte[] data) {
        Nsc.Result r = f.runNoUa(n, hostLun, Nsc.write10(lba, data.length / 512, false), data, data.length);
        assertTrue(r.good(), "write host LUN " + hostLun + " lba " + lba + ": " + r);
    }

    private static byte[] read(Nsc f, ItNexus n, int hostLun, long lba, int bytes) {
        Nsc.Result r = f.runNoUa(n, hostLun, Nsc.read10(lba, bytes / 512), null, bytes);
        assertTrue(r.good(), "read host LUN " + hostLun + " lba " + lba + ": " + r);
        return r.data;
    }

    private static void take(Controller c, String lun, String name, boolean clone) throws Exception {
        c.snapshot(lun, name, clone).taken().get(30, TimeUnit.SECONDS);
    }

    private static void finishBgcopy(Nsc f, long disk) {
        for (int i = 0; i < 10_000 && f.trees.bgcopyStep(disk, 4) > 0; i++) {
            // step until the clone has left the tree
        }
        assertEquals(DiskKind.LUN, f.trees.kind(disk), "the clone left its tree");
    }

    @Test
    void shouldPromoteAFinishedSnapcloneToAnOrdinaryLun() throws Exception {
        try (Nsc f = new Nsc("promote")) {
            Controller c = f.ctl;
            LunRecord src = c.createLun("src", MIB);
            c.presentLun(Nsc.HOST, 0, "src");
            ItNexus n = f.nexus(Nsc.HOST);
            byte[] a = Nsc.pattern(BLOCKS * 512, 1);
            byte[] b = Nsc.pattern(BLOCKS * 512, 2);
            write(f, n, 0, 0, a);
            take(c, "src", "c1", true);
            SnapshotRecord s = snap(c, "c1");
            assertNotNull(s);
            write(f, n, 0, 0, b);
            finishBgcopy(f, s.disk());
            c.promoteDetachedSnapclones();

            LunRecord l = c.lun("c1");
            assertEquals(LunRecord.Kind.PRIMARY, l.kind());
            assertEquals(s.id(), l.id(), "the clone keeps its unit id");
            assertEquals(s.uid(), l.uid(), "and its uid (NAA, serial)");
            assertEquals(s.disk(), l.disk());
            assertEquals(MIB, l.sizeBytes(), "the source's size when the clone was taken");
            assertEquals(f.trees.diskGroup(src.disk()), f.trees.diskGroup(l.disk()), "the source's disk group");
            assertNull(snap(c, "c1"), "the snapshot record is gone");
            assertTrue(c.promotedSnapclones().stream().anyMatch(p -> p.snapshotName().equals("c1") && p.lunName().equals("c1")));
            assertTrue(c.promoteDetachedSnapclones().isEmpty(), "idempotent");

            // a full LUN: present, read the clone's data, write independently of the source
            c.presentLun(Nsc.HOST, 1, "c1");
            assertArrayEquals(a, read(f, n, 1, 0, a.length), "the clone holds the source as it was");
            byte[] x = Nsc.pattern(BLOCKS * 512, 3);
            write(f, n, 1, BLOCKS, x);
            assertArrayEquals(x, read(f, n, 1, BLOCKS, x.length));
            assertArrayEquals(b, read(f, n, 0, 0, b.length), "the source is untouched");
            assertArrayEquals(new byte[x.length], read(f, n, 0, BLOCKS, x.length), "the source is untouched");
            io.evasan.scsi.target.ScsiStats.LuStats stats = ((io.evasan.scsi.target.impl.DiskTarget) c.scsiTarget()).stats().of(c.logicalUnit("c1"));
            assertEquals("c1", stats.lunName(), "LUN meters under the LUN's name");
            assertTrue(stats.reads().count() >= 1 && stats.writes().count() >= 1, "host I/O of the promoted LUN is metered");
            // resize (alone in its tree), snapshot, snapclone, delete
            assertEquals(2L * MIB, c.resizeLun("c1", 2L * MIB).sizeBytes());
            take(c, "c1", "c1-s", false);
            assertEquals(l.id(), snap(c, "c1-s").lunId());
            byte[] got = new byte[a.length];
            c.readSnapshot("c1-s", 0, got);
            assertArrayEquals(a, got);
            c.deleteLun("c1", true);   // presented, with a snapshot: forced
            assertNull(lunOrNull(c, "c1"));
            assertNull(snap(c, "c1-s"));
            assertArrayEquals(b, read(f, n, 0, 0, b.length), "the source is untouched");
        }
    }

    @Test
    void shouldPromoteAtOpenWhenTheTreeDetachedTheCloneButTheTableStillSaysSnapshot() throws Exception {
        try (Nsc f = new Nsc("promote-crash")) {
            Controller c = f.ctl;
            c.createLun("src", MIB);
            c.presentLun(Nsc.HOST, 0, "src");
            ItNexus n = f.nexus(Nsc.HOST);
            byte[] a = Nsc.pattern(BLOCKS * 512, 11);
            write(f, n, 0, 3 * BLOCKS, a);
            take(c, "src", "c2", true);
            c.presentSnapshot(Nsc.HOST, 7, "c2");
            SnapshotRecord s = snap(c, "c2");
            c.close();   // no promoter runs from here on
            finishBgcopy(f, s.disk());   // the tree detached the clone; the table still says snapshot
            Controller d = f.open();
            LunRecord l = d.lun("c2");
            assertEquals(s.id(), l.id());
            assertNull(snap(d, "c2"));
            assertTrue(d.listPresentations().contains(new Presentation(Nsc.HOST, 7, l.id())),
                    "the snapshot presentation became a LUN presentation " + d.listPresentations());
            ItNexus n2 = f.nexus(Nsc.HOST);
            assertArrayEquals(a, read(f, n2, 7, 3 * BLOCKS, a.length));
            Controller e = f.reopen();   // idempotent: one LUN, same id
            assertEquals(1, e.listLuns().stream().filter(x -> x.name().equals("c2")).count());
            assertEquals(l, e.lun("c2"));
            assertTrue(e.listSnapshots().isEmpty());
        }
    }

    @Test
    void shouldPromoteInTheBackgroundWhenTheCopyFinishes() throws Exception {
        try (Nsc f = new Nsc("promote-bg")) {
            Controller c = f.ctl;
            c.createLun("src", MIB);
            take(c, "src", "c3", true);
            finishBgcopy(f, snap(c, "c3").disk());
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (lunOrNull(c, "c3") == null && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertNotNull(lunOrNull(c, "c3"), "the controller's background check promoted the clone");
            assertNull(snap(c, "c3"));
        }
    }

    @Test
    void shouldPresentASnapshotReadWriteAndKeepThePresentationAcrossRestart() throws Exception {
        try (Nsc f = new Nsc("present")) {
            Controller c = f.ctl;
            c.createLun("src", MIB);
            c.presentLun(Nsc.HOST, 0, "src");
            ItNexus n = f.nexus(Nsc.HOST);
            byte[] a = Nsc.pattern(BLOCKS * 512, 21);
            byte[] b = Nsc.pattern(BLOCKS * 512, 22);
            byte[] w = Nsc.pattern(BLOCKS * 512, 23);
            write(f, n, 0, 0, a);
            take(c, "src", "s1", false);
            c.presentSnapshot(Nsc.HOST, 5, "s1");
            assertEquals(List.of(new Presentation(Nsc.HOST, 5, snap(c, "s1").id())), c.snapshotPresentations("s1"));
            write(f, n, 0, 0, b);
            assertArrayEquals(a, read(f, n, 5, 0, a.length), "the snapshot holds the old data");
            assertEquals(MIB / 512, c.snapshotLogicalUnit("s1").blockCount());
            byte[] modeSense = {0x1A, 0, 0x3F, 0, (byte) 255, 0};
            Nsc.Result ms = f.runNoUa(n, 5, modeSense, null, 255);
            assertTrue(ms.good(), ms.toString());
            assertEquals(0, ms.data[2] & 0x80, "MODE SENSE header: WP clear, the presented snapshot is writable");
            write(f, n, 5, BLOCKS, w);   // read-write: the snapshot changes, the source does not
            assertArrayEquals(w, read(f, n, 5, BLOCKS, w.length));
            assertArrayEquals(new byte[w.length], read(f, n, 0, BLOCKS, w.length));
            assertArrayEquals(b, read(f, n, 0, 0, b.length));

            Controller d = f.reopen();
            assertEquals(List.of(new Presentation(Nsc.HOST, 5, snap(d, "s1").id())), d.snapshotPresentations("s1"));
            ItNexus n2 = f.nexus(Nsc.HOST);
            assertArrayEquals(a, read(f, n2, 5, 0, a.length), "after restart");
            assertArrayEquals(w, read(f, n2, 5, BLOCKS, w.length), "the snapshot's own write survived the restart");
            assertArrayEquals(b, read(f, n2, 0, 0, b.length));
            assertTrue(d.unpresentSnapshot(Nsc.HOST, 5, "s1"));
            assertTrue(d.snapshotPresentations("s1").isEmpty());
            Nsc.Result gone = f.run(n2, 5, Nsc.read10(0, 1), null, 512);
            assertEquals(ScsiStatus.CHECK_CONDITION, gone.status);
            d.deleteSnapshot("s1");
            assertNull(snap(d, "s1"));
        }
    }

    @Test
    void shouldRefuseBadSnapshotPresentationsAndChangeNothing() throws Exception {
        try (Nsc f = new Nsc("present-bad")) {
            Controller c = f.ctl;
            c.createLun("src", MIB);
            c.presentLun(Nsc.HOST, 0, "src");
            take(c, "src", "s1", false);
            c.presentSnapshot(Nsc.HOST, 4, "s1");
            List<Presentation> before = c.listPresentations();
            List<SnapshotRecord> snaps = c.listSnapshots();
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> c.presentSnapshot(Nsc.HOST, 2, "nosuch")).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class,
                    () -> c.presentSnapshot(Nsc.HOST, 16384, "s1")).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class,
                    () -> c.presentSnapshot("", 2, "s1")).code());
            assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(StorageException.class,
                    () -> c.presentSnapshot(Nsc.HOST, 0, "s1")).code(), "host LUN 0 presents the LUN");
            assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(StorageException.class,
                    () -> c.presentLun(Nsc.HOST, 4, "src")).code(), "host LUN 4 presents the snapshot");
            assertFalse(c.unpresentSnapshot(Nsc.HOST, 0, "s1"), "host LUN 0 is not the snapshot's");
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> c.unpresentSnapshot(Nsc.HOST, 4, "nosuch")).code());
            StorageException del = assertThrows(StorageException.class, () -> c.deleteSnapshot("s1"));
            assertEquals(ErrorCode.INVALID_STATE, del.code());
            assertTrue(del.getMessage().contains(Nsc.HOST) && del.getMessage().contains("host LUN 4"), del.getMessage());
            assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(StorageException.class,
                    () -> c.createLun("s1", MIB)).code(), "a LUN may not take a snapshot's name");
            assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(StorageException.class,
                    () -> c.snapshot("src", "src", true)).code(), "a snapshot may not take a LUN's name");
            assertEquals(before, c.listPresentations());
            assertEquals(snaps, c.listSnapshots());
            assertEquals(1, c.listLuns().size());
            ItNexus n = f.nexus(Nsc.HOST);
            assertTrue(f.runNoUa(n, 4, Nsc.read10(0, 1), null, 512).good(), "still presented");
        }
    }

    @Test
    void shouldRollBackToAPresentedSnapshotKeepingItsContentForItsHosts() throws Exception {
        try (Nsc f = new Nsc("present-rollback")) {
            Controller c = f.ctl;
            c.createLun("src", MIB);
            c.presentLun(Nsc.HOST, 0, "src");
            ItNexus n = f.nexus(Nsc.HOST);
            byte[] a = Nsc.pattern(BLOCKS * 512, 31);
            byte[] b = Nsc.pattern(BLOCKS * 512, 32);
            byte[] w = Nsc.pattern(BLOCKS * 512, 33);
            write(f, n, 0, 0, a);
            write(f, n, 0, BLOCKS, a);
            take(c, "src", "s1", false);
            c.presentSnapshot(Nsc.HOST, 6, "s1");
            write(f, n, 6, 0, w);   // the snapshot's host writes; still in the cache at the rollback
            write(f, n, 0, 0, b);
            write(f, n, 0, BLOCKS, b);
            c.rollbackLun("src", "s1");
            assertArrayEquals(w, read(f, n, 0, 0, w.length), "the LUN reads what the snapshot read");
            assertArrayEquals(a, read(f, n, 0, BLOCKS, a.length));
            assertArrayEquals(w, read(f, n, 6, 0, w.length), "the snapshot keeps its content");
            assertArrayEquals(a, read(f, n, 6, BLOCKS, a.length));
            write(f, n, 0, 0, b);
            assertArrayEquals(w, read(f, n, 6, 0, w.length), "and stays independent after the rollback");
        }
    }

    @Test
    void shouldDeleteALunWithItsPresentedSnapshots() throws Exception {
        try (Nsc f = new Nsc("present-deletelun")) {
            Controller c = f.ctl;
            c.createLun("src", MIB);
            take(c, "src", "s1", false);
            c.presentSnapshot(Nsc.HOST, 3, "s1");
            c.deleteLun("src", true);   // its snapshot is presented: forced
            assertTrue(c.listPresentations().isEmpty(), c.listPresentations().toString());
            assertTrue(c.listSnapshots().isEmpty());
            Controller d = f.reopen();
            assertTrue(d.listPresentations().isEmpty());
            LunRecord again = d.createLun("src2", MIB);
            assertEquals(0, again.id(), "the ids are free again");
        }
    }

    /**
     * Seeded model run: writes to the LUN, to presented snapshots and snapclones and to promoted clones,
     * snapshots, snapclones, BGCOPY steps, promotions, restarts; every disk checked against byte arrays.
     */
    @Test
    void shouldMatchTheModelUnderRandomSnapshotPresentationAndPromotion() throws Exception {
        long seed = Long.getLong("seed", System.nanoTime());
        System.out.println("SnapshotPresentationTest model seed " + seed + " (-Dseed=" + seed + ")");
        Random rnd = new Random(seed);
        int size = MIB / 2;
        int unit = 32 * 1024;
        try (Nsc f = new Nsc("present-model")) {
            Map<String, byte[]> model = new HashMap<>();   // every host-visible disk: LUNs and presented snapshots
            Map<String, Integer> hostLun = new HashMap<>();
            f.ctl.createLun("lun", size);
            f.ctl.presentLun(Nsc.HOST, 0, "lun");
            model.put("lun", new byte[size]);
            hostLun.put("lun", 0);
            ItNexus n = f.nexus(Nsc.HOST);
            int next = 1;
            int step = 0;
            try {
                for (step = 0; step < 250; step++) {
                    Controller c = f.ctl;
                    List<String> names = new ArrayList<>(model.keySet());
                    names.sort(null);
                    int op = rnd.nextInt(100);
                    if (op < 55) {
                        String d = names.get(rnd.nextInt(names.size()));
                        int off = rnd.nextInt(size / unit) * unit;
                        byte[] p = Nsc.pattern(unit, rnd.nextLong());
                        write(f, n, hostLun.get(d), off / 512, p);
                        System.arraycopy(p, 0, model.get(d), off, unit);
                    } else if (op < 65 && next < 40) {
                        String src = "lun";
                        boolean clone = rnd.nextBoolean() && c.listSnapshots().stream().noneMatch(SnapshotRecord::snapclone);
                        String name = "s" + next;
                        take(c, src, name, clone);
                        c.presentSnapshot(Nsc.HOST, next, name);
                        model.put(name, model.get(src).clone());
                        hostLun.put(name, next);
                        next++;
                    } else if (op < 80) {
                        for (SnapshotRecord s : c.listSnapshots()) {
                            if (s.snapclone()) {
                                f.trees.bgcopyStep(s.disk(), 1 + rnd.nextInt(4));
                            }
                        }
                        if (rnd.nextBoolean()) {
                            c.promoteDetachedSnapclones();
                        }
                    } else if (op < 85) {
                        f.reopen();
                        n = f.nexus(Nsc.HOST);
                    } else if (op < 90) {
                        List<String> snaps = new ArrayList<>();
                        c.listSnapshots().forEach(s -> snaps.add(s.name()));
                        if (!snaps.isEmpty()) {
                            String s = snaps.get(rnd.nextInt(snaps.size()));
                            assertTrue(c.unpresentSnapshot(Nsc.HOST, hostLun.get(s), s));
                            c.deleteSnapshot(s);
                            model.remove(s);
                            hostLun.remove(s);
                        }
                    } else {
                        for (String d : names) {
                            byte[] got = read(f, n, hostLun.get(d), 0, size);
                            assertArrayEquals(model.get(d), got, "disk " + d);
                        }
                    }
                    for (String d : model.keySet()) {   // a promoted clone is a LUN; a snapshot is not
                        boolean isLun = lunOrNull(f.ctl, d) != null;
                        boolean isSnap = snap(f.ctl, d) != null;
                        assertTrue(isLun ^ isSnap, d + " is exactly one of LUN / snapshot");
                    }
                }
                for (String d : model.keySet()) {
                    assertArrayEquals(model.get(d), read(f, n, hostLun.get(d), 0, size), "disk " + d + " at the end");
                }
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + " step " + step + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void shouldNotReportASnapshotOfAPresentedSnapshotAsTaken() throws Exception {
        try (Nsc f = new Nsc("present-marker")) {
            Controller c = f.ctl;
            c.createLun("src", MIB);
            take(c, "src", "s1", false);
            c.presentSnapshot(Nsc.HOST, 2, "s1");
            ItNexus n = f.nexus(Nsc.HOST);
            byte[] cdb = new byte[16];
            cdb[0] = (byte) 0xC0;
            cdb[1] = 0x01;
            Nsc.Result r = f.runNoUa(n, 2, cdb, null, 0);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status, "a marker addressed to a snapshot is refused: " + r);
            assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, r.sense, r.toString());
            assertEquals(1, c.listSnapshots().size());
        }
    }
}
