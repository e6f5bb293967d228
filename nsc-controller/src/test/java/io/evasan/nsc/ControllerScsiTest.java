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
class ControllerScsiTest {

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

    @Test
    void shouldUnmapToZerosAndReportMapped() {
        try (Nsc n = new Nsc("scsi-unmap")) {
            n.ctl.createLun("a", 2L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] data = Nsc.pattern(32 * 512, 3);
            assertTrue(n.runNoUa(x, 0, write10(10, 32, false), data, data.length).good());
            byte[] cdb = new byte[10];
            cdb[0] = 0x42;
            cdb[8] = 24;
            byte[] list = new byte[24];
            list[1] = 22;
            list[3] = 16;
            list[8 + 7] = 12;    // LBA 12
            list[8 + 11] = 8;    // 8 blocks
            Nsc.Result u = n.runNoUa(x, 0, cdb, list, list.length);
            assertTrue(u.good(), u.toString());
            byte[] want = data.clone();
            Arrays.fill(want, 2 * 512, 10 * 512, (byte) 0);
            assertArrayEquals(want, n.runNoUa(x, 0, read10(10, 32), null, data.length).data);
            byte[] gls = new byte[16];
            gls[0] = (byte) 0x9E;
            gls[1] = 0x12;
            gls[13] = 64;
            Nsc.Result s = n.runNoUa(x, 0, gls, null, 64);
            assertTrue(s.good(), s.toString());
            assertEquals(0, s.data[8 + 12] & 0x0F, "mapped (the tree cannot deallocate yet)");
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
            n.ctl.deleteLun("a");
            assertEquals(0, n.trees.disks().size());
            assertEquals(0, n.ctl.listSnapshots().size());
            assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, n.runNoUa(x, 0, read10(0, 8), null, 4096).sense);
            LunRecord b = n.ctl.createLun("b", 1L << 20);
            assertEquals(0, b.id(), "LUN ids are reused lowest first");
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
                    byte[] cdb = new byte[10];
                    cdb[0] = 0x42;
                    cdb[8] = 24;
                    byte[] list = new byte[24];
                    list[1] = 22;
                    list[3] = 16;
                    list[8 + 6] = (byte) (lba >>> 8);
                    list[8 + 7] = (byte) lba;
                    list[8 + 11] = (byte) len;
                    assertTrue(n.runNoUa(x, 0, cdb, list, list.length).good(), where);
                    Arrays.fill(model, lba * 512, (lba + len) * 512, (byte) 0);
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
