package io.evasan.nsc.backup;

import io.evasan.nsc.Nsc;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seeded random seed-003 workload against a plain model: primary bytes, the snapshot bytes taken at
 * initiate, the set of sectors preserved since (log usage, exact), the one-shot overflow flag, and the
 * destination of full / incremental copies. Every observation is preceded by SYNCHRONIZE CACHE so the
 * destage point of each write is fixed.
 */
class BackupModelTest {
    static final int SEG = Nsc.SEG;
    static final int BLOCKS = (int) (SnapshotBackupTest.PRIM_SIZE / 512);

    @Test
    void shouldMatchTheModel() throws Exception {
        long seed = Long.getLong("evasan.seed", 3003L);
        int steps = Integer.getInteger("evasan.steps", 300);
        System.out.println("BackupModelTest seed=" + seed + " steps=" + steps);
        Random rnd = new Random(seed);
        byte[] prim = new byte[BLOCKS * 512];
        byte[] dst = new byte[BLOCKS * 512];
        byte[] snap = null;
        BitSet preserved = new BitSet();
        boolean overflowPending = false;
        try (SnapshotBackupTest.Setup s = new SnapshotBackupTest.Setup("backup-model", true)) {
            for (int step = 0; step < steps; step++) {
                int op = rnd.nextInt(20);
                String where = "seed=" + seed + " step=" + step + " op=" + op;
                if (op < 10) {
                    int len = 1 + rnd.nextInt(256);
                    int lba = rnd.nextInt(BLOCKS - len + 1);
                    if (op == 0) {                   // UNMAP (whole segments are freed in the tree)
                        Nsc.Result u = s.cmd(0, io.evasan.nsc.ControllerScsiTest.unmapCdb(),
                                io.evasan.nsc.ControllerScsiTest.unmapList(lba, len), 24);
                        assertEquals(ScsiStatus.GOOD, u.status, where + " unmap " + u);
                        Arrays.fill(prim, lba * 512, (lba + len) * 512, (byte) 0);
                    } else {
                        byte[] d = Nsc.pattern(len * 512, seed * 7919 + step);
                        assertEquals(ScsiStatus.GOOD, s.cmd(0, write10(lba, len, false), d, d.length).status, where);
                        System.arraycopy(d, 0, prim, lba * 512, d.length);
                    }
                    if (snap != null) {
                        preserved.set(lba, lba + len);   // seed 003 sectors (512-byte blocks) in the log
                        if (preserved.cardinality() > SnapshotBackupTest.LOG_SEGMENTS * SEG / 512) {
                            snap = null;
                            overflowPending = true;
                        }
                    }
                    continue;
                }
                assertEquals(ScsiStatus.GOOD, s.cmd(0, Nsc.syncCache10(), null, 0).status, where);
                if (op < 12) {                       // initiate
                    Nsc.Result r = s.initiate(0);
                    if (snap == null) {
                        assertEquals(ScsiStatus.GOOD, r.status, where + " " + r);
                        snap = prim.clone();
                        preserved.clear();
                        overflowPending = false;
                    } else {
                        assertEquals(DcmdCodes.SNAPSHOT_ALREADY_IN_PROGRESS, r.sense, where);
                    }
                } else if (op == 12) {               // terminate via primary or backup LUN
                    Nsc.Result r = s.terminate(rnd.nextBoolean() ? 0 : 1);
                    if (snap != null) {
                        assertEquals(ScsiStatus.GOOD, r.status, where + " " + r);
                        snap = null;
                    } else {
                        assertEquals(DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS, r.sense, where);
                    }
                } else if (op < 16) {                // read the backup LUN
                    int len = 1 + rnd.nextInt(256);
                    int lba = rnd.nextInt(BLOCKS - len + 1);
                    Nsc.Result r = s.cmd(1, read10(lba, len), null, len * 512);
                    if (snap != null) {
                        assertEquals(ScsiStatus.GOOD, r.status, where + " " + r);
                        assertArrayEquals(Arrays.copyOfRange(snap, lba * 512, (lba + len) * 512), r.data, where);
                    } else if (overflowPending) {
                        assertEquals(DcmdCodes.LOG_OVERFLOW, r.sense, where + " " + SenseCodes.toString(r.sense));
                        overflowPending = false;
                    } else {
                        assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, r.sense, where + " " + SenseCodes.toString(r.sense));
                    }
                } else if (op < 18) {                // read the primary
                    int len = 1 + rnd.nextInt(256);
                    int lba = rnd.nextInt(BLOCKS - len + 1);
                    Nsc.Result r = s.cmd(0, read10(lba, len), null, len * 512);
                    assertEquals(ScsiStatus.GOOD, r.status, where);
                    assertArrayEquals(Arrays.copyOfRange(prim, lba * 512, (lba + len) * 512), r.data, where);
                } else {                             // LOP copy (full or incremental) to dst
                    int lop = rnd.nextBoolean() ? DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE : DcmdDescriptor.LOP_INCREMENTAL_COPY;
                    int word = s.lopStart(lop, s.log.id(), s.dst.id());
                    if (snap == null) {
                        assertEquals(DcmdCodes.LOP_START_DRIVE_NOT_READY, word, where);
                        continue;
                    }
                    assertEquals(DcmdCodes.LOP_START_COPY_STARTED, word, where);
                    s.engine().awaitCopy(30_000);
                    assertEquals(DcmdCodes.LOP_STATUS_COMPLETED, s.lopStatus(), where);
                    dst = snap.clone();
                    snap = null;                     // a completed copy terminates the backup
                    assertArrayEquals(dst, s.readAll(2), where + " destination");
                }
            }
            assertArrayEquals(prim, s.readAll(0), "primary at the end, seed=" + seed);
        }
    }
}
