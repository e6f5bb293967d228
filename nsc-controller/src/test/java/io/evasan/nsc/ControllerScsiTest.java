package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The controller's data path through the SCSI target: cache, tree, masking, bad input. */
public class ControllerScsiTest {

    @Test
    void shouldWriteAndReadThroughTheCacheAndTree() {
        try (Nsc n = new Nsc("scsi-rw")) {
            LunRecord r = n.ctl.createLun("a", 4L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] data = Nsc.pattern(64 * 512, 1);
            assertTrue(n.runNoUa(x, 0, write10(100, 64, false), data, data.length).good());
            Nsc.Result rd = n.runNoUa(x, 0, read10(100, 64), null, data.length);
            assertTrue(rd.good(), rd.toString());
            assertArrayEquals(data, rd.data, "reads see cached data");
            // FUA: on the tree when the command completes
            byte[] f = Nsc.pattern(8 * 512, 2);
            assertTrue(n.runNoUa(x, 0, write10(3000, 8, true), f, f.length).good());
            assertArrayEquals(f, n.readDisk(r.disk(), 3000L * 512, f.length), "FUA data on the tree");
            // SYNCHRONIZE CACHE: everything on the tree
            assertTrue(n.runNoUa(x, 0, Nsc.syncCache10(), null, 0).good());
            assertArrayEquals(data, n.readDisk(r.disk(), 100L * 512, data.length), "synchronized data on the tree");
            assertEquals(0, n.ctl.cache().dirtyBytes());
        }
    }

    public static byte[] unmapCdb() {
        byte[] cdb = new byte[10];
        cdb[0] = 0x42;
        cdb[8] = 24;
        return cdb;
    }

    public static byte[] unmapList(long lba, int blocks) {
        byte[] list = new byte[24];
        list[1] = 22;
        list[3] = 16;
        for (int i = 0; i < 8; i++) {
            list[8 + 7 - i] = (byte) (lba >>> (8 * i));
        }
        for (int i = 0; i < 4; i++) {
            list[8 + 11 - i] = (byte) (blocks >>> (8 * i));
        }
        return list;
    }

    static byte[] getLbaStatus(long lba) {
        byte[] gls = new byte[16];
        gls[0] = (byte) 0x9E;
        gls[1] = 0x12;
        for (int i = 0; i < 8; i++) {
            gls[9 - i] = (byte) (lba >>> (8 * i));
        }
        gls[13] = 64;
        return gls;
    }

