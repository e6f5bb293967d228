package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.CdbDescriptor;
import io.evasan.scsi.cdb.ExtendedCopyDescriptor;
import io.evasan.scsi.lu.Naa;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.cdb.ParameterListDescriptor;
import io.evasan.scsi.cdb.ServiceCdbDescriptor;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static io.evasan.scsi.ScsiStatus.CHECK_CONDITION;
import static io.evasan.scsi.ScsiStatus.GOOD;
import static io.evasan.scsi.sense.SenseCodes.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Table-driven CDB tests: bytes in (CDB + Data-Out + expected transfer length), status + sense +
 * Data-In + residual out, for every command of the target including bad-input rows. Each row runs
 * on a fresh target with an 8192-block RAM LUN at LUN 0.
 */
class CdbTableTest {
    static final long CAP = Harness.BLOCKS;
    static final int BS = 512;

    interface Prep {
        void apply(Harness h, ItNexus n);
    }

    interface Check {
        void verify(Harness h, ItNexus n, Result r);
    }

    static final class Row {
        final String name;
        final Prep prep;
        final byte[] cdb;
        final byte[] dataOut;
        final long edtl;
        final int status;
        final int sense;
        final Check check;
        int lun;

        Row(String name, Prep prep, byte[] cdb, byte[] dataOut, long edtl, int status, int sense, Check check) {
            this.name = name;
            this.prep = prep;
            this.cdb = cdb;
            this.dataOut = dataOut;
            this.edtl = edtl;
            this.status = status;
            this.sense = sense;
            this.check = check;
        }

        Row lun(int l) {
            this.lun = l;
            return this;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Row> ROWS = new ArrayList<>();

    static Row row(String name, Prep prep, byte[] cdb, byte[] out, long edtl, int status, int sense, Check check) {
        Row r = new Row(name, prep, cdb, out, edtl, status, sense, check);
        ROWS.add(r);
        return r;
    }

    static Row good(String name, byte[] cdb, byte[] out, long edtl, Check check) {
        return row(name, null, cdb, out, edtl, GOOD, NO_SENSE, check);
    }

    static Row bad(String name, byte[] cdb, byte[] out, long edtl, int sense) {
        return row(name, null, cdb, out, edtl, CHECK_CONDITION, sense, null);
    }

    static byte[] blk(int op, long lba, long n, int flags) {
        byte[] c = new byte[16];
        int len = BlockCdbDescriptor.encode(c, op, lba, n, flags);
        return Arrays.copyOf(c, len);
    }

    static byte[] cdb(int len, java.util.function.Function<byte[], Integer> enc) {
        byte[] c = new byte[32];
        int n = enc.apply(c);
        return Arrays.copyOf(c, n);
    }

    static byte[] with(byte[] c, int off, int val) {
        byte[] d = c.clone();
        d[off] = (byte) val;
        return d;
    }

    static Prep writePattern(long lba, int blocks, int seed) {
        return (h, n) -> {
            Result r = h.run(n, 0, blk(OpCodes.WRITE_10, lba, blocks, 0), Harness.pattern(blocks * BS, seed), blocks * BS);
            assertEquals(GOOD, r.status, r.toString());
        };
    }

    static byte[] readBack(Harness h, ItNexus n, long lba, int blocks) {
        Result r = h.run(n, 0, blk(OpCodes.READ_16, lba, blocks, 0), null, (long) blocks * BS);
        assertEquals(GOOD, r.status, r.toString());
        return r.data;
    }

    /** EXTENDED COPY(LID1) list: nTargets E4h descriptors naming {@code lu} by NAA, then segments {src, dst, blocks, srcLba, dstLba}. */
    static byte[] xcopy(String lu, int nTargets, int usage, int listId, long[]... segments) {
        int tdl = nTargets * ExtendedCopyDescriptor.TARGET_DESCRIPTOR_LENGTH;
        int sdl = segments.length * ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK_LENGTH;
        byte[] p = new byte[ExtendedCopyDescriptor.HEADER + tdl + sdl];
        ExtendedCopyDescriptor.header(p, listId, usage, tdl, sdl, 0);
        int off = ExtendedCopyDescriptor.HEADER;
        for (int i = 0; i < nTargets; i++) {
            off += ExtendedCopyDescriptor.identificationTarget(p, off, 1, 3, Naa.fromName(lu), BS);
        }
        for (long[] g : segments) {
            off += ExtendedCopyDescriptor.blockToBlock(p, off, (int) g[0], (int) g[1], (int) g[2], g[3], g[4]);
        }
        return p;
    }

    static byte[] xcopyCdb(long len) {
        return cdb(16, c -> ExtendedCopyDescriptor.extendedCopy(c, len));
    }

    static byte[] rcrCdb(int sa, int listId) {
        return cdb(16, c -> ExtendedCopyDescriptor.receiveCopyResults(c, sa, listId, 1024));
    }

    static byte[] filled(int len, int value) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static Check data(int len) {
        return (h, n, r) -> assertEquals(len, r.data.length, "data length");
    }

    static int u8(byte[] d, int o) {
        return d[o] & 0xFF;
    }

    static int lbaState(Harness h, ItNexus n, long lba) {
        Result r = h.run(n, 0, cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, OpCodes.SA_GET_LBA_STATUS, lba, 24)), null, 24);
        assertEquals(GOOD, r.status, r.toString());
        assertEquals(lba, CdbDescriptor.u64(r.data, 8));
        return r.data[20];
    }

