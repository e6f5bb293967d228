package io.evasan.scsi.cdb;

/**
 * Big-endian field access shared by every CDB and parameter-list layout (SPC-4 4.3), plus the
 * CONTROL byte and the length of each CDB group.
 *
 * <pre>
 *  byte 0: OPERATION CODE = GROUP CODE (7:5) | COMMAND CODE (4:0)
 *  group 0 -> 6-byte CDB, groups 1,2 -> 10, group 4 -> 16, group 5 -> 12, groups 6,7 vendor
 *  last byte: CONTROL (NACA bit 2)
 * </pre>
 *
 * Invariant: readers never look past {@code offset + width}; writers touch only their field.
 */
public final class CdbDescriptor {
    private CdbDescriptor() {
    }

    public static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    public static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) << 8 | (b[off + 1] & 0xFF);
    }

    public static int u24(byte[] b, int off) {
        return (b[off] & 0xFF) << 16 | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF);
    }

    public static long u32(byte[] b, int off) {
        return ((long) (b[off] & 0xFF) << 24) | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    public static long u64(byte[] b, int off) {
        return u32(b, off) << 32 | u32(b, off + 4);
    }

    public static void put8(byte[] b, int off, int v) {
        b[off] = (byte) v;
    }

    public static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    public static void put24(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 16);
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) v;
    }

    public static void put32(byte[] b, int off, long v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    public static void put64(byte[] b, int off, long v) {
        put32(b, off, v >>> 32);
        put32(b, off + 4, v);
    }

    /** CDB length implied by the group code, or -1 for the vendor groups 6/7 and reserved group 3. */
    public static int groupLength(int opcode) {
        switch (opcode >>> 5 & 7) {
            case 0: return 6;
            case 1: case 2: return 10;
            case 4: return 16;
            case 5: return 12;
            default: return -1;
        }
    }

    /** Offset of the CONTROL byte for a CDB of this length. */
    public static int controlOffset(int cdbLength) {
        return cdbLength - 1;
    }
}
