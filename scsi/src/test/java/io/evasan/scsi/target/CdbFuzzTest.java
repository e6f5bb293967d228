package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdHandler;
import io.evasan.scsi.vendor.SnapshotBackupEngine;
import io.evasan.scsi.vendor.SnapshotMarkerHandler;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random and mutated CDBs, parameter lists and transfer lengths: every task completes with a
 * valid status, a CHECK CONDITION always carries parseable sense, and no command ever ends in an
 * internal failure (04/44/00 would mean an exception escaped the executor). Seeded; prints the
 * seed; {@code -Devasan.fuzz=N} for longer runs (default 20000 commands).
 */
class CdbFuzzTest {
    static final int[] OPS = {
        0x00, 0x03, 0x08, 0x0A, 0x12, 0x15, 0x16, 0x17, 0x1A, 0x1B, 0x20, 0x25, 0x28, 0x2A, 0x2E, 0x2F, 0x34, 0x35,
        0x41, 0x42, 0x55, 0x5A, 0x5E, 0x5F, 0x88, 0x89, 0x8A, 0x8B, 0x8E, 0x8F, 0x90, 0x91, 0x93, 0x9E, 0xA0, 0xA3,
        0xA8, 0xAA, 0xAE, 0xAF, 0xC0, 0xC1, 0xFF, 0x01, 0x3B, 0x4D,
        0x1E, 0x37, 0x83, 0x84, 0x9C, 0xB7};

    @Test
    void shouldAnswerEveryFuzzedCdbWithAValidStatus() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int count = Integer.getInteger("evasan.fuzz", 20000);
        System.out.println("CdbFuzzTest seed=" + seed + " commands=" + count);
        Random rnd = new Random(seed);
        try (Harness h = new Harness(2048)) {
            h.target.registerVendorHandler(0x20, new DcmdHandler(new SnapshotBackupEngine() {
                @Override public int initiateSnapshot(io.evasan.scsi.lu.LogicalUnit l, ItNexus n) { return 0; }
                @Override public int terminateSnapshot(io.evasan.scsi.lu.LogicalUnit l, ItNexus n) { return 0; }
                @Override public int lopStart(int op, int s, int d, io.evasan.scsi.lu.LunVisibility v) { return 0; }
                @Override public int lopStatus(int op, io.evasan.scsi.lu.LunVisibility v) { return 0x0100; }
            }));
            h.target.registerVendorHandler(0xC0, new SnapshotMarkerHandler((lu, clone, tag) -> 1));
            ItNexus[] nx = {h.openClean("iqn.t:f1", "01"), h.openClean("iqn.t:f2", "02")};
            for (int i = 0; i < count; i++) {
                byte[] cdb = new byte[16];
                int op = OPS[rnd.nextInt(OPS.length)];
                if (rnd.nextInt(3) == 0 && BlockCdbDescriptor.isBlockCommand(op)) {
                    BlockCdbDescriptor.encode(cdb, op, rnd.nextInt(2100), rnd.nextInt(40), 0);
                    if (rnd.nextBoolean()) {
                        cdb[1 + rnd.nextInt(14)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                } else {
                    rnd.nextBytes(cdb);
                    cdb[0] = (byte) op;
                    if (rnd.nextBoolean()) {
                        // keep allocation/parameter lengths moderate most of the time
                        for (int b = 2; b < 16; b++) {
                            if (rnd.nextInt(3) > 0) {
                                cdb[b] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : rnd.nextInt(8));
                            }
                        }
                    }
                    cdb[cdb.length - 1] = rnd.nextInt(8) == 0 ? cdb[15] : 0;
                }
                long edtl = rnd.nextInt(4) == 0 ? rnd.nextInt(70000) : rnd.nextInt(4096);
                byte[] out = null;
                if (rnd.nextBoolean()) {
                    out = new byte[(int) edtl];
                    rnd.nextBytes(out);
                    if (rnd.nextBoolean() && out.length >= 24) {
                        // plausible parameter-list headers
                        out[0] = 0;
                        out[1] = (byte) rnd.nextInt(64);
                        out[2] = 0;
                        out[3] = (byte) (16 * rnd.nextInt(4));
                    }
                }
                if (op == 0x83 && rnd.nextBoolean()) {
                    // a valid EXTENDED COPY list naming lu0, then a few mutated bytes
                    out = CdbTableTest.xcopy("lu0", 1 + rnd.nextInt(2), rnd.nextInt(4), rnd.nextInt(4),
                            new long[]{0, rnd.nextInt(2), rnd.nextInt(64), rnd.nextInt(2100), rnd.nextInt(2100)});
                    for (int k = rnd.nextInt(4); k > 0; k--) {
                        out[rnd.nextInt(out.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    edtl = out.length;
                    java.util.Arrays.fill(cdb, 1, 16, (byte) 0);
                    io.evasan.scsi.cdb.CdbDescriptor.put32(cdb, 10, rnd.nextInt(8) == 0 ? rnd.nextInt(200) : out.length);
                }
                int lun = rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(3) : 0;
                Result r;
                try {
                    r = h.run(nx[rnd.nextInt(2)], lun, cdb, out, edtl);
                } catch (AssertionError e) {
                    fail("seed=" + seed + " step=" + i + " did not complete: " + e);
                    return;
                }
                String where = "seed=" + seed + " step=" + i + " op=" + Integer.toHexString(op);
                assertTrue(r.status == ScsiStatus.GOOD || r.status == ScsiStatus.CHECK_CONDITION
                        || r.status == ScsiStatus.RESERVATION_CONFLICT || r.status == ScsiStatus.BUSY, where + " " + r);
                if (r.status == ScsiStatus.CHECK_CONDITION) {
                    assertTrue(r.senseBytes != null && r.senseBytes.length >= 8, where);
                    assertNotEquals(SenseCodes.INTERNAL_TARGET_FAILURE, r.sense, where + " exception escaped");
                    assertNotEquals(0, SenseCodes.key(r.sense), where);
                }
                assertTrue(r.data.length <= edtl, where + " data beyond EDTL");
            }
            // the target still works after the storm
            byte[] tur = new byte[6];
            for (ItNexus n : nx) {
                Result r = h.run(n, 0, tur, null, 0);
                for (int k = 0; k < 10 && r.status == ScsiStatus.CHECK_CONDITION
                        && SenseCodes.key(r.sense) == SenseCodes.KEY_UNIT_ATTENTION; k++) {
                    r = h.run(n, 0, tur, null, 0);
                }
                assertTrue(r.status == ScsiStatus.GOOD || r.status == ScsiStatus.RESERVATION_CONFLICT, r.toString());
            }
        }
    }
}