    static {
        byte[] tur = new byte[6];
        // ---------------------------------------------------------------- TEST UNIT READY
        good("TUR ready", tur, null, 0, null);
        row("TUR not ready (backup LUN without snapshot)", (h, n) -> h.lu0.setReadiness(NOT_READY_CAUSE_NOT_REPORTABLE),
                tur, null, 0, CHECK_CONDITION, NOT_READY_CAUSE_NOT_REPORTABLE, null);
        row("TUR medium not present", (h, n) -> h.lu0.setReadiness(MEDIUM_NOT_PRESENT),
                tur, null, 0, CHECK_CONDITION, MEDIUM_NOT_PRESENT, null);
        bad("TUR NACA=1 unsupported", with(tur, 5, 0x04), null, 0, INVALID_FIELD_IN_CDB);
        bad("unknown opcode 02h", Harness.hex("020000000000"), null, 0, INVALID_COMMAND_OPERATION_CODE);
        bad("unknown opcode 3Bh (WRITE BUFFER)", Harness.hex("3B0000000000000000 00"), null, 0, INVALID_COMMAND_OPERATION_CODE);
        bad("vendor opcode C5h without handler", Harness.hex("C5000000000000000000000000000000"), null, 0, INVALID_COMMAND_OPERATION_CODE);
        bad("DCMD 20h without handler", Harness.hex("20005000000000000000"), null, 0, INVALID_COMMAND_OPERATION_CODE);
        row("TUR to unpresented LUN 5", null, tur, null, 0, CHECK_CONDITION, LOGICAL_UNIT_NOT_SUPPORTED, null).lun(5);

        // ---------------------------------------------------------------- INQUIRY
        good("INQUIRY standard", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0, 255)), null, 255, (h, n, r) -> {
            assertEquals(74, r.data.length);
            assertEquals(0, r.data[0]);
            assertEquals(6, r.data[2]);
            assertEquals(0x12, r.data[3]);
            assertEquals(69, r.data[4]);
            assertEquals(0x02, r.data[7]);
            assertEquals("EVASAN  ", new String(r.data, 8, 8));
            assertEquals(0x04C0, CdbDescriptor.u16(r.data, 62));
            assertEquals(255 - 74, r.residual);
        });
        good("INQUIRY alloc 36", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0, 36)), null, 36, data(36));
        good("INQUIRY alloc 5", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0, 5)), null, 5, data(5));
        good("INQUIRY alloc 0", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0, 0)), null, 0, data(0));
        good("INQUIRY alloc 255, EDTL 36 -> overflow", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0, 255)), null, 36,
                (h, n, r) -> {
                    assertEquals(36, r.data.length);
                    assertTrue(r.overflow);
                    assertEquals(74 - 36, r.residual);
                });
        bad("INQUIRY EVPD=0 page 80h", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0x80, 255)), null, 255, INVALID_FIELD_IN_CDB);
        bad("INQUIRY unknown VPD 99h", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0x99, 255)), null, 255, INVALID_FIELD_IN_CDB);
        bad("INQUIRY reserved bit CMDDT", Harness.hex("120200000600"), null, 255, INVALID_FIELD_IN_CDB);
        good("INQUIRY VPD 00h", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0, 255)), null, 255, (h, n, r) -> {
            assertEquals(0, r.data[1]);
            // 8Fh (Third-party Copy) added with EXTENDED COPY support
            assertEquals(7, CdbDescriptor.u16(r.data, 2));
            assertArrayEquals(Harness.hex("0080838FB0B1B2"), Arrays.copyOfRange(r.data, 4, 11));
        });
        good("INQUIRY VPD 80h serial", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0x80, 255)), null, 255, (h, n, r) -> {
            assertEquals(0x80, u8(r.data, 1));
            assertEquals(h.lu0.serialNumber(), new String(r.data, 4, CdbDescriptor.u16(r.data, 2)));
        });
        good("INQUIRY VPD 83h NAA + port designators", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0x83, 255)), null, 255,
                (h, n, r) -> {
                    assertEquals(0x83, u8(r.data, 1));
                    assertEquals(0x01, r.data[4]);           // binary
                    assertEquals(0x03, r.data[5]);           // LU, NAA
                    assertEquals(16, r.data[7]);
                    assertEquals(0x60, r.data[8] & 0xF0);    // NAA 6
                    assertArrayEquals(h.lu0.naaIdentifier(), Arrays.copyOfRange(r.data, 8, 24));
                    int p = 24 + 4 + (r.data[27] & 0xFF);    // skip T10 designator
                    assertEquals(0x51, u8(r.data, p));       // iSCSI, binary
                    assertEquals(0x94, u8(r.data, p + 1));   // PIV, target port, relative port
                    assertEquals(1, CdbDescriptor.u16(r.data, p + 6));
                    assertEquals(0x98, u8(r.data, p + 9));   // SCSI name string of the port
                    assertEquals(4 + CdbDescriptor.u16(r.data, 2), r.data.length);
                });
        good("INQUIRY VPD B0h block limits", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0xB0, 255)), null, 255, (h, n, r) -> {
            assertEquals(0x3C, CdbDescriptor.u16(r.data, 2));
            assertEquals(0, r.data[4]);                      // WSNZ=0
            assertEquals(255, u8(r.data, 5));                // max compare and write
            assertEquals(65536, CdbDescriptor.u32(r.data, 8));
            // MAXIMUM UNMAP LBA COUNT was 0x400000; lowered to 1 Mi blocks at the iSCSI engineer's request:
            // SBC-3 allows any value, but libiscsi Inquiry.BlockLimits fails a finite limit above 1024*1024.
            assertEquals(0x100000, CdbDescriptor.u32(r.data, 20));
            assertEquals(256, CdbDescriptor.u32(r.data, 24));
            assertEquals(1, CdbDescriptor.u32(r.data, 28));
            assertEquals(0x400000, CdbDescriptor.u64(r.data, 36));
        });
        good("INQUIRY VPD B1h non-rotating", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0xB1, 255)), null, 255,
                (h, n, r) -> assertEquals(1, CdbDescriptor.u16(r.data, 4)));
        good("INQUIRY VPD B2h thin provisioning", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0xB2, 255)), null, 255,
                (h, n, r) -> {
                    assertEquals(4, CdbDescriptor.u16(r.data, 2));
                    assertEquals(0xE4, u8(r.data, 5));       // LBPU LBPWS LBPWS10 LBPRZ
                    assertEquals(2, r.data[6]);              // thin
                });
        good("INQUIRY to unpresented LUN: PQ=3 type 1Fh", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0, 36)), null, 36,
                (h, n, r) -> assertEquals(0x7F, u8(r.data, 0))).lun(7);

        // ---------------------------------------------------------------- READ CAPACITY
        good("READ CAPACITY(10)", cdb(10, ServiceCdbDescriptor::readCapacity10), null, 8, (h, n, r) -> {
            assertEquals(CAP - 1, CdbDescriptor.u32(r.data, 0));
            assertEquals(512, CdbDescriptor.u32(r.data, 4));
        });
        good("READ CAPACITY(16) LBPME LBPRZ", cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, 0x10, 0, 32)), null, 32,
                (h, n, r) -> {
                    assertEquals(CAP - 1, CdbDescriptor.u64(r.data, 0));
                    assertEquals(512, CdbDescriptor.u32(r.data, 8));
                    assertEquals(0xC0, u8(r.data, 14));
                });
        good("READ CAPACITY(16) alloc 12", cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, 0x10, 0, 12)), null, 12, data(12));
        bad("SERVICE ACTION IN(16) unknown SA 1Fh", cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, 0x1F, 0, 32)), null, 32,
                INVALID_FIELD_IN_CDB);

        // ---------------------------------------------------------------- READ
        row("READ(10) data", writePattern(10, 4, 3), blk(OpCodes.READ_10, 10, 4, 0), null, 4 * BS, GOOD, NO_SENSE,
                (h, n, r) -> assertArrayEquals(Harness.pattern(4 * BS, 3), r.data));
        row("READ(6) data", writePattern(10, 2, 4), blk(OpCodes.READ_6, 10, 2, 0), null, 2 * BS, GOOD, NO_SENSE,
                (h, n, r) -> assertArrayEquals(Harness.pattern(2 * BS, 4), r.data));
        good("READ(6) length 0 means 256 blocks", blk(OpCodes.READ_6, 0, 256, 0), null, 256 * BS, data(256 * BS));
        row("READ(12) data", writePattern(100, 3, 5), blk(OpCodes.READ_12, 100, 3, 0), null, 3 * BS, GOOD, NO_SENSE,
                (h, n, r) -> assertArrayEquals(Harness.pattern(3 * BS, 5), r.data));
        row("READ(16) DPO FUA", writePattern(CAP - 1, 1, 6), blk(OpCodes.READ_16, CAP - 1, 1, 0x18), null, BS, GOOD, NO_SENSE,
                (h, n, r) -> assertArrayEquals(Harness.pattern(BS, 6), r.data));
        good("READ(10) unwritten reads zeros", blk(OpCodes.READ_10, 50, 1, 0), null, BS,
                (h, n, r) -> assertArrayEquals(new byte[BS], r.data));
        good("READ(10) 0 blocks", blk(OpCodes.READ_10, 0, 0, 0), null, 0, data(0));
        good("READ(10) 0 blocks at end of LUN", blk(OpCodes.READ_10, CAP, 0, 0), null, 0, data(0));
        row("READ(10) beyond end", null, blk(OpCodes.READ_10, CAP, 1, 0), null, BS, CHECK_CONDITION, LBA_OUT_OF_RANGE,
                (h, n, r) -> assertEquals(CAP, r.information));
        bad("READ(10) straddles end", blk(OpCodes.READ_10, CAP - 1, 2, 0), null, 2 * BS, LBA_OUT_OF_RANGE);
        bad("READ(10) 0 blocks past end", blk(OpCodes.READ_10, CAP + 1, 0, 0), null, 0, LBA_OUT_OF_RANGE);
        bad("READ(16) LBA -1", blk(OpCodes.READ_16, -1L, 1, 0), null, BS, LBA_OUT_OF_RANGE);
        bad("READ(12) beyond end", blk(OpCodes.READ_12, 0x80000000L, 1, 0), null, BS, LBA_OUT_OF_RANGE);
        bad("READ(6) beyond end", blk(OpCodes.READ_6, 0x1FFFFF, 1, 0), null, BS, LBA_OUT_OF_RANGE);
        row("READ(10) RDPROTECT=1", null, blk(OpCodes.READ_10, 0, 1, 0x20), null, BS, CHECK_CONDITION, INVALID_FIELD_IN_CDB,
                (h, n, r) -> assertEquals(1, r.fieldPointer));
        bad("READ(16) RDPROTECT=7", blk(OpCodes.READ_16, 0, 1, 0xE0), null, BS, INVALID_FIELD_IN_CDB);
        bad("READ(16) above maximum transfer length", blk(OpCodes.READ_16, 0, 65537, 0), null, BS, INVALID_FIELD_IN_CDB);
        good("READ(10) EDTL 200 < 1 block: overflow", blk(OpCodes.READ_10, 0, 1, 0), null, 200, (h, n, r) -> {
            assertEquals(200, r.data.length);
            assertTrue(r.overflow);
            assertEquals(BS - 200, r.residual);
        });
        good("READ(10) EDTL 2 blocks for 1: underflow", blk(OpCodes.READ_10, 0, 1, 0), null, 2 * BS, (h, n, r) -> {
            assertEquals(BS, r.data.length);
            assertEquals(false, r.overflow);
            assertEquals(BS, r.residual);
        });
        row("READ on NOT READY LU", (h, n) -> h.lu0.setReadiness(NOT_READY_CAUSE_NOT_REPORTABLE), blk(OpCodes.READ_10, 0, 1, 0),
                null, BS, CHECK_CONDITION, NOT_READY_CAUSE_NOT_REPORTABLE, null);

        // ---------------------------------------------------------------- WRITE
        for (int op : new int[]{OpCodes.WRITE_6, OpCodes.WRITE_10, OpCodes.WRITE_12, OpCodes.WRITE_16}) {
            good("WRITE(" + BlockCdbDescriptor.cdbSize(op) + ") lands", blk(op, 20, 2, 0), Harness.pattern(2 * BS, op), 2 * BS,
                    (h, n, r) -> assertArrayEquals(Harness.pattern(2 * BS, op), readBack(h, n, 20, 2)));
            bad("WRITE(" + BlockCdbDescriptor.cdbSize(op) + ") beyond end", blk(op, CAP, 1, 0), new byte[BS], BS, LBA_OUT_OF_RANGE);
        }
        good("WRITE(16) FUA", blk(OpCodes.WRITE_16, 0, 1, 0x08), Harness.pattern(BS, 9), BS, null);
        good("WRITE(10) 0 blocks", blk(OpCodes.WRITE_10, 0, 0, 0), new byte[0], 0, null);
        bad("WRITE(10) 0 blocks past end", blk(OpCodes.WRITE_10, CAP + 1, 0, 0), new byte[0], 0, LBA_OUT_OF_RANGE);
        bad("WRITE(10) WRPROTECT=1", blk(OpCodes.WRITE_10, 0, 1, 0x20), new byte[BS], BS, INVALID_FIELD_IN_CDB);
        // Was CHECK CONDITION 05/0E/03. RFC 7143 11.4.5.2 / SAM-5 5.4.3: with EDTL below the SCSI transfer
        // length the target transfers EDTL bytes and reports the rest as an overflow residual; libiscsi
        // iSCSIResiduals.Write10Residuals expects GOOD + overflow 512 here (0 whole blocks covered, so
        // nothing written).
        row("WRITE(10) EDTL 0 for 1 block: GOOD, overflow, nothing written", writePattern(0, 1, 1), blk(OpCodes.WRITE_10, 0, 1, 0),
                new byte[0], 0, GOOD, NO_SENSE, (h, n, r) -> {
                    assertTrue(r.overflow);
                    assertEquals(BS, r.residual);
                    assertArrayEquals(Harness.pattern(BS, 1), readBack(h, n, 0, 1));
                });
        row("WRITE(10) EDTL 200: overflow 312, nothing written", writePattern(0, 1, 1), blk(OpCodes.WRITE_10, 0, 1, 0),
                new byte[200], 200, CHECK_CONDITION, INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT, (h, n, r) -> {
                    assertTrue(r.overflow);
                    assertEquals(BS - 200, r.residual);
                    assertArrayEquals(Harness.pattern(BS, 1), readBack(h, n, 0, 1));
                });
        good("WRITE(10) EDTL 10000 for 1 block: underflow", blk(OpCodes.WRITE_10, 0, 1, 0), Harness.pattern(10000, 2), 10000,
                (h, n, r) -> {
                    assertEquals(false, r.overflow);
                    assertEquals(10000 - BS, r.residual);
                    assertArrayEquals(Arrays.copyOf(Harness.pattern(10000, 2), BS), readBack(h, n, 0, 1));
                    assertArrayEquals(new byte[BS], readBack(h, n, 1, 1));
                });
        row("WRITE on write-protected LU", (h, n) -> h.lu0.setWriteProtected(true), blk(OpCodes.WRITE_10, 0, 1, 0), new byte[BS], BS,
                CHECK_CONDITION, WRITE_PROTECTED, null);
        row("WRITE on NOT READY LU", (h, n) -> h.lu0.setReadiness(NOT_READY_CAUSE_NOT_REPORTABLE), blk(OpCodes.WRITE_10, 0, 1, 0),
                new byte[BS], BS, CHECK_CONDITION, NOT_READY_CAUSE_NOT_REPORTABLE, null);

        // ---------------------------------------------------------------- VERIFY / WRITE AND VERIFY / PRE-FETCH / SYNC
        good("VERIFY(10) BYTCHK=0", blk(OpCodes.VERIFY_10, 0, 16, 0), null, 0, null);
        row("VERIFY(10) BYTCHK=1 match", writePattern(30, 2, 7), blk(OpCodes.VERIFY_10, 30, 2, 0x02), Harness.pattern(2 * BS, 7), 2 * BS,
                GOOD, NO_SENSE, null);
        byte[] mis = Harness.pattern(2 * BS, 7);
        mis[700] ^= 1;
        row("VERIFY(16) BYTCHK=1 miscompare at byte 700", writePattern(30, 2, 7), blk(OpCodes.VERIFY_16, 30, 2, 0x02), mis, 2 * BS,
                CHECK_CONDITION, MISCOMPARE_DURING_VERIFY, (h, n, r) -> assertEquals(700, r.information));
        row("VERIFY(12) BYTCHK=3 one block against each", (h, n) -> {
            h.run(n, 0, blk(OpCodes.WRITE_SAME_10, 40, 3, 0), Harness.pattern(BS, 8), BS);
        }, blk(OpCodes.VERIFY_12, 40, 3, 0x06), Harness.pattern(BS, 8), BS, GOOD, NO_SENSE, null);
        bad("VERIFY(10) BYTCHK=2 reserved", blk(OpCodes.VERIFY_10, 0, 1, 0x04), new byte[BS], BS, INVALID_FIELD_IN_CDB);
        bad("VERIFY(10) beyond end", blk(OpCodes.VERIFY_10, CAP, 1, 0), null, 0, LBA_OUT_OF_RANGE);
        bad("VERIFY(16) VRPROTECT=1", blk(OpCodes.VERIFY_16, 0, 1, 0x20), null, 0, INVALID_FIELD_IN_CDB);
        good("VERIFY(10) BYTCHK=1 0 blocks", blk(OpCodes.VERIFY_10, 0, 0, 0x02), new byte[0], 0, null);
        for (int op : new int[]{OpCodes.WRITE_AND_VERIFY_10, OpCodes.WRITE_AND_VERIFY_12, OpCodes.WRITE_AND_VERIFY_16}) {
            good("WRITE AND VERIFY(" + BlockCdbDescriptor.cdbSize(op) + ")", blk(op, 60, 2, 0x02), Harness.pattern(2 * BS, op), 2 * BS,
                    (h, n, r) -> assertArrayEquals(Harness.pattern(2 * BS, op), readBack(h, n, 60, 2)));
            bad("WRITE AND VERIFY(" + BlockCdbDescriptor.cdbSize(op) + ") beyond end", blk(op, CAP - 1, 2, 0), new byte[2 * BS], 2 * BS,
                    LBA_OUT_OF_RANGE);
        }
        good("PRE-FETCH(10)", blk(OpCodes.PRE_FETCH_10, 0, 100, 0), null, 0, null);
        good("PRE-FETCH(16) IMMED", blk(OpCodes.PRE_FETCH_16, 0, 100, 0x02), null, 0, null);
        bad("PRE-FETCH(10) beyond end", blk(OpCodes.PRE_FETCH_10, CAP, 1, 0), null, 0, LBA_OUT_OF_RANGE);
        bad("PRE-FETCH(16) beyond end", blk(OpCodes.PRE_FETCH_16, CAP - 1, 2, 0), null, 0, LBA_OUT_OF_RANGE);
        good("SYNCHRONIZE CACHE(10) whole LU", blk(OpCodes.SYNCHRONIZE_CACHE_10, 0, 0, 0), null, 0, null);
        good("SYNCHRONIZE CACHE(16) range", blk(OpCodes.SYNCHRONIZE_CACHE_16, 10, 10, 0), null, 0, null);
        bad("SYNCHRONIZE CACHE(10) beyond end", blk(OpCodes.SYNCHRONIZE_CACHE_10, CAP, 1, 0), null, 0, LBA_OUT_OF_RANGE);

        // ---------------------------------------------------------------- WRITE SAME
        good("WRITE SAME(10) pattern", blk(OpCodes.WRITE_SAME_10, 70, 5, 0), Harness.pattern(BS, 11), BS, (h, n, r) -> {
            byte[] d = readBack(h, n, 70, 5);
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(Harness.pattern(BS, 11), Arrays.copyOfRange(d, i * BS, (i + 1) * BS));
            }
        });
        row("WRITE SAME(16) UNMAP zeros deallocates", writePattern(80, 8, 12), blk(OpCodes.WRITE_SAME_16, 80, 8, 0x08), new byte[BS], BS,
                GOOD, NO_SENSE, (h, n, r) -> {
                    assertEquals(1, lbaState(h, n, 80));
                    assertArrayEquals(new byte[8 * BS], readBack(h, n, 80, 8));
                });
        row("WRITE SAME(10) UNMAP zeros deallocates", writePattern(80, 8, 12), blk(OpCodes.WRITE_SAME_10, 80, 8, 0x08), new byte[BS], BS,
                GOOD, NO_SENSE, (h, n, r) -> assertEquals(1, lbaState(h, n, 80)));
        // Was "UNMAP with non-zero data writes" (mapped afterwards). SBC-3 5.48/5.50 table "UNMAP bit and
        // ANCHOR bit" (SBC-4 table 237): UNMAP=1 ANCHOR=0 is an unmap operation whatever the Data-Out
        // block holds; a thin LU should deallocate and then reads return zeros (LBPRZ=1). libiscsi 1.19
        // WriteSame10.UnmapUntilEnd sends a 0xFF block with UNMAP=1 and expects zeros back.
        row("WRITE SAME(16) UNMAP with non-zero data deallocates", writePattern(80, 2, 3), blk(OpCodes.WRITE_SAME_16, 80, 2, 0x08),
                Harness.pattern(BS, 1), BS, GOOD, NO_SENSE, (h, n, r) -> {
                    assertEquals(1, lbaState(h, n, 80));
                    assertArrayEquals(new byte[2 * BS], readBack(h, n, 80, 2));
                });
        row("WRITE SAME(16) NDOB UNMAP", writePattern(90, 4, 13), blk(OpCodes.WRITE_SAME_16, 90, 4, 0x09), null, 0, GOOD, NO_SENSE,
                (h, n, r) -> assertEquals(1, lbaState(h, n, 90)));
        good("WRITE SAME(10) 0 blocks writes to the last LBA (WSNZ=0)", blk(OpCodes.WRITE_SAME_10, CAP - 3, 0, 0), Harness.pattern(BS, 21),
                BS, (h, n, r) -> {
                    byte[] d = readBack(h, n, CAP - 3, 3);
                    assertArrayEquals(Harness.pattern(BS, 21), Arrays.copyOfRange(d, 2 * BS, 3 * BS));
                    assertArrayEquals(new byte[BS], readBack(h, n, CAP - 4, 1));
                });
        good("WRITE SAME(16) 0 blocks at the capacity: nothing", blk(OpCodes.WRITE_SAME_16, CAP, 0, 0), new byte[BS], BS, null);
        bad("WRITE SAME(16) 0 blocks past the capacity", blk(OpCodes.WRITE_SAME_16, CAP + 1, 0, 0), new byte[BS], BS, LBA_OUT_OF_RANGE);
        bad("WRITE SAME(16) 0 blocks at LBA 2^63", blk(OpCodes.WRITE_SAME_16, 0x8000000000000000L, 0, 0), new byte[BS], BS,
                LBA_OUT_OF_RANGE);
        row("WRITE SAME(16) zeros without UNMAP maps blocks without data", writePattern(300, 1, 1),
                blk(OpCodes.WRITE_SAME_16, 0, 0, 0), new byte[BS], BS, GOOD, NO_SENSE, (h, n, r) -> {
                    assertEquals(0, lbaState(h, n, 0));
                    assertEquals(0, lbaState(h, n, CAP - 1));
                    assertArrayEquals(new byte[BS], readBack(h, n, 300, 1));
                    assertEquals(1, h.lu0.dataChunks());           // only the chunk written with a pattern before
                });
        bad("WRITE SAME(16) ANCHOR", blk(OpCodes.WRITE_SAME_16, 0, 1, 0x18), new byte[BS], BS, INVALID_FIELD_IN_CDB);
        bad("WRITE SAME(10) WRPROTECT", blk(OpCodes.WRITE_SAME_10, 0, 1, 0x20), new byte[BS], BS, INVALID_FIELD_IN_CDB);
        bad("WRITE SAME(16) beyond end", blk(OpCodes.WRITE_SAME_16, CAP - 1, 2, 0), new byte[BS], BS, LBA_OUT_OF_RANGE);
        bad("WRITE SAME(16) above maximum", blk(OpCodes.WRITE_SAME_16, 0, 0x400001, 0), new byte[BS], BS, INVALID_FIELD_IN_CDB);
        row("WRITE SAME(10) UNMAP with 2 blocks of Data-Out", writePattern(0, 1, 1), blk(OpCodes.WRITE_SAME_10, 0, 1, 0x08),
                new byte[2 * BS], 2 * BS, CHECK_CONDITION, INVALID_FIELD_IN_CDB, (h, n, r) -> assertEquals(0, lbaState(h, n, 0)));
        bad("WRITE SAME(10) UNMAP with half a block of Data-Out", blk(OpCodes.WRITE_SAME_10, 0, 1, 0x08), new byte[BS / 2], BS / 2,
                INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
        bad("WRITE SAME(16) NDOB with Data-Out", blk(OpCodes.WRITE_SAME_16, 0, 1, 0x09), new byte[BS], BS, INVALID_FIELD_IN_CDB);
        bad("WRITE SAME(10) no Data-Out", blk(OpCodes.WRITE_SAME_10, 0, 1, 0), new byte[0], 0, INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);

        // ---------------------------------------------------------------- UNMAP
        byte[] one = new byte[24];
        ParameterListDescriptor.unmapList(one, new long[]{100}, new int[]{8});
        row("UNMAP one descriptor", writePattern(100, 8, 14), cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, 24)), one, 24,
                GOOD, NO_SENSE, (h, n, r) -> {
                    assertEquals(1, lbaState(h, n, 100));
                    assertArrayEquals(new byte[8 * BS], readBack(h, n, 100, 8));
                });
        good("UNMAP parameter list length 0", cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, 0)), new byte[0], 0, null);
        byte[] none = new byte[8];
        ParameterListDescriptor.unmapList(none, new long[0], new int[0]);
        good("UNMAP zero descriptors", cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, 8)), none, 8, null);
        byte[] zeroCount = new byte[24];
        ParameterListDescriptor.unmapList(zeroCount, new long[]{5}, new int[]{0});
        good("UNMAP descriptor of 0 blocks", cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, 24)), zeroCount, 24, null);
        bad("UNMAP parameter list length 6", cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, 6)), new byte[6], 6,
                PARAMETER_LIST_LENGTH_ERROR);
        byte[] beyond = new byte[24];
        ParameterListDescriptor.unmapList(beyond, new long[]{CAP - 1}, new int[]{2});
        bad("UNMAP beyond end", cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, 24)), beyond, 24, LBA_OUT_OF_RANGE);
        bad("UNMAP ANCHOR", cdb(10, c -> ServiceCdbDescriptor.unmap(c, true, 24)), one, 24, INVALID_FIELD_IN_CDB);
        long[] many = new long[257];
        int[] counts = new int[257];
        for (int i = 0; i < many.length; i++) {
            many[i] = i;
            counts[i] = 1;
        }
        byte[] tooMany = new byte[8 + 16 * 257];
        ParameterListDescriptor.unmapList(tooMany, many, counts);
        bad("UNMAP 257 descriptors", cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, tooMany.length)), tooMany, tooMany.length,
                INVALID_FIELD_IN_PARAMETER_LIST);
        byte[] big = new byte[24];
        ParameterListDescriptor.unmapList(big, new long[]{0}, new int[]{0x400001});
        row("UNMAP above maximum LBA count", null, cdb(10, c -> ServiceCdbDescriptor.unmap(c, false, 24)), big, 24, CHECK_CONDITION,
                INVALID_FIELD_IN_PARAMETER_LIST, null);

        // ---------------------------------------------------------------- GET LBA STATUS
        good("GET LBA STATUS fresh LU: one deallocated extent", cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, 0x12, 0, 1024)),
                null, 1024, (h, n, r) -> {
                    assertEquals(20, CdbDescriptor.u32(r.data, 0));
                    assertEquals(0, CdbDescriptor.u64(r.data, 8));
                    assertEquals(CAP, CdbDescriptor.u32(r.data, 16));
                    assertEquals(1, r.data[20]);
                });
        row("GET LBA STATUS mapped then deallocated", writePattern(4, 8, 1),
                cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, 0x12, 4, 1024)), null, 1024, GOOD, NO_SENSE, (h, n, r) -> {
                    assertEquals(36, CdbDescriptor.u32(r.data, 0));
                    assertEquals(4, CdbDescriptor.u64(r.data, 8));
                    assertEquals(8, CdbDescriptor.u32(r.data, 16));
                    assertEquals(0, r.data[20]);
                    assertEquals(12, CdbDescriptor.u64(r.data, 24));
                    assertEquals(CAP - 12, CdbDescriptor.u32(r.data, 32));
                    assertEquals(1, r.data[36]);
                });
        good("GET LBA STATUS last LBA", cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, 0x12, CAP - 1, 24)), null, 24,
                (h, n, r) -> assertEquals(1, CdbDescriptor.u32(r.data, 16)));
        bad("GET LBA STATUS beyond end", cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, 0x12, CAP, 24)), null, 24,
                LBA_OUT_OF_RANGE);

        // ---------------------------------------------------------------- COMPARE AND WRITE
        byte[] caw = new byte[4 * BS];
        System.arraycopy(Harness.pattern(2 * BS, 15), 0, caw, 0, 2 * BS);
        System.arraycopy(Harness.pattern(2 * BS, 16), 0, caw, 2 * BS, 2 * BS);
        row("COMPARE AND WRITE match", writePattern(200, 2, 15), blk(OpCodes.COMPARE_AND_WRITE, 200, 2, 0), caw, 4 * BS, GOOD, NO_SENSE,
                (h, n, r) -> assertArrayEquals(Harness.pattern(2 * BS, 16), readBack(h, n, 200, 2)));
        byte[] caw2 = caw.clone();
        caw2[5] ^= 0x40;
        row("COMPARE AND WRITE miscompare at offset 5", writePattern(200, 2, 15), blk(OpCodes.COMPARE_AND_WRITE, 200, 2, 0), caw2, 4 * BS,
                CHECK_CONDITION, MISCOMPARE_DURING_VERIFY, (h, n, r) -> {
                    assertEquals(5, r.information);
                    assertArrayEquals(Harness.pattern(2 * BS, 15), readBack(h, n, 200, 2));
                });
        good("COMPARE AND WRITE 0 blocks", blk(OpCodes.COMPARE_AND_WRITE, 0, 0, 0), new byte[0], 0, null);
        bad("COMPARE AND WRITE beyond end", blk(OpCodes.COMPARE_AND_WRITE, CAP - 1, 2, 0), caw, 4 * BS, LBA_OUT_OF_RANGE);
        bad("COMPARE AND WRITE WRPROTECT", blk(OpCodes.COMPARE_AND_WRITE, 0, 1, 0x20), new byte[2 * BS], 2 * BS, INVALID_FIELD_IN_CDB);
        bad("COMPARE AND WRITE Data-Out of 4 blocks for 1 block", blk(OpCodes.COMPARE_AND_WRITE, 0, 1, 0), new byte[4 * BS], 4 * BS,
                INVALID_FIELD_IN_CDB);
        bad("COMPARE AND WRITE short Data-Out", blk(OpCodes.COMPARE_AND_WRITE, 0, 2, 0), new byte[2 * BS], 2 * BS,
                INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);

        // ---------------------------------------------------------------- ORWRITE
        byte[] orData = new byte[2 * BS];
        Arrays.fill(orData, (byte) 0x0F);
        row("ORWRITE(16) ORs into the medium", (h, n) -> {
            byte[] p = new byte[2 * BS];
            Arrays.fill(p, (byte) 0xA0);
            h.run(n, 0, blk(OpCodes.WRITE_16, 400, 2, 0), p, 2 * BS);
        }, blk(OpCodes.ORWRITE_16, 400, 2, 0), orData, 2 * BS, GOOD, NO_SENSE, (h, n, r) -> {
            byte[] want = new byte[2 * BS];
            Arrays.fill(want, (byte) 0xAF);
            assertArrayEquals(want, readBack(h, n, 400, 2));
        });
        good("ORWRITE(16) 0 blocks", blk(OpCodes.ORWRITE_16, 0, 0, 0), new byte[0], 0, null);
        bad("ORWRITE(16) beyond end", blk(OpCodes.ORWRITE_16, CAP - 1, 2, 0), orData, 2 * BS, LBA_OUT_OF_RANGE);
        bad("ORWRITE(16) ORPROTECT=1", blk(OpCodes.ORWRITE_16, 0, 1, 0x20), new byte[BS], BS, INVALID_FIELD_IN_CDB);

        // ---------------------------------------------------------------- START STOP UNIT / REQUEST SENSE / REPORT LUNS
        good("START STOP UNIT start", cdb(6, c -> ServiceCdbDescriptor.startStopUnit(c, false, 0, false, true)), null, 0, null);
        good("START STOP UNIT stop IMMED, LOEJ (non-removable: unchanged)",
                cdb(6, c -> ServiceCdbDescriptor.startStopUnit(c, true, 0, true, false)), null, 0,
                (h, n, r) -> assertEquals(GOOD, h.run(n, 0, new byte[6], null, 0).status));
        bad("START STOP UNIT power condition 4 reserved", cdb(6, c -> ServiceCdbDescriptor.startStopUnit(c, false, 4, false, true)),
                null, 0, INVALID_FIELD_IN_CDB);
        good("REQUEST SENSE fixed: no sense", cdb(6, c -> ServiceCdbDescriptor.requestSense(c, false, 252)), null, 252, (h, n, r) -> {
            assertEquals(18, r.data.length);
            assertEquals(0x70, r.data[0]);
            assertEquals(0, r.data[2]);
        });
        good("REQUEST SENSE descriptor format", cdb(6, c -> ServiceCdbDescriptor.requestSense(c, true, 252)), null, 252, (h, n, r) -> {
            assertEquals(8, r.data.length);
            assertEquals(0x72, r.data[0]);
        });
        row("REQUEST SENSE on NOT READY LU returns the reason", (h, n) -> h.lu0.setReadiness(NOT_READY_INITIALIZING_COMMAND_REQUIRED),
                cdb(6, c -> ServiceCdbDescriptor.requestSense(c, false, 18)), null, 18, GOOD, NO_SENSE, (h, n, r) -> {
                    assertEquals(2, r.data[2]);
                    assertEquals(4, r.data[12]);
                    assertEquals(2, r.data[13]);
                });
        good("REQUEST SENSE to unpresented LUN: LUN not supported", cdb(6, c -> ServiceCdbDescriptor.requestSense(c, false, 18)), null, 18,
                (h, n, r) -> {
                    assertEquals(5, r.data[2]);
                    assertEquals(0x25, r.data[12]);
                }).lun(9);
        good("REPORT LUNS", cdb(12, c -> ServiceCdbDescriptor.reportLuns(c, 0, 256)), null, 256, (h, n, r) -> {
            assertEquals(16, r.data.length);
            assertEquals(8, CdbDescriptor.u32(r.data, 0));
            assertEquals(0, CdbDescriptor.u64(r.data, 8));
        });
        good("REPORT LUNS select 2", cdb(12, c -> ServiceCdbDescriptor.reportLuns(c, 2, 256)), null, 256, data(16));
        good("REPORT LUNS select 1 (well-known only): empty", cdb(12, c -> ServiceCdbDescriptor.reportLuns(c, 1, 256)), null, 256,
                data(8));
        bad("REPORT LUNS select 3", cdb(12, c -> ServiceCdbDescriptor.reportLuns(c, 3, 256)), null, 256, INVALID_FIELD_IN_CDB);
        good("REPORT LUNS to unpresented LUN 3 still answers", cdb(12, c -> ServiceCdbDescriptor.reportLuns(c, 0, 256)), null, 256,
                data(16)).lun(3);

        // ---------------------------------------------------------------- MODE SENSE / MODE SELECT
        good("MODE SENSE(6) all pages", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, false, 0, 0x3F, 0, 255)), null, 255,
                (h, n, r) -> {
                    assertEquals(4 + 8 + 20 + 12 + 12, r.data.length);
                    assertEquals(r.data.length - 1, u8(r.data, 0));
                    assertEquals(0x10, r.data[2]);           // DPOFUA, not WP
                    assertEquals(8, r.data[3]);
                    assertEquals(CAP, CdbDescriptor.u32(r.data, 4));
                    assertEquals(512, CdbDescriptor.u24(r.data, 9));
                    assertEquals(0x08, r.data[12]);
                    assertEquals(0x12, r.data[13]);
                    assertEquals(0x04, r.data[14]);          // WCE
                    assertEquals(0x0A, r.data[32]);
                    assertEquals(0x1C, r.data[44]);
                });
        good("MODE SENSE(6) all pages and subpages", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, false, 0, 0x3F, 0xFF, 255)), null, 255,
                data(56));
        good("MODE SENSE(6) DBD caching", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, true, 0, 0x08, 0, 255)), null, 255,
                (h, n, r) -> {
                    assertEquals(24, r.data.length);
                    assertEquals(0, r.data[3]);
                    assertEquals(0x08, r.data[4]);
                });
        good("MODE SENSE(10) LLBAA control page", cdb(10, c -> ServiceCdbDescriptor.modeSense10(c, true, false, 0, 0x0A, 0, 255)), null,
                255, (h, n, r) -> {
                    assertEquals(8 + 16 + 12, r.data.length);
                    assertEquals(r.data.length - 2, CdbDescriptor.u16(r.data, 0));
                    assertEquals(1, r.data[4]);
                    assertEquals(16, CdbDescriptor.u16(r.data, 6));
                    assertEquals(CAP, CdbDescriptor.u64(r.data, 8));
                    assertEquals(0x0A, r.data[24]);
                });
        good("MODE SENSE(6) changeable caching", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, true, 1, 0x08, 0, 255)), null, 255,
                (h, n, r) -> {
                    assertEquals(0x04, r.data[6]);
                    for (int i = 7; i < 24; i++) {
                        assertEquals(0, r.data[i]);
                    }
                });
        good("MODE SENSE(6) default informational exceptions", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, true, 2, 0x1C, 0, 255)),
                null, 255, (h, n, r) -> assertEquals(0x08, r.data[6]));
        good("MODE SENSE(6) alloc 4", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, false, 0, 0x3F, 0, 4)), null, 4, data(4));
        bad("MODE SENSE(6) saved values", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, false, 3, 0x08, 0, 255)), null, 255,
                SAVING_PARAMETERS_NOT_SUPPORTED);
        bad("MODE SENSE(6) unsupported page 19h", cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, false, 0, 0x19, 0, 255)), null, 255,
                INVALID_FIELD_IN_CDB);
        bad("MODE SENSE(10) subpage 1", cdb(10, c -> ServiceCdbDescriptor.modeSense10(c, false, false, 0, 0x08, 1, 255)), null, 255,
                INVALID_FIELD_IN_CDB);
        byte[] wceOff = new byte[4 + 20];
        wceOff[4] = 0x08;
        wceOff[5] = 0x12;
        good("MODE SELECT(6) WCE=0", cdb(6, c -> ServiceCdbDescriptor.modeSelect6(c, true, false, 24)), wceOff, 24, (h, n, r) -> {
            Result s = h.run(n, 0, cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, true, 0, 0x08, 0, 255)), null, 255);
            assertEquals(0, s.data[6] & 0x04);
        });
        byte[] rcd = wceOff.clone();
        rcd[6] = 0x05;
        row("MODE SELECT(6) non-changeable RCD bit", null, cdb(6, c -> ServiceCdbDescriptor.modeSelect6(c, true, false, 24)), rcd, 24,
                CHECK_CONDITION, INVALID_FIELD_IN_PARAMETER_LIST, (h, n, r) -> assertEquals(6, r.fieldPointer));
        byte[] badLen = wceOff.clone();
        badLen[5] = 0x10;
        bad("MODE SELECT(6) wrong page length", cdb(6, c -> ServiceCdbDescriptor.modeSelect6(c, true, false, 24)), badLen, 24,
                INVALID_FIELD_IN_PARAMETER_LIST);
        byte[] bd = new byte[4 + 8 + 20];
        bd[3] = 8;
        CdbDescriptor.put24(bd, 9, 4096);
        bd[12] = 0x08;
        bd[13] = 0x12;
        bd[14] = 0x04;
        bad("MODE SELECT(6) block length 4096", cdb(6, c -> ServiceCdbDescriptor.modeSelect6(c, true, false, 32)), bd, 32,
                INVALID_FIELD_IN_PARAMETER_LIST);
        bad("MODE SELECT(6) SP=1", cdb(6, c -> ServiceCdbDescriptor.modeSelect6(c, true, true, 24)), wceOff, 24, INVALID_FIELD_IN_CDB);
        bad("MODE SELECT(10) list shorter than header", cdb(10, c -> ServiceCdbDescriptor.modeSelect10(c, true, false, 2)), new byte[2], 2,
                PARAMETER_LIST_LENGTH_ERROR);
        byte[] dsense = new byte[8 + 12];
        dsense[8] = 0x0A;
        dsense[9] = 0x0A;
        dsense[10] = 0x04;
        dsense[11] = 0x10;
        dsense[13] = 0x40;
        dsense[16] = (byte) 0xFF;
        dsense[17] = (byte) 0xFF;
        good("MODE SELECT(10) D_SENSE=1 then errors use descriptor sense", cdb(10, c -> ServiceCdbDescriptor.modeSelect10(c, true, false, 20)),
                dsense, 20, (h, n, r) -> {
                    Result s = h.run(n, 0, blk(OpCodes.READ_10, CAP, 1, 0), null, BS);
                    assertEquals(0x72, s.senseBytes[0]);
                    assertEquals(LBA_OUT_OF_RANGE, s.sense);
                    assertEquals(CAP, s.information);
                });
        byte[] swp = dsense.clone();
        swp[10] = 0;
        swp[12] = 0x08;
        good("MODE SELECT(10) SWP=1 then writes are software write protected",
                cdb(10, c -> ServiceCdbDescriptor.modeSelect10(c, true, false, 20)), swp, 20, (h, n, r) -> {
                    Result s = h.run(n, 0, blk(OpCodes.WRITE_10, 0, 1, 0), new byte[BS], BS);
                    assertEquals(SOFTWARE_WRITE_PROTECTED, s.sense);
                    Result m = h.run(n, 0, cdb(6, c -> ServiceCdbDescriptor.modeSense6(c, true, 0, 0x0A, 0, 255)), null, 255);
                    assertEquals(0x80, m.data[2] & 0x80);
                });

        // ---------------------------------------------------------------- REPORT SUPPORTED OPERATION CODES
        good("RSOC all commands", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 0, 0, 0, 4096)), null, 4096,
                (h, n, r) -> {
                    long len = CdbDescriptor.u32(r.data, 0);
                    assertEquals(r.data.length - 4, len);
                    assertEquals(0, len % 8);
                    boolean read10 = false;
                    for (int p = 4; p < r.data.length; p += 8) {
                        if (u8(r.data, p) == 0x28) {
                            read10 = CdbDescriptor.u16(r.data, p + 6) == 10;
                        }
                    }
                    assertTrue(read10);
                });
        good("RSOC all commands RCTD", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, true, 0, 0, 0, 8192)), null, 8192,
                (h, n, r) -> {
                    assertEquals(0, (r.data.length - 4) % 20);
                    assertEquals(0x02, r.data[4 + 5] & 0x02);
                    assertEquals(0x0A, CdbDescriptor.u16(r.data, 12));
                });
        good("RSOC one command READ(10)", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 1, 0x28, 0, 64)), null, 64,
                (h, n, r) -> {
                    assertEquals(3, r.data[1] & 7);
                    assertEquals(10, CdbDescriptor.u16(r.data, 2));
                    assertEquals(0x28, u8(r.data, 4));
                    assertEquals(14, r.data.length);
                });
        good("RSOC one command RCTD adds timeouts", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, true, 1, 0x2A, 0, 64)),
                null, 64, (h, n, r) -> {
                    assertEquals(0x80, r.data[1] & 0x80);
                    assertEquals(26, r.data.length);
                });
        good("RSOC one command + SA READ CAPACITY(16)", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 2, 0x9E, 0x10, 64)),
                null, 64, (h, n, r) -> {
                    assertEquals(3, r.data[1] & 7);
                    assertEquals(16, CdbDescriptor.u16(r.data, 2));
                    assertEquals(0x10, r.data[5] & 0x1F);
                });
        good("RSOC unsupported opcode 01h", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 1, 0x01, 0, 64)), null, 64,
                (h, n, r) -> assertEquals(1, r.data[1] & 7));
        bad("RSOC option 1 for opcode with service actions", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 1, 0x9E, 0, 64)),
                null, 64, INVALID_FIELD_IN_CDB);
        bad("RSOC option 2 for opcode without service actions", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 2, 0x28, 0, 64)),
                null, 64, INVALID_FIELD_IN_CDB);
        bad("RSOC reporting options 7", cdb(12, c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 7, 0, 0, 64)), null, 64,
                INVALID_FIELD_IN_CDB);
        bad("MAINTENANCE IN unknown service action", Harness.hex("A3050000000000000040 0000".replace(" ", "")), null, 64,
                INVALID_FIELD_IN_CDB);

        // ---------------------------------------------------------------- reservations (single nexus rows)
        good("RESERVE(6)", cdb(6, c -> ServiceCdbDescriptor.simple6(c, OpCodes.RESERVE_6)), null, 0, null);
        good("RELEASE(6) without reservation", cdb(6, c -> ServiceCdbDescriptor.simple6(c, OpCodes.RELEASE_6)), null, 0, null);
        good("PR IN REPORT CAPABILITIES", cdb(10, c -> ServiceCdbDescriptor.persistentReserveIn(c, 2, 8)), null, 8, (h, n, r) -> {
            assertArrayEquals(Harness.hex("00081480EA010000"), r.data);
        });
        good("PR IN READ KEYS empty", cdb(10, c -> ServiceCdbDescriptor.persistentReserveIn(c, 0, 64)), null, 64, data(8));
        good("PR IN READ RESERVATION none", cdb(10, c -> ServiceCdbDescriptor.persistentReserveIn(c, 1, 64)), null, 64, data(8));
        bad("PR IN service action 5", cdb(10, c -> ServiceCdbDescriptor.persistentReserveIn(c, 5, 64)), null, 64, INVALID_FIELD_IN_CDB);
        byte[] reg = new byte[24];
        ParameterListDescriptor.proutBasic(reg, 0, 0x1234, false, false);
        good("PR OUT REGISTER", cdb(10, c -> ServiceCdbDescriptor.persistentReserveOut(c, 0, 0, 0, 24)), reg, 24, (h, n, r) -> {
            Result k = h.run(n, 0, cdb(10, c -> ServiceCdbDescriptor.persistentReserveIn(c, 0, 64)), null, 64);
            assertEquals(1, CdbDescriptor.u32(k.data, 0));
            assertEquals(0x1234, CdbDescriptor.u64(k.data, 8));
        });
        bad("PR OUT REGISTER parameter list length 20", cdb(10, c -> ServiceCdbDescriptor.persistentReserveOut(c, 0, 0, 0, 20)),
                Arrays.copyOf(reg, 20), 20, PARAMETER_LIST_LENGTH_ERROR);
        byte[] aptpl = new byte[24];
        ParameterListDescriptor.proutBasic(aptpl, 0, 0x1234, false, true);
        bad("PR OUT REGISTER APTPL=1 rejected (PTPL_C=0)", cdb(10, c -> ServiceCdbDescriptor.persistentReserveOut(c, 0, 0, 0, 24)), aptpl,
                24, INVALID_FIELD_IN_PARAMETER_LIST);
        bad("PR OUT service action 9", cdb(10, c -> ServiceCdbDescriptor.persistentReserveOut(c, 9, 0, 0, 24)), reg, 24,
                INVALID_FIELD_IN_CDB);
        row("PR OUT RESERVE unregistered: conflict", null, cdb(10, c -> ServiceCdbDescriptor.persistentReserveOut(c, 1, 0, 1, 24)), reg, 24,
                ScsiStatus.RESERVATION_CONFLICT, NO_SENSE, null);
        row("PR OUT RESERVE bad type 2", (h, n) -> h.run(n, 0, cdb(10, c -> ServiceCdbDescriptor.persistentReserveOut(c, 0, 0, 0, 24)),
                        reg, 24), cdb(10, c -> ServiceCdbDescriptor.persistentReserveOut(c, 1, 0, 2, 24)), reg, 24, CHECK_CONDITION,
                INVALID_FIELD_IN_CDB, null);

        // ---------------------------------------------------------------- libiscsi conformance (issue 6)
        // EDTL below the SCSI transfer length on writes: whole blocks covered written, GOOD + overflow
        // (RFC 7143 11.4.5.2; libiscsi iSCSIResiduals.Write*Residuals / WriteVerify*Residuals).
        row("WRITE(10) 2 blocks, EDTL one block: first written, second kept, overflow 512", writePattern(0, 2, 1),
                blk(OpCodes.WRITE_10, 0, 2, 0), Harness.pattern(BS, 5), BS, GOOD, NO_SENSE, (h, n, r) -> {
                    assertTrue(r.overflow);
                    assertEquals(BS, r.residual);
                    assertArrayEquals(Harness.pattern(BS, 5), readBack(h, n, 0, 1));
                    assertArrayEquals(Arrays.copyOfRange(Harness.pattern(2 * BS, 1), BS, 2 * BS), readBack(h, n, 1, 1));
                });
        row("WRITE AND VERIFY(16) 2 blocks, EDTL one block: GOOD overflow 512", writePattern(0, 2, 1),
                blk(OpCodes.WRITE_AND_VERIFY_16, 0, 2, 0), Harness.pattern(BS, 6), BS, GOOD, NO_SENSE, (h, n, r) -> {
                    assertTrue(r.overflow);
                    assertEquals(BS, r.residual);
                    assertArrayEquals(Harness.pattern(BS, 6), readBack(h, n, 0, 1));
                    assertArrayEquals(Arrays.copyOfRange(Harness.pattern(2 * BS, 1), BS, 2 * BS), readBack(h, n, 1, 1));
                });
        row("WRITE(12) 2 blocks, EDTL 700 (partial block): 05/0E/03 overflow 324, nothing written", writePattern(0, 2, 1),
                blk(OpCodes.WRITE_12, 0, 2, 0), Harness.pattern(700, 7), 700, CHECK_CONDITION, INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT,
                (h, n, r) -> {
                    assertTrue(r.overflow);
                    assertEquals(2 * BS - 700, r.residual);
                    assertArrayEquals(Harness.pattern(2 * BS, 1), readBack(h, n, 0, 2));
                });
        // LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (SBC-3 5.16.2): 3 by default, per LU
        good("READ CAPACITY(16) LBPPBE 3, lowest aligned LBA 0", cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c,
                OpCodes.SA_READ_CAPACITY_16, 0, 32)), null, 32, (h, n, r) -> {
                    assertEquals(3, r.data[13] & 0x0F);
                    assertEquals(0, CdbDescriptor.u16(r.data, 14) & 0x3FFF);
                    assertEquals(0xC0, r.data[14] & 0xC0);
                });
        row("READ CAPACITY(16) LBPPBE 0 for a 512-native LU", (h, n) -> h.lu0.setPhysicalBlockExponent(0),
                cdb(16, c -> ServiceCdbDescriptor.serviceActionIn16(c, OpCodes.SA_READ_CAPACITY_16, 0, 32)), null, 32, GOOD, NO_SENSE,
                (h, n, r) -> assertEquals(0, r.data[13] & 0x0F));
        good("INQUIRY VPD B0h atomic write limits", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0xB0, 255)), null, 255,
                (h, n, r) -> {
                    assertEquals(2048, CdbDescriptor.u32(r.data, 44));   // maximum atomic transfer length
                    assertEquals(0, CdbDescriptor.u32(r.data, 48));      // atomic alignment
                    assertEquals(0, CdbDescriptor.u32(r.data, 52));      // atomic transfer length granularity
                    assertEquals(0, CdbDescriptor.u32(r.data, 60));      // maximum atomic boundary size
                });
        // WRITE ATOMIC(16) (SBC-4 5.48)
        good("WRITE ATOMIC(16) lands", blk(OpCodes.WRITE_ATOMIC_16, 40, 3, 0), Harness.pattern(3 * BS, 31), 3 * BS,
                (h, n, r) -> assertArrayEquals(Harness.pattern(3 * BS, 31), readBack(h, n, 40, 3)));
        good("WRITE ATOMIC(16) DPO FUA", blk(OpCodes.WRITE_ATOMIC_16, CAP - 1, 1, 0x18), Harness.pattern(BS, 32), BS,
                (h, n, r) -> assertArrayEquals(Harness.pattern(BS, 32), readBack(h, n, CAP - 1, 1)));
        good("WRITE ATOMIC(16) 0 blocks", blk(OpCodes.WRITE_ATOMIC_16, 0, 0, 0), new byte[0], 0, null);
        bad("WRITE ATOMIC(16) 0 blocks past end", blk(OpCodes.WRITE_ATOMIC_16, CAP + 1, 0, 0), new byte[0], 0, LBA_OUT_OF_RANGE);
        bad("WRITE ATOMIC(16) beyond end", blk(OpCodes.WRITE_ATOMIC_16, CAP - 1, 2, 0), new byte[2 * BS], 2 * BS, LBA_OUT_OF_RANGE);
        bad("WRITE ATOMIC(16) LBA 2^63", blk(OpCodes.WRITE_ATOMIC_16, Long.MIN_VALUE, 1, 0), new byte[BS], BS, LBA_OUT_OF_RANGE);
        bad("WRITE ATOMIC(16) WRPROTECT=1", blk(OpCodes.WRITE_ATOMIC_16, 0, 1, 0x20), new byte[BS], BS, INVALID_FIELD_IN_CDB);
        bad("WRITE ATOMIC(16) ATOMIC BOUNDARY set", with(blk(OpCodes.WRITE_ATOMIC_16, 0, 1, 0), 11, 1), new byte[BS], BS,
                INVALID_FIELD_IN_CDB);
        bad("WRITE ATOMIC(16) above maximum atomic transfer length", blk(OpCodes.WRITE_ATOMIC_16, 0, 2049, 0), new byte[2049 * BS],
                2049L * BS, INVALID_FIELD_IN_CDB);
        row("WRITE ATOMIC(16) short Data-Out: nothing written", writePattern(50, 2, 2), blk(OpCodes.WRITE_ATOMIC_16, 50, 2, 0),
                Harness.pattern(BS, 33), BS, CHECK_CONDITION, INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT,
                (h, n, r) -> assertArrayEquals(Harness.pattern(2 * BS, 2), readBack(h, n, 50, 2)));
        row("WRITE ATOMIC(16) on write-protected LU", (h, n) -> h.lu0.setWriteProtected(true), blk(OpCodes.WRITE_ATOMIC_16, 0, 1, 0),
                new byte[BS], BS, CHECK_CONDITION, WRITE_PROTECTED, null);
        good("REPORT SUPPORTED OPCODES WRITE ATOMIC(16): DPO/FUA in usage data", cdb(12,
                c -> ServiceCdbDescriptor.reportSupportedOpcodes(c, false, 1, OpCodes.WRITE_ATOMIC_16, 0, 64)), null, 64, (h, n, r) -> {
                    assertEquals(3, r.data[1] & 0x07);                  // supported, per standard
                    assertEquals(16, CdbDescriptor.u16(r.data, 2));
                    assertEquals(0x18, r.data[5] & 0x18);
                });
        // WRITE SAME UNMAP=1 deallocates whatever the block holds (libiscsi WriteSame10.UnmapUntilEnd)
        row("WRITE SAME(10) UNMAP 0 blocks (to the end) with a 0xFF block deallocates", writePattern(CAP - 4, 4, 9),
                blk(OpCodes.WRITE_SAME_10, CAP - 4, 0, 0x08), filled(BS, 0xFF), BS, GOOD, NO_SENSE, (h, n, r) -> {
                    assertEquals(1, lbaState(h, n, CAP - 4));
                    assertArrayEquals(new byte[4 * BS], readBack(h, n, CAP - 4, 4));
                });
        // READ DEFECT DATA (SBC-3 5.18/5.19): no defects
        good("READ DEFECT DATA(10) P+G lists, short block format", new byte[]{0x37, 0, 0x18, 0, 0, 0, 0, 0, 32, 0}, null, 32,
                (h, n, r) -> assertArrayEquals(new byte[]{0, 0x18, 0, 0}, r.data));
        good("READ DEFECT DATA(10) no list, physical sector format echoed", new byte[]{0x37, 0, 0x05, 0, 0, 0, 0, 0, 32, 0}, null, 32,
                (h, n, r) -> assertArrayEquals(new byte[]{0, 0x05, 0, 0}, r.data));
        bad("READ DEFECT DATA(10) reserved format 7", new byte[]{0x37, 0, 0x07, 0, 0, 0, 0, 0, 32, 0}, null, 32, INVALID_FIELD_IN_CDB);
        good("READ DEFECT DATA(12) G list, 8-byte header", new byte[]{(byte) 0xB7, 0x08, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0}, null, 64,
                (h, n, r) -> assertArrayEquals(new byte[]{0, 0x08, 0, 0, 0, 0, 0, 0}, r.data));
        good("READ DEFECT DATA(12) allocation length 4 truncates", new byte[]{(byte) 0xB7, 0x18, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0}, null, 4,
                (h, n, r) -> assertArrayEquals(new byte[]{0, 0x18, 0, 0}, r.data));
        // PREVENT ALLOW MEDIUM REMOVAL on a non-removable LU (RMB=0)
        good("PREVENT ALLOW MEDIUM REMOVAL prevent=1", new byte[]{0x1E, 0, 0, 0, 1, 0}, null, 0, null);
        good("PREVENT ALLOW MEDIUM REMOVAL prevent=0", new byte[]{0x1E, 0, 0, 0, 0, 0}, null, 0, null);
        bad("PREVENT ALLOW MEDIUM REMOVAL obsolete prevent=2", new byte[]{0x1E, 0, 0, 0, 2, 0}, null, 0, INVALID_FIELD_IN_CDB);
        row("PREVENT ALLOW MEDIUM REMOVAL on NOT READY LU", (h, n) -> h.lu0.setReadiness(NOT_READY_CAUSE_NOT_REPORTABLE),
                new byte[]{0x1E, 0, 0, 0, 1, 0}, null, 0, CHECK_CONDITION, NOT_READY_CAUSE_NOT_REPORTABLE, null);

        // EXTENDED COPY(LID1) / RECEIVE COPY RESULTS / Third-party Copy VPD (SPC-4 6.4, 6.18, 7.8.17)
        good("INQUIRY standard 3PC", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, false, 0, 255)), null, 255,
                (h, n, r) -> assertEquals(0x08, r.data[5] & 0x08));
        good("INQUIRY VPD 8Fh supported commands 83h/00h, 84h/00h+03h", cdb(6, c -> ServiceCdbDescriptor.inquiry(c, true, 0x8F, 255)),
                null, 255, (h, n, r) -> {
                    assertEquals(0x8F, u8(r.data, 1));
                    assertEquals(12, CdbDescriptor.u16(r.data, 2));
                    assertEquals(1, CdbDescriptor.u16(r.data, 4));    // Supported Commands descriptor
                    assertEquals(8, CdbDescriptor.u16(r.data, 6));
                    assertArrayEquals(Harness.hex("07830100840200030000"), Arrays.copyOfRange(r.data, 8, 16 + 2));
                });
        byte[] xc = xcopy("lu0", 1, ExtendedCopyDescriptor.LIST_ID_USAGE_NO_HOLD, 1, new long[]{0, 0, 4, 10, 600});
        row("EXTENDED COPY 4 blocks within the LU", writePattern(10, 4, 41), xcopyCdb(xc.length), xc, xc.length, GOOD, NO_SENSE,
                (h, n, r) -> assertArrayEquals(Harness.pattern(4 * BS, 41), readBack(h, n, 600, 4)));
        byte[] xc2 = xcopy("lu0", 2, ExtendedCopyDescriptor.LIST_ID_USAGE_NO_HOLD, 2, new long[]{0, 1, 3, 10, 700});
        ExtendedCopyDescriptor.identificationTarget(xc2, ExtendedCopyDescriptor.HEADER + 32, 1, 3, Naa.fromName("lu1"), BS);
        row("EXTENDED COPY from LUN 0 to another LU by its NAA", (h, n) -> {
            writePattern(10, 3, 42).apply(h, n);
            h.table.present(PresentationTable.ALL, 1, new MemoryLogicalUnit("lu1", 1024));
            h.run(n, 0, new byte[6], null, 0);                 // consume REPORTED LUNS DATA HAS CHANGED on LUN 0
        }, xcopyCdb(xc2.length), xc2, xc2.length, GOOD, NO_SENSE, (h, n, r) -> {
            Result rd = null;
            for (int i = 0; i < 4; i++) {                      // clear the new LUN's unit attentions first
                rd = h.run(n, 1, blk(OpCodes.READ_16, 700, 3, 0), null, 3L * BS);
                if (rd.status == GOOD) {
                    break;
                }
            }
            assertEquals(GOOD, rd.status, rd.toString());
            assertArrayEquals(Harness.pattern(3 * BS, 42), rd.data);
            assertArrayEquals(new byte[3 * BS], readBack(h, n, 700, 3));   // not on the source LU
        });
        good("EXTENDED COPY parameter list length 0", xcopyCdb(0), new byte[0], 0, null);
        bad("EXTENDED COPY list shorter than its descriptor lengths", xcopyCdb(xc.length - 1), Arrays.copyOf(xc, xc.length - 1),
                xc.length - 1, PARAMETER_LIST_LENGTH_ERROR);
        byte[] nineTargets = xcopy("lu0", 9, 2, 3, new long[]{0, 0, 1, 0, 100});
        bad("EXTENDED COPY 9 target descriptors", xcopyCdb(nineTargets.length), nineTargets, nineTargets.length,
                TOO_MANY_TARGET_DESCRIPTORS);
        long[][] segs = new long[65][];
        Arrays.fill(segs, new long[]{0, 0, 1, 0, 100});
        byte[] manySegs = xcopy("lu0", 1, 2, 4, segs);
        bad("EXTENDED COPY 65 segment descriptors", xcopyCdb(manySegs.length), manySegs, manySegs.length, TOO_MANY_SEGMENT_DESCRIPTORS);
        byte[] fcTarget = with(xc, ExtendedCopyDescriptor.HEADER, 0xE0);
        bad("EXTENDED COPY FC N_Port_Name target descriptor", xcopyCdb(xc.length), fcTarget, xc.length,
                UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE);
        byte[] streamSeg = with(xc, ExtendedCopyDescriptor.HEADER + 32, 0x03);
        bad("EXTENDED COPY stream-to-stream segment", xcopyCdb(xc.length), streamSeg, xc.length, UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE);
        byte[] badIndex = xcopy("lu0", 1, 2, 5, new long[]{0, 1, 4, 10, 600});
        row("EXTENDED COPY destination index beyond the target list: COPY ABORTED 08/04", writePattern(600, 4, 43),
                xcopyCdb(badIndex.length), badIndex, badIndex.length, CHECK_CONDITION, UNREACHABLE_COPY_TARGET,
                (h, n, r) -> assertArrayEquals(Harness.pattern(4 * BS, 43), readBack(h, n, 600, 4)));
        byte[] unknownLu = xcopy("no-such-lu", 1, 2, 6, new long[]{0, 0, 4, 10, 600});
        bad("EXTENDED COPY designator of no visible LU: COPY ABORTED 0D/02", xcopyCdb(unknownLu.length), unknownLu, unknownLu.length,
                COPY_TARGET_DEVICE_NOT_REACHABLE);
        byte[] xcBeyond = xcopy("lu0", 1, 2, 7, new long[]{0, 0, 8, 10, 600}, new long[]{0, 0, 2048, 0, CAP - 1});
        row("EXTENDED COPY second segment beyond the end: COPY ABORTED, first segment not copied", writePattern(600, 8, 44),
                xcopyCdb(xcBeyond.length), xcBeyond, xcBeyond.length, CHECK_CONDITION, COPY_ABORTED,
                (h, n, r) -> assertArrayEquals(Harness.pattern(8 * BS, 44), readBack(h, n, 600, 8)));
        byte[] inline = xcopy("lu0", 1, 2, 8, new long[]{0, 0, 1, 0, 100});
        CdbDescriptor.put32(inline, ExtendedCopyDescriptor.INLINE_LENGTH_OFFSET, 4);
        byte[] inlinePlus = Arrays.copyOf(inline, inline.length + 4);
        bad("EXTENDED COPY inline data (maximum inline data length 0)", xcopyCdb(inlinePlus.length), inlinePlus, inlinePlus.length,
                INVALID_FIELD_IN_PARAMETER_LIST);
        row("EXTENDED COPY to a write-protected LU", (h, n) -> h.lu0.setWriteProtected(true), xcopyCdb(xc.length), xc, xc.length,
                CHECK_CONDITION, WRITE_PROTECTED, null);
        bad("EXTENDED COPY(LID4) service action 01h", with(xcopyCdb(xc.length), 1, 1), xc, xc.length, INVALID_FIELD_IN_CDB);
        byte[] held = xcopy("lu0", 1, ExtendedCopyDescriptor.LIST_ID_USAGE_HOLD, 9, new long[]{0, 0, 4, 10, 600});
        row("RECEIVE COPY RESULTS COPY STATUS of a held copy, then discarded", (h, n) -> {
            Result x = h.run(n, 0, xcopyCdb(held.length), held, held.length);
            assertEquals(GOOD, x.status, x.toString());
        }, rcrCdb(ExtendedCopyDescriptor.SA_COPY_STATUS, 9), null, 1024, GOOD, NO_SENSE, (h, n, r) -> {
            assertEquals(12, r.data.length);
            assertEquals(8, CdbDescriptor.u32(r.data, 0));
            assertEquals(ExtendedCopyDescriptor.STATUS_GOOD, r.data[4]);
            assertEquals(1, CdbDescriptor.u16(r.data, 5));
            assertEquals(0, r.data[7]);
            assertEquals(4 * BS, CdbDescriptor.u32(r.data, 8));
            Result again = h.run(n, 0, rcrCdb(ExtendedCopyDescriptor.SA_COPY_STATUS, 9), null, 1024);
            assertEquals(INVALID_FIELD_IN_CDB, again.sense);
        });
        row("RECEIVE COPY RESULTS COPY STATUS not held (LIST ID USAGE 10b)", (h, n) -> {
            Result x = h.run(n, 0, xcopyCdb(xc.length), xc, xc.length);
            assertEquals(GOOD, x.status, x.toString());
        }, rcrCdb(ExtendedCopyDescriptor.SA_COPY_STATUS, 1), null, 1024, CHECK_CONDITION, INVALID_FIELD_IN_CDB, null);
        good("RECEIVE COPY RESULTS OPERATING PARAMETERS", rcrCdb(ExtendedCopyDescriptor.SA_OPERATING_PARAMETERS, 0), null, 1024,
                (h, n, r) -> {
                    assertEquals(46, r.data.length);
                    assertEquals(42, CdbDescriptor.u32(r.data, 0));
                    assertEquals(8, CdbDescriptor.u16(r.data, 8));
                    assertEquals(64, CdbDescriptor.u16(r.data, 10));
                    assertEquals(2048, CdbDescriptor.u32(r.data, 12));
                    assertEquals(2, r.data[43]);
                    assertEquals(0x02, r.data[44]);
                    assertEquals(0xE4, u8(r.data, 45));
                });
        bad("RECEIVE COPY RESULTS FAILED SEGMENT DETAILS not supported", rcrCdb(4, 0), null, 1024, INVALID_FIELD_IN_CDB);
    }

    static Stream<Arguments> rows() {
        return ROWS.stream().map(r -> Arguments.of(r.name, r));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldAnswerCdbRow(String name, Row row) {
        try (Harness h = new Harness()) {
            ItNexus n = h.openClean("iqn.2026-01.test:host1", "000000000001");
            if (row.prep != null) {
                row.prep.apply(h, n);
            }
            Result r = h.run(n, row.lun, row.cdb, row.dataOut, row.edtl);
            assertEquals(row.status, r.status, () -> name + ": " + r);
            assertEquals(row.sense, r.sense, () -> name + ": sense " + SenseCodes.toString(r.sense));
            if (row.check != null) {
                row.check.verify(h, n, r);
            }
        }
    }
}
