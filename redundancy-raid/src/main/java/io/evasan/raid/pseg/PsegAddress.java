package io.evasan.raid.pseg;

/**
 * A physical PSEG address packed in a {@code long}: drive index (within the disk group) in bits
 * 32..47 and PSEG number in bits 0..31. Bits 48..63 are zero; {@link #NONE} (-1) means "no PSEG".
 *
 * <pre>
 *  63        48 47        32 31                               0
 * +------------+------------+----------------------------------+
 * |   zero     |   drive    |           PSEG number            |
 * +------------+------------+----------------------------------+
 * </pre>
 */
public final class PsegAddress {
    public static final long NONE = -1L;

    private PsegAddress() {
    }

    public static long encode(int driveIndex, int pseg) {
        if (driveIndex < 0 || driveIndex > 0xFFFF || pseg < 0) {
            throw new IllegalArgumentException("drive " + driveIndex + " pseg " + pseg);
        }
        return ((long) driveIndex << 32) | (pseg & 0xFFFF_FFFFL);
    }

    public static int drive(long address) {
        return (int) ((address >>> 32) & 0xFFFF);
    }

    public static int pseg(long address) {
        return (int) address;
    }

    public static String toString(long address) {
        return address == NONE ? "none" : "d" + drive(address) + ":p" + pseg(address);
    }
}
