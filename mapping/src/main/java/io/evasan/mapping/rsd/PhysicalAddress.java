package io.evasan.mapping.rsd;

/**
 * A mapped address packed in a {@code long}: disk group, RSD slot in that group's RSD table and
 * byte offset inside the 8 MB RStore. An RSEG address is the address of its first byte
 * (offset = RSEG# x 1 MB).
 *
 * <pre>
 *   63  62            47 46                     23 22                    0
 *  +---+---------------+-------------------------+-----------------------+
 *  | 0 | group (16)    |   RSD slot (24)          | offset in RStore (23) |
 *  +---+---------------+-------------------------+-----------------------+
 * </pre>
 * {@link #UNMAPPED} (-1) means "no storage: reads as zeros".
 */
public final class PhysicalAddress {
    public static final long UNMAPPED = -1L;
    public static final int OFFSET_BITS = 23;
    public static final int SLOT_BITS = 24;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;
    private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;

    private PhysicalAddress() {
    }

    public static long encode(int group, int slot, long offset) {
        return ((long) group << (OFFSET_BITS + SLOT_BITS)) | ((long) slot << OFFSET_BITS) | offset;
    }

    /** Address of RSEG {@code rseg} of the RStore in {@code slot}. */
    public static long rseg(int group, int slot, int rseg) {
        return encode(group, slot, (long) rseg << 20);
    }

    public static int group(long addr) {
        return (int) (addr >>> (OFFSET_BITS + SLOT_BITS));
    }

    public static int slot(long addr) {
        return (int) ((addr >>> OFFSET_BITS) & SLOT_MASK);
    }

    public static long offset(long addr) {
        return addr & OFFSET_MASK;
    }

    /** RSEG# (0..7) the address falls in. */
    public static int rsegIndex(long addr) {
        return (int) (offset(addr) >>> 20);
    }

    public static String toString(long addr) {
        return addr == UNMAPPED ? "unmapped" : "g" + group(addr) + "/slot" + slot(addr) + "+" + offset(addr);
    }
}
