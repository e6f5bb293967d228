package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.CdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.cdb.ParameterListDescriptor;
import io.evasan.scsi.cdb.ServiceCdbDescriptor;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded randomized test of READ / WRITE / WRITE ATOMIC / WRITE SAME (with and without UNMAP) / UNMAP /
 * COMPARE AND WRITE / GET LBA STATUS through the target against a plain byte-array model with a
 * mapped-block bitmap. Prints the seed; a failure names the seed and step. Reproduce with
 * {@code -Devasan.seed=N}; longer runs with {@code -Devasan.steps=N} (default 20000).
 */
class RandomizedModelTest {
    static final int BS = 512;
    static final int BLOCKS = 4096;

    @Test
    void shouldMatchByteArrayModel() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 20000);
        System.out.println("RandomizedModelTest seed=" + seed + " steps=" + steps);
        Random rnd = new Random(seed);
        byte[] model = new byte[BLOCKS * BS];
        BitSet mapped = new BitSet(BLOCKS);
        try (Harness h = new Harness(BLOCKS)) {
            ItNexus n = h.openClean("iqn.t:model", "01");
            for (int step = 0; step < steps; step++) {
                String where = "seed=" + seed + " step=" + step;
                int kind = rnd.nextInt(100);
                int len = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 300 : 32);
                long lba = rnd.nextInt(BLOCKS - len + 1);
                if (rnd.nextInt(40) == 0) {
                    lba = BLOCKS - len + 1 + rnd.nextInt(4); // out of range
                }
                boolean oob = lba + len > BLOCKS;
                if (kind < 30) {
                    int pick = rnd.nextInt(3);
                    int op = pick == 0 ? OpCodes.WRITE_10 : pick == 1 ? OpCodes.WRITE_16 : OpCodes.WRITE_ATOMIC_16;
                    byte[] data = new byte[len * BS];
                    rnd.nextBytes(data);
                    Result r = h.run(n, 0, cdb(op, lba, len, rnd.nextBoolean() ? 0x08 : 0), data, data.length);
                    if (expect(where + " WRITE", r, oob)) {
                        System.arraycopy(data, 0, model, (int) lba * BS, data.length);
                        mapped.set((int) lba, (int) lba + len);
                    }
                } else if (kind < 55) {
                    int op = rnd.nextBoolean() ? OpCodes.READ_10 : OpCodes.READ_16;
                    Result r = h.run(n, 0, cdb(op, lba, len, 0), null, (long) len * BS);
                    if (expect(where + " READ", r, oob)) {
                        byte[] want = Arrays.copyOfRange(model, (int) lba * BS, (int) (lba + len) * BS);
                        if (!Arrays.equals(want, r.data)) {
                            fail(where + " READ lba=" + lba + " len=" + len + " differs from model");
                        }
                    }
                } else if (kind < 67) {
                    boolean unmap = rnd.nextBoolean();
                    boolean zero = unmap && rnd.nextBoolean();
                    byte[] block = new byte[BS];
                    if (!zero) {
                        rnd.nextBytes(block);
                    }
                    int op = rnd.nextBoolean() ? OpCodes.WRITE_SAME_10 : OpCodes.WRITE_SAME_16;
                    Result r = h.run(n, 0, cdb(op, lba, len, unmap ? 0x08 : 0), block, BS);
                    if (expect(where + " WRITE SAME", r, oob)) {
                        // UNMAP=1 deallocates whatever the block holds (SBC-3 5.48 UNMAP/ANCHOR table;
                        // libiscsi WriteSame10.UnmapUntilEnd); deallocated blocks read as zeros (LBPRZ)
                        byte[] value = unmap ? new byte[BS] : block;
                        for (int i = 0; i < len; i++) {
                            System.arraycopy(value, 0, model, (int) (lba + i) * BS, BS);
                        }
                        if (unmap) {
                            mapped.clear((int) lba, (int) lba + len);
                        } else {
                            mapped.set((int) lba, (int) lba + len);
                        }
                    }
                } else if (kind < 77) {
                    int k = 1 + rnd.nextInt(4);
                    long[] lbas = new long[k];
                    int[] counts = new int[k];
                    boolean anyOob = false;
                    for (int i = 0; i < k; i++) {
                        counts[i] = rnd.nextInt(64);
                        lbas[i] = rnd.nextInt(BLOCKS - counts[i] + 1);
                    }
                    if (oob) {
                        lbas[k - 1] = lba;
                        counts[k - 1] = len;
                        anyOob = true;
                    }
                    byte[] list = new byte[8 + 16 * k];
                    int plen = ParameterListDescriptor.unmapList(list, lbas, counts);
                    byte[] c = new byte[10];
                    ServiceCdbDescriptor.unmap(c, false, plen);
                    Result r = h.run(n, 0, c, list, plen);
                    if (expect(where + " UNMAP", r, anyOob)) {
                        for (int i = 0; i < k; i++) {
                            Arrays.fill(model, (int) lbas[i] * BS, (int) (lbas[i] + counts[i]) * BS, (byte) 0);
                            mapped.clear((int) lbas[i], (int) lbas[i] + counts[i]);
                        }
                    }
                } else if (kind < 92) {
                    int m = Math.min(len, 16);
                    boolean oobC = lba + m > BLOCKS;
                    byte[] data = new byte[2 * m * BS];
                    int base = (int) Math.min(lba, BLOCKS - 1) * BS;
                    if (!oobC) {
                        System.arraycopy(model, base, data, 0, m * BS);
                    }
                    int flip = -1;
                    if (rnd.nextInt(3) == 0) {
                        flip = rnd.nextInt(m * BS);
                        data[flip] ^= (byte) (1 + rnd.nextInt(255));
                    }
                    byte[] fresh = new byte[m * BS];
                    rnd.nextBytes(fresh);
                    System.arraycopy(fresh, 0, data, m * BS, m * BS);
                    Result r = h.run(n, 0, cdb(OpCodes.COMPARE_AND_WRITE, lba, m, 0), data, data.length);
                    if (oobC) {
                        expect(where + " CAW", r, true);
                    } else if (flip >= 0) {
                        assertEquals(ScsiStatus.CHECK_CONDITION, r.status, where + " CAW miscompare status");
                        assertEquals(SenseCodes.MISCOMPARE_DURING_VERIFY, r.sense, where + " CAW sense");
                        assertEquals(flip, r.information, where + " CAW miscompare offset");
                    } else {
                        assertEquals(ScsiStatus.GOOD, r.status, where + " CAW " + r);
                        System.arraycopy(fresh, 0, model, base, m * BS);
                        mapped.set((int) lba, (int) lba + m);
                    }
                } else {
                    long at = rnd.nextInt(BLOCKS);
                    byte[] c = new byte[16];
                    ServiceCdbDescriptor.serviceActionIn16(c, OpCodes.SA_GET_LBA_STATUS, at, 24);
                    Result r = h.run(n, 0, c, null, 24);
                    assertEquals(ScsiStatus.GOOD, r.status, where + " GET LBA STATUS");
                    boolean isMapped = mapped.get((int) at);
                    int end = isMapped ? mapped.nextClearBit((int) at) : mapped.nextSetBit((int) at);
                    if (end < 0 || end > BLOCKS) {
                        end = BLOCKS;
                    }
                    assertEquals(at, CdbDescriptor.u64(r.data, 8), where + " GLS lba");
                    assertEquals(end - at, CdbDescriptor.u32(r.data, 16), where + " GLS extent length at " + at);
                    assertEquals(isMapped ? 0 : 1, r.data[20], where + " GLS state at " + at);
                }
            }
            Result all = h.run(n, 0, cdb(OpCodes.READ_16, 0, BLOCKS, 0), null, (long) BLOCKS * BS);
            if (!Arrays.equals(model, all.data)) {
                fail("seed=" + seed + " final image differs from model");
            }
        }
    }

    private static boolean expect(String where, Result r, boolean oob) {
        if (oob) {
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status, where + " expected LBA OUT OF RANGE");
            assertEquals(SenseCodes.LBA_OUT_OF_RANGE, r.sense, where);
            return false;
        }
        assertEquals(ScsiStatus.GOOD, r.status, where + " " + r);
        return true;
    }

    private static byte[] cdb(int op, long lba, long n, int flags) {
        byte[] c = new byte[16];
        return Arrays.copyOf(c, BlockCdbDescriptor.encode(c, op, lba, n, flags));
    }
}
