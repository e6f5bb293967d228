package io.evasan.scsi.cdb;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u32;
import static io.evasan.scsi.cdb.CdbDescriptor.u64;
import static io.evasan.scsi.cdb.CdbDescriptor.u8;

/**
 * The block-addressed CDB family of SBC-3 (READ/WRITE/VERIFY/WRITE AND VERIFY/PRE-FETCH/
 * SYNCHRONIZE CACHE/WRITE SAME/COMPARE AND WRITE/ORWRITE) in their 6, 10, 12 and 16-byte forms.
 *
 * <pre>
 * 6-byte (READ(6)/WRITE(6)):
 *  0 opcode | 1 reserved(7:5) LBA(20:16) | 2-3 LBA(15:0) | 4 TRANSFER LENGTH (0 = 256) | 5 CONTROL
 * 10-byte:
 *  0 opcode | 1 flags | 2-5 LBA | 6 GROUP NUMBER | 7-8 LENGTH | 9 CONTROL
 * 12-byte:
 *  0 opcode | 1 flags | 2-5 LBA | 6-9 LENGTH | 10 GROUP NUMBER | 11 CONTROL
 * 16-byte:
 *  0 opcode | 1 flags | 2-9 LBA | 10-13 LENGTH | 14 GROUP NUMBER | 15 CONTROL
 * COMPARE AND WRITE (16-byte):
 *  0 89h | 1 flags | 2-9 LBA | 10-12 reserved | 13 NUMBER OF LOGICAL BLOCKS | 14 GROUP | 15 CONTROL
 * WRITE ATOMIC(16) (SBC-4):
 *  0 9Ch | 1 flags | 2-9 LBA | 10-11 ATOMIC BOUNDARY | 12-13 TRANSFER LENGTH | 14 GROUP | 15 CONTROL
 * flags byte 1: RDPROTECT/WRPROTECT/VRPROTECT (7:5) | DPO (4) | FUA (3) | (2) | BYTCHK or
 *  FUA_NV/IMMED (1) | (0); WRITE SAME: ANCHOR(4) UNMAP(3) NDOB(0)
 * </pre>
 *
 * Invariant: {@link #lba} and {@link #transferLength} are defined for every opcode accepted by
 * {@link #isBlockCommand}; lengths are unsigned (a 32-bit length is returned as a long).
 */
public final class BlockCdbDescriptor {
    public static final int FLAGS_OFFSET = 1;
    public static final int LBA_OFFSET = 2;
    public static final int PROTECT_MASK = 0xE0;
    public static final int DPO = 0x10;
    public static final int FUA = 0x08;
    public static final int ANCHOR = 0x10;
    public static final int UNMAP = 0x08;
    public static final int NDOB = 0x01;
    public static final int IMMED = 0x02;
    /** WRITE ATOMIC(16): ATOMIC BOUNDARY field (2 bytes). */
    public static final int ATOMIC_BOUNDARY_OFFSET = 10;
    /** WRITE ATOMIC(16): TRANSFER LENGTH field (2 bytes). */
    public static final int ATOMIC_LENGTH_OFFSET = 12;

    private BlockCdbDescriptor() {
    }

    public static boolean isBlockCommand(int opcode) {
        return lengthOffset(opcode) >= 0;
    }

    /** CDB size for a block command opcode. */
    public static int cdbSize(int opcode) {
        if (opcode == OpCodes.READ_6 || opcode == OpCodes.WRITE_6) {
            return 6;
        }
        return CdbDescriptor.groupLength(opcode);
    }

