package io.evasan.nsc.backup;

import io.evasan.nsc.Nsc;
import io.evasan.nsc.backup.SnapshotBackupTest.Setup;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.vendor.DcmdCodes;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 003 claims 1(iv) and 5: the old data of the first write to a sector (a 512-byte logical
 * block) during a snapshot backup lives in the log system drive's own space; the backup LUN reads a
 * sector from the log when it holds it, else the primary's; the log overflows at its exact capacity.
 */
class LogSystemDriveTest {
    static final int B = 512;

    private static void write(Setup s, long lba, byte[] data) {
        Nsc.Result r = s.cmd(0, write10(lba, data.length / B, true), data, data.length);
        assertTrue(r.good(), "write at " + lba + ": " + r);
    }

    private static byte[] read(Setup s, int hostLun, long lba, int blocks) {
        Nsc.Result r = s.cmd(hostLun, read10(lba, blocks), null, (long) blocks * B);
        assertTrue(r.good(), "read host LUN " + hostLun + " at " + lba + ": " + r);
        return r.data;
    }

    private static byte[] logBytes(Setup s, long slot) {
        byte[] b = new byte[B];
        s.n.trees.read(s.engine().activeLogDisk(), slot * B, b, 0, B);
        return b;
    }

    @Test
    void shouldKeepTheOldDataOfAFirstWriteInTheLogsOwnSpace() {
        try (Setup s = new Setup("logspace", true)) {
            s.fill(1);
            byte[] before = s.readAll(0);
            assertTrue(s.initiate(0).good());
            assertEquals(0, s.engine().logUsedSectors());
            long lba = 37;
            write(s, lba, Nsc.pattern(B, 5));
            assertEquals(1, s.engine().logUsedSectors(), "one sector preserved, not a segment");
            long slot = s.engine().logSlotOf(lba);
            assertEquals(0, slot);
            assertArrayEquals(Arrays.copyOfRange(before, (int) lba * B, (int) (lba + 1) * B), logBytes(s, slot),
                    "the old bytes are in the log LUN's space");
            write(s, lba, Nsc.pattern(B, 6));      // not the first write: nothing new in the log
            assertEquals(1, s.engine().logUsedSectors());
            write(s, lba + 1, Nsc.pattern(2 * B, 7));   // lba+1, lba+2: two more, slots 1 and 2
            assertEquals(3, s.engine().logUsedSectors());
            assertEquals(2, s.engine().logSlotOf(lba + 2));
            assertArrayEquals(Arrays.copyOfRange(before, (int) (lba + 2) * B, (int) (lba + 3) * B), logBytes(s, 2));
            // backup LUN: sectors 37..39 from the log, 36 and 40 from the primary (unchanged there)
            assertArrayEquals(Arrays.copyOfRange(before, 36 * B, 41 * B), read(s, 1, 36, 5));
            assertArrayEquals(Arrays.copyOfRange(before, 0, (int) SnapshotBackupTest.PRIM_SIZE), s.readAll(1));
        }
    }

    @Test
    void shouldOverflowAtTheLogsExactCapacity() {
        try (Setup s = new Setup("exact", true)) {
            s.fill(2);
            long n = s.engine().logCapacitySectors();
            assertEquals((long) SnapshotBackupTest.LOG_SEGMENTS * SnapshotBackupTest.SEG / B, n);
            assertTrue(s.initiate(0).good());
            long snap = s.engine().activeSnapshotDisk();
            // N first writes, each to a different sector (spread over the LUN, every third sector)
            for (long i = 0; i < n; i++) {
                write(s, i * 3, Nsc.pattern(B, 1000 + i));
            }
            assertEquals(n, s.engine().logUsedSectors());
            assertTrue(s.cmd(1, Nsc.tur(), null, 0).good(), "a full log is not an overflow");
            write(s, 0, Nsc.pattern(B, 9));         // a rewrite needs no slot
            assertTrue(s.cmd(1, Nsc.tur(), null, 0).good());
            write(s, 1, Nsc.pattern(B, 10));        // the N+1th first write: overflow
            assertEquals(BackupState.INACTIVE, s.engine().state());
            assertTrue(!s.n.trees.disks().contains(snap), "snapshot ended");
            Nsc.Result first = s.cmd(1, read10(0, 1), null, B);
            assertEquals(ScsiStatus.CHECK_CONDITION, first.status);
            assertEquals(DcmdCodes.LOG_OVERFLOW, first.sense, "09/81/22 once");
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, read10(0, 1), null, B).sense);
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, Nsc.tur(), null, 0).sense);
            assertArrayEquals(Nsc.pattern(B, 10), read(s, 0, 1, 1), "primary took the write");
            assertArrayEquals(Nsc.pattern(B, 9), read(s, 0, 0, 1));
        }
    }

    @Test
    void shouldMatchAnInMemoryModelUnderRandomWrites() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("LogSystemDriveTest seed=" + seed + " (rerun with -Devasan.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (Setup s = new Setup("random", true)) {
            s.fill(seed & 0xffff);
            int sectors = (int) (SnapshotBackupTest.PRIM_SIZE / B);
            long cap = s.engine().logCapacitySectors();
            byte[] primary = s.readAll(0);
            for (int round = 0; round < 3; round++) {
                assertTrue(s.initiate(0).good(), "seed " + seed);
                byte[] snap = primary.clone();
                Set<Integer> preserved = new HashSet<>();
                boolean overflowed = false;
                for (int op = 0; op < 60 && !overflowed; op++) {
                    int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 40);
                    int lba = rnd.nextInt(rnd.nextBoolean() ? 64 : sectors - len);
                    byte[] d = new byte[len * B];
                    rnd.nextBytes(d);
                    write(s, lba, d);
                    System.arraycopy(d, 0, primary, lba * B, d.length);
                    for (int i = lba; i < lba + len; i++) {
                        preserved.add(i);
                    }
                    if (preserved.size() > cap) {
                        overflowed = true;
                        break;
                    }
                    assertEquals(preserved.size(), s.engine().logUsedSectors(), "usage, seed " + seed);
                    int rl = 1 + rnd.nextInt(64);
                    int rlba = rnd.nextInt(sectors - rl);
                    assertArrayEquals(Arrays.copyOfRange(snap, rlba * B, (rlba + rl) * B), read(s, 1, rlba, rl),
                            "backup LUN at " + rlba + ", seed " + seed);
                }
                if (overflowed) {
                    assertEquals(DcmdCodes.LOG_OVERFLOW, s.cmd(1, read10(0, 1), null, B).sense, "seed " + seed);
                    assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, s.cmd(1, read10(0, 1), null, B).sense);
                } else {
                    for (int sec : preserved) {
                        assertArrayEquals(Arrays.copyOfRange(snap, sec * B, (sec + 1) * B),
                                logBytes(s, s.engine().logSlotOf(sec)), "log slot of " + sec + ", seed " + seed);
                    }
                    assertArrayEquals(snap, s.readAll(1), "whole backup LUN, seed " + seed);
                    assertTrue(s.terminate(0).good());
                }
                assertArrayEquals(primary, s.readAll(0), "primary, seed " + seed);
            }
        }
    }
}