    @Test
    void shouldUnmapFreeingWholeSegmentsAndReportLbaStatus() {
        try (Nsc n = new Nsc("scsi-unmap")) {
            LunRecord lun = n.ctl.createLun("a", 2L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            int segBlocks = Nsc.SEG / 512;
            byte[] data = Nsc.pattern(3 * Nsc.SEG, 3);
            assertTrue(n.runNoUa(x, 0, write10(0, 3 * segBlocks, false), data, data.length).good());
            // partial: LBA 12 + 8 blocks read zeros, the segment stays mapped
            assertTrue(n.runNoUa(x, 0, unmapCdb(), unmapList(12, 8), 24).good());
            // whole segment 1 (still only in the cache: the UNMAP destages it first, then frees it)
            assertTrue(n.runNoUa(x, 0, unmapCdb(), unmapList(segBlocks, segBlocks), 24).good());
            byte[] want = data.clone();
            Arrays.fill(want, 12 * 512, 20 * 512, (byte) 0);
            Arrays.fill(want, Nsc.SEG, 2 * Nsc.SEG, (byte) 0);
            assertArrayEquals(want, n.runNoUa(x, 0, read10(0, 3 * segBlocks), null, want.length).data);
            assertTrue(n.trees.mapped(lun.disk(), 0));
            assertTrue(!n.trees.mapped(lun.disk(), 1), "whole segment freed in the tree");
            Nsc.Result s = n.runNoUa(x, 0, getLbaStatus(0), null, 64);
            assertTrue(s.good(), s.toString());
            int descs = ((s.data[0] & 0xFF) << 24 | (s.data[1] & 0xFF) << 16 | (s.data[2] & 0xFF) << 8 | (s.data[3] & 0xFF) - 4) / 16;
            assertTrue(descs >= 3, "mapped / deallocated / mapped: " + descs);
            assertEquals(0, s.data[8 + 12] & 0x0F, "segment 0 mapped");
            assertEquals(segBlocks, ((s.data[8 + 8] & 0xFF) << 24 | (s.data[8 + 9] & 0xFF) << 16
                    | (s.data[8 + 10] & 0xFF) << 8 | (s.data[8 + 11] & 0xFF)), "first extent = segment 0");
            assertEquals(1, s.data[24 + 12] & 0x0F, "segment 1 deallocated");
            assertEquals(0, s.data[40 + 12] & 0x0F, "segment 2 mapped");
        }
    }

    @Test
    void shouldNotLetAnUnmapOvertakeAnEarlierSnapshot() throws Exception {
        try (Nsc n = new Nsc("scsi-unmap-marker")) {
            n.ctl.createLun("a", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            int segBlocks = Nsc.SEG / 512;
            byte[] data = Nsc.pattern(Nsc.SEG, 4);
            assertTrue(n.runNoUa(x, 0, write10(0, segBlocks, true), data, data.length).good());   // on the tree
            n.ctl.cache().pauseDestage();
            // the marker waits behind a cached write to ANOTHER segment: nothing of the UNMAP's range is cached
            byte[] other = Nsc.pattern(Nsc.SEG, 5);
            assertTrue(n.runNoUa(x, 0, write10(segBlocks, segBlocks, false), other, other.length).good());
            io.evasan.nsc.marker.SnapshotMarker m = n.ctl.snapshot("a", "before-unmap", false);
            java.util.concurrent.CompletableFuture<io.evasan.scsi.ScsiTask> u = n.submit(x, 0, unmapCdb(), unmapList(0, segBlocks), 24);
            Thread.sleep(30);
            assertTrue(!u.isDone(), "the UNMAP waits for the earlier marker");
            n.ctl.cache().resumeDestage();
            m.taken().get();
            assertEquals(io.evasan.scsi.ScsiStatus.GOOD, Nsc.result(u.get(30, java.util.concurrent.TimeUnit.SECONDS)).status);
            long snap = n.ctl.listSnapshots().get(0).disk();
            assertArrayEquals(data, n.readDisk(snap, 0, data.length), "snapshot holds the data written before it");
            assertArrayEquals(new byte[data.length], n.runNoUa(x, 0, read10(0, segBlocks), null, data.length).data);
        }
    }

    @Test
    void shouldNeverReachAnUnpresentedLun() {
        try (Nsc n = new Nsc("scsi-mask")) {
            LunRecord r = n.ctl.createLun("a", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus other = n.nexus("iqn.2026-01.test:other");
            byte[] data = Nsc.pattern(8 * 512, 4);
            Nsc.Result w = n.runNoUa(other, 0, write10(0, 8, true), data, data.length);
            assertEquals(ScsiStatus.CHECK_CONDITION, w.status);
            assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, w.sense);
            assertEquals(0, n.ctl.cache().dirtyBytes());
            assertArrayEquals(new byte[data.length], n.readDisk(r.disk(), 0, data.length));
            // after unpresent the own initiator no longer reaches it either
            ItNexus x = n.nexus(Nsc.HOST);
            n.ctl.unpresentLun(Nsc.HOST, 0);
            Nsc.Result w2 = n.runNoUa(x, 0, write10(0, 8, true), data, data.length);
            assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, w2.sense);
            assertArrayEquals(new byte[data.length], n.readDisk(r.disk(), 0, data.length));
        }
    }

    @Test
    void shouldRejectBadManagementInputAndChangeNothing() {
        try (Nsc n = new Nsc("scsi-bad")) {
            n.ctl.createLun("a", 1L << 20);
            assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(StorageException.class,
                    () -> n.ctl.createLun("a", 1L << 20)).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class,
                    () -> n.ctl.createLun("b", 1000)).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class,
                    () -> n.ctl.createLun("", 4096)).code());
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> n.ctl.presentLun(Nsc.HOST, 0, "nope")).code());
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> n.ctl.deleteLun("nope")).code());
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> n.ctl.snapshot("nope", "s", false)).code());
            n.ctl.createLun("b", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(StorageException.class,
                    () -> n.ctl.presentLun(Nsc.HOST, 0, "b")).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class,
                    () -> n.ctl.presentLun(Nsc.HOST, 99999, "b")).code());
            assertEquals(2, n.ctl.listLuns().size());
            assertEquals(1, n.ctl.listPresentations().size());
            assertEquals(2, n.trees.disks().size(), "no tree disk leaked by the refused creates");
        }
    }

    @Test
    void shouldDeleteALunWithItsCachedWritesAndSnapshots() throws Exception {
        try (Nsc n = new Nsc("scsi-del")) {
            n.ctl.createLun("a", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] data = Nsc.pattern(8 * 512, 5);
            assertTrue(n.runNoUa(x, 0, write10(0, 8, false), data, data.length).good());
            n.ctl.snapshot("a", "a-s1", false).taken().get();
            assertEquals(2, n.trees.disks().size());
            n.ctl.deleteLun("a", true);   // presented, with a snapshot: forced
            assertEquals(0, n.trees.disks().size());
            assertEquals(0, n.ctl.listSnapshots().size());
            assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, n.runNoUa(x, 0, read10(0, 8), null, 4096).sense);
            LunRecord b = n.ctl.createLun("b", 1L << 20);
            assertEquals(0, b.id(), "LUN ids are reused lowest first");
        }
    }

    @Test
    void shouldTakeApiSnapshotsAndSnapclonesThroughTheMarker() throws Exception {
        try (Nsc n = new Nsc("scsi-snap")) {
            LunRecord r = n.ctl.createLun("a", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] v1 = Nsc.pattern(8 * 512, 31);
            byte[] v2 = Nsc.pattern(8 * 512, 32);
            n.ctl.cache().pauseDestage();   // v1 is only in the cache when the snapshot is requested
            assertTrue(n.runNoUa(x, 0, write10(0, 8, false), v1, v1.length).good());
            io.evasan.nsc.marker.SnapshotMarker m = n.ctl.snapshot("a", "a-1", false);
            io.evasan.nsc.marker.SnapshotMarker auto = n.ctl.snapshot("a");
            assertTrue(n.runNoUa(x, 0, write10(0, 8, false), v2, v2.length).good());
            n.ctl.cache().resumeDestage();
            m.taken().get();
            auto.taken().get();
            io.evasan.nsc.marker.SnapshotMarker c = n.ctl.snapshot("a", "a-clone", true);
            c.taken().get();
            assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(StorageException.class,
                    () -> n.ctl.snapshot("a", "a-1", false)).code());
            io.evasan.nsc.lun.SnapshotRecord s1 = n.ctl.listSnapshots().get(0);
            assertEquals("a-1", s1.name());
            assertArrayEquals(v1, n.readDisk(s1.disk(), 0, v1.length), "snapshot = writes acknowledged before the request");
            assertEquals(3, n.ctl.listSnapshots().size());
            io.evasan.nsc.lun.SnapshotRecord cr = n.ctl.listSnapshots().stream().filter(q -> q.name().equals("a-clone")).findFirst().orElseThrow();
            assertTrue(cr.snapclone());
            assertEquals(io.evasan.sharing.DiskKind.SNAPCLONE, n.trees.kind(cr.disk()));
            assertArrayEquals(v2, n.readDisk(cr.disk(), 0, v2.length));
            assertArrayEquals(v2, n.readDisk(r.disk(), 0, v2.length));
            n.ctl.deleteSnapshot("a-1");
            assertEquals(2, n.ctl.listSnapshots().size());
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class, () -> n.ctl.deleteSnapshot("a-1")).code());
        }
    }

    @Test
    void shouldRollALunBackToItsSnapshot() throws Exception {
        try (Nsc n = new Nsc("scsi-rollback")) {
            n.ctl.createLun("a", 1L << 20);
            n.ctl.createLun("b", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] a = Nsc.pattern(2 * Nsc.SEG, 41);
            byte[] b = Nsc.pattern(2 * Nsc.SEG, 42);
            int blocks = 2 * Nsc.SEG / 512;
            assertTrue(n.runNoUa(x, 0, write10(0, blocks, false), a, a.length).good());
            n.ctl.snapshot("a", "a-good", false).taken().get();
            n.ctl.snapshot("b", "b-snap", false).taken().get();
            assertTrue(n.runNoUa(x, 0, write10(0, blocks, false), b, b.length).good());   // still cached
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class,
                    () -> n.ctl.rollbackLun("a", "b-snap")).code());
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class,
                    () -> n.ctl.rollbackLun("a", "nope")).code());
            assertArrayEquals(b, n.runNoUa(x, 0, read10(0, blocks), null, b.length).data, "refusals changed nothing");
            n.ctl.rollbackLun("a", "a-good");
            assertArrayEquals(a, n.runNoUa(x, 0, read10(0, blocks), null, a.length).data, "rolled back");
            assertArrayEquals(a, n.readDisk(n.ctl.listSnapshots().get(0).disk(), 0, a.length), "snapshot kept");
        }
    }

    /** Seeded random SCSI workload against a byte-array model, then a reopen (cache drained). */
    @Test
    void shouldMatchAModelUnderRandomScsiIo() {
        long seed = Long.getLong("evasan.seed", 20261122L);
        int steps = Integer.getInteger("evasan.steps", 600);
        System.out.println("ControllerScsiTest seed=" + seed + " steps=" + steps);
        Random rnd = new Random(seed);
        int blocks = 4096;
        byte[] model = new byte[blocks * 512];
        try (Nsc n = new Nsc("scsi-model")) {
            n.ctl.createLun("m", (long) blocks * 512);
            n.ctl.presentLun("*", 0, "m");
            ItNexus x = n.nexus(Nsc.HOST);
            for (int step = 0; step < steps; step++) {
                int op = rnd.nextInt(10);
                int len = 1 + rnd.nextInt(64);
                int lba = rnd.nextInt(blocks - len + 1);
                String where = "seed=" + seed + " step=" + step + " op=" + op + " lba=" + lba + " len=" + len;
                if (op < 5) {
                    byte[] d = Nsc.pattern(len * 512, seed * 1000003 + step);
                    Nsc.Result r = n.runNoUa(x, 0, write10(lba, len, rnd.nextInt(8) == 0), d, d.length);
                    assertTrue(r.good(), where + " " + r);
                    System.arraycopy(d, 0, model, lba * 512, d.length);
                } else if (op < 8) {
                    Nsc.Result r = n.runNoUa(x, 0, read10(lba, len), null, len * 512);
                    assertTrue(r.good(), where + " " + r);
                    assertArrayEquals(Arrays.copyOfRange(model, lba * 512, (lba + len) * 512), r.data, where);
                } else if (op == 8) {
                    int ulen = rnd.nextBoolean() ? len : 1 + rnd.nextInt(400);   // whole segments too
                    int ulba = rnd.nextInt(blocks - ulen + 1);
                    assertTrue(n.runNoUa(x, 0, unmapCdb(), unmapList(ulba, ulen), 24).good(), where);
                    Arrays.fill(model, ulba * 512, (ulba + ulen) * 512, (byte) 0);
                } else {
                    assertTrue(n.runNoUa(x, 0, Nsc.syncCache10(), null, 0).good(), where);
                }
            }
            n.reopen();
            byte[] all = new byte[model.length];
            n.ctl.read("m", 0, all);
            assertArrayEquals(model, all, "after reopen, seed=" + seed);
            assertArrayEquals(model, n.readDisk(n.ctl.lun("m").disk(), 0, model.length), "tree holds the model");
        }
    }
}