    /** Offset of the LENGTH field, or -1 when not a block command. */
    public static int lengthOffset(int opcode) {
        switch (opcode) {
            case OpCodes.READ_6: case OpCodes.WRITE_6:
                return 4;
            case OpCodes.READ_10: case OpCodes.WRITE_10: case OpCodes.VERIFY_10: case OpCodes.WRITE_AND_VERIFY_10:
            case OpCodes.PRE_FETCH_10: case OpCodes.SYNCHRONIZE_CACHE_10: case OpCodes.WRITE_SAME_10:
                return 7;
            case OpCodes.READ_12: case OpCodes.WRITE_12: case OpCodes.VERIFY_12: case OpCodes.WRITE_AND_VERIFY_12:
                return 6;
            case OpCodes.READ_16: case OpCodes.WRITE_16: case OpCodes.VERIFY_16: case OpCodes.WRITE_AND_VERIFY_16:
            case OpCodes.ORWRITE_16:
            case OpCodes.PRE_FETCH_16: case OpCodes.SYNCHRONIZE_CACHE_16: case OpCodes.WRITE_SAME_16:
                return 10;
            case OpCodes.COMPARE_AND_WRITE:
                return 13;
            case OpCodes.WRITE_ATOMIC_16:
                return ATOMIC_LENGTH_OFFSET;
            default:
                return -1;
        }
    }

    public static long lba(byte[] cdb) {
        int op = u8(cdb, 0);
        switch (cdbSize(op)) {
            case 6: return (u8(cdb, 1) & 0x1F) << 16 | u16(cdb, 2);
            case 10: case 12: return u32(cdb, LBA_OFFSET);
            default: return u64(cdb, LBA_OFFSET);
        }
    }

    /** The TRANSFER/VERIFICATION/PREFETCH/NUMBER OF BLOCKS field (READ/WRITE(6): 0 means 256). */
    public static long transferLength(byte[] cdb) {
        int op = u8(cdb, 0);
        int off = lengthOffset(op);
        if (op == OpCodes.READ_6 || op == OpCodes.WRITE_6) {
            int n = u8(cdb, off);
            return n == 0 ? 256 : n;
        }
        if (op == OpCodes.COMPARE_AND_WRITE) {
            return u8(cdb, off);
        }
        if (op == OpCodes.WRITE_ATOMIC_16) {
            return u16(cdb, off);
        }
        switch (cdbSize(op)) {
            case 10: return u16(cdb, off);
            default: return u32(cdb, off);
        }
    }

    public static int flags(byte[] cdb) {
        return cdbSize(u8(cdb, 0)) == 6 ? 0 : u8(cdb, FLAGS_OFFSET);
    }

    public static int protect(byte[] cdb) {
        return (flags(cdb) & PROTECT_MASK) >>> 5;
    }

    public static boolean fua(byte[] cdb) {
        return (flags(cdb) & FUA) != 0;
    }

    /** VERIFY BYTCHK (SBC-3, bits 2:1). */
    public static int bytchk(byte[] cdb) {
        return (flags(cdb) >>> 1) & 3;
    }

    /** Encodes a block CDB (for initiators and tests). Returns the CDB length. */
    public static int encode(byte[] cdb, int opcode, long lba, long length, int flags) {
        int size = cdbSize(opcode);
        java.util.Arrays.fill(cdb, 0, size, (byte) 0);
        cdb[0] = (byte) opcode;
        int off = lengthOffset(opcode);
        if (size == 6) {
            cdb[1] = (byte) (lba >>> 16 & 0x1F);
            put16(cdb, 2, (int) lba);
            cdb[4] = (byte) (length == 256 ? 0 : length);
            return 6;
        }
        cdb[1] = (byte) flags;
        if (opcode == OpCodes.COMPARE_AND_WRITE) {
            put64(cdb, LBA_OFFSET, lba);
            cdb[off] = (byte) length;
            return 16;
        }
        if (opcode == OpCodes.WRITE_ATOMIC_16) {
            put64(cdb, LBA_OFFSET, lba);
            put16(cdb, off, (int) length);
            return 16;
        }
        if (size == 16) {
            put64(cdb, LBA_OFFSET, lba);
            put32(cdb, off, length);
        } else if (size == 12) {
            put32(cdb, LBA_OFFSET, lba);
            put32(cdb, off, length);
        } else {
            put32(cdb, LBA_OFFSET, lba);
            put16(cdb, off, (int) length);
        }
        return size;
    }
}
