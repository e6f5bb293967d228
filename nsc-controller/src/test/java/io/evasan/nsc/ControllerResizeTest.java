package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Controller.resizeLun: grow, shrink, data below the end, capacity seen by hosts, bad sizes, persistence. */
class ControllerResizeTest {
    private static long readCapacity10(Nsc n, ItNexus x) {
        byte[] cdb = new byte[10];
        cdb[0] = 0x25;
        Nsc.Result r = n.run(x, 0, cdb, null, 8);
        assertTrue(r.good(), r.toString());
        return ByteBuffer.wrap(r.data).getInt(0) & 0xFFFF_FFFFL;   // last LBA
    }

    @Test
    void shouldGrowAndShrinkKeepingTheDataBelowTheEndAndTellHosts() {
        try (Nsc n = new Nsc("resize-scsi")) {
            n.ctl.createLun("a", 1L << 20);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] data = Nsc.pattern(16 * 512, 11);
            assertTrue(n.runNoUa(x, 0, write10(2040, 8, false), Arrays.copyOf(data, 8 * 512), 8 * 512).good());
            assertTrue(n.runNoUa(x, 0, write10(100, 16, false), data, data.length).good());
            assertEquals(2047, readCapacity10(n, x));

            LunRecord g = n.ctl.resizeLun("a", 3L << 20);
            assertEquals(3L << 20, g.sizeBytes());
            Nsc.Result ua = n.run(x, 0, Nsc.tur(), null, 0);
            assertEquals(ScsiStatus.CHECK_CONDITION, ua.status, ua.toString());
            assertEquals(SenseCodes.CAPACITY_DATA_HAS_CHANGED, ua.sense, ua.toString());
            assertEquals(3 * 2048 - 1, readCapacity10(n, x));
            Nsc.Result rd = n.runNoUa(x, 0, read10(100, 16), null, data.length);
            assertArrayEquals(data, rd.data, "data below the old end survives a grow");
            rd = n.runNoUa(x, 0, read10(4000, 8), null, 8 * 512);
            assertArrayEquals(new byte[8 * 512], rd.data, "grown space reads zeros");

            n.ctl.resizeLun("a", 64 * 1024 + 512 * 200, true);   // presented: forced; not segment aligned, below LBA 2040
            assertEquals(SenseCodes.CAPACITY_DATA_HAS_CHANGED, n.run(x, 0, Nsc.tur(), null, 0).sense);
            assertEquals(128 + 200 - 1, readCapacity10(n, x));
            rd = n.runNoUa(x, 0, read10(100, 16), null, data.length);
            assertArrayEquals(data, rd.data, "data below the new end is intact");
            Nsc.Result beyond = n.runNoUa(x, 0, read10(2040, 8), null, 8 * 512);
            assertEquals(SenseCodes.LBA_OUT_OF_RANGE, beyond.sense, beyond.toString());

            n.ctl.resizeLun("a", 1L << 20);
            rd = n.runNoUa(x, 0, read10(2040, 8), null, 8 * 512);
            assertArrayEquals(new byte[8 * 512], rd.data, "a shrink discarded the data beyond its end");
            rd = n.runNoUa(x, 0, read10(100, 16), null, data.length);
            assertArrayEquals(data, rd.data);
        }
    }

    @Test
    void shouldRefuseBadSizesAndChangeNothing() {
        try (Nsc n = new Nsc("resize-bad")) {
            n.ctl.createLun("a", 1L << 20);
            for (long bad : new long[] {0, -512, 1000, (1L << 20) + 1}) {
                StorageException e = assertThrows(StorageException.class, () -> n.ctl.resizeLun("a", bad));
                assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), String.valueOf(bad));
            }
            assertEquals(ErrorCode.NOT_FOUND, assertThrows(StorageException.class, () -> n.ctl.resizeLun("nosuch", 1L << 20)).code());
            n.ctl.defineLogLun("log", 1L << 20);
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class, () -> n.ctl.resizeLun("log", 2L << 20)).code());
            assertEquals(1L << 20, n.ctl.lun("a").sizeBytes());
            assertEquals(1L << 20, n.ctl.lun("log").sizeBytes());
        }
    }

    @Test
    void shouldShrinkUnderSnapshotsAndRefuseToOutgrowTheTreeDisk() throws Exception {
        try (Nsc n = new Nsc("resize-snap")) {
            LunRecord a = n.ctl.createLun("a", 1L << 20);
            byte[] data = Nsc.pattern(Nsc.SEG, 21);
            n.ctl.cache().write(a.id(), a.id(), 15L * Nsc.SEG, ByteBuffer.wrap(data), true);
            n.ctl.snapshot("a", "s", false).taken().get();
            long snapDisk = n.ctl.listSnapshots().get(0).disk();
            n.ctl.resizeLun("a", 8L * Nsc.SEG, true);   // with a snapshot: forced
            assertArrayEquals(data, n.readDisk(snapDisk, 15L * Nsc.SEG, Nsc.SEG), "the snapshot keeps what the shrink discarded");
            n.ctl.resizeLun("a", 1L << 20);   // back within the tree disk: allowed with snapshots
            byte[] got = new byte[Nsc.SEG];
            n.ctl.read("a", 15L * Nsc.SEG, got);
            assertArrayEquals(new byte[Nsc.SEG], got);
            StorageException e = assertThrows(StorageException.class, () -> n.ctl.resizeLun("a", 2L << 20));
            assertEquals(ErrorCode.INVALID_STATE, e.code(), e.getMessage());
            assertEquals(1L << 20, n.ctl.lun("a").sizeBytes(), "a refused grow changed nothing");
        }
    }

    @Test
    void shouldMatchAModelUnderRandomWritesAndResizesAcrossARestart() {
        long seed = Long.getLong("seed", System.nanoTime());
        System.out.println("ControllerResizeTest seed " + seed);
        Random rnd = new Random(seed);
        int max = 32 * Nsc.SEG;
        byte[] model = new byte[max];
        try (Nsc n = new Nsc("resize-model")) {
            long size = 4L * Nsc.SEG;
            LunRecord a = n.ctl.createLun("a", size);
            for (int step = 0; step < 60; step++) {
                String where = "seed " + seed + " step " + step;
                int op = rnd.nextInt(10);
                if (op < 6) {
                    int blocks = 1 + rnd.nextInt(64);
                    long lba = rnd.nextLong(size / 512);
                    blocks = (int) Math.min(blocks, size / 512 - lba);
                    byte[] d = Nsc.pattern(blocks * 512, rnd.nextLong());
                    n.ctl.cache().write(a.id(), a.id(), lba * 512, ByteBuffer.wrap(d), rnd.nextBoolean());
                    System.arraycopy(d, 0, model, (int) (lba * 512), d.length);
                } else if (op < 9) {
                    long next = 512L * (1 + rnd.nextInt(max / 512));
                    n.ctl.resizeLun("a", next, true);
                    if (next < size) {
                        Arrays.fill(model, (int) next, (int) size, (byte) 0);
                    }
                    size = next;
                } else {
                    n.reopen();
                }
                assertEquals(size, n.ctl.lun("a").sizeBytes(), where);
                byte[] got = new byte[(int) size];
                n.ctl.read("a", 0, got);
                assertArrayEquals(Arrays.copyOf(model, (int) size), got, where);
                assertThrows(StorageException.class, () -> n.ctl.read("a", n.ctl.lun("a").sizeBytes(), new byte[512]), where);
            }
        }
    }
}
