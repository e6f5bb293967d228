package io.evasan.mapping.lmap;

/**
 * One LMAP entry: the state of one 1 MB RSEG-sized segment of a logical disk, packed in an
 * {@code int} (seed 004 [0067]: state bits + RSD pointer; plus the sharing tree's share bits).
 *
 * <pre>
 *   31                                               8 7 6 5 4 3 2   0
 *  +--------------------------------------------------+-+-+-+-+-+-----+
 *  |          RSD slot in the disk group (24 bits)     |X|S|P|H|A|RSEG#|
 *  +--------------------------------------------------+-+-+-+-+-+-----+
 *   A (bit 3)  ALLOCATED: slot and RSEG# are valid; clear = never written, reads as zeros
 *   H (bit 4)  HOLDER: this logical disk owns the RSEG (frees it on delete/unmap);
 *              exactly one entry in the whole pool holds a given RSEG
 *   P (bit 5)  Sp: shares this segment with its predecessor (older snapshot)
 *   S (bit 6)  Ss: shares this segment with its successor (newer disk)
 *   X (bit 7)  AUX: free state bit for the layer above (mapping never interprets it)
 *   RSEG# (bits 0-2) which 1 MB RSEG of the 8 MB RStore
 * </pre>
 *
 * The value 0 means "unallocated, no share bits". Memory cost: 4 bytes per MB of allocated
 * LMAP region, as in [0071].
 */
public final class LmapEntry {
    public static final int RSEG_MASK = 0x7;
    public static final int ALLOCATED = 1 << 3;
    public static final int HOLDER = 1 << 4;
    public static final int SP = 1 << 5;
    public static final int SS = 1 << 6;
    public static final int AUX = 1 << 7;
    /** Share bits and AUX: the bits the layer above may set freely. */
    public static final int USER_BITS = SP | SS | AUX;
    public static final int SLOT_SHIFT = 8;
    public static final int MAX_SLOT = (1 << 24) - 1;
    /** Pointer part: slot + RSEG# + ALLOCATED. */
    public static final int POINTER_MASK = ~0xF0;

    private LmapEntry() {
    }

    public static int encode(int slot, int rseg, boolean holder, int userBits) {
        if (slot < 0 || slot > MAX_SLOT || rseg < 0 || rseg > 7 || (userBits & ~USER_BITS) != 0) {
            throw new IllegalArgumentException("bad entry fields slot=" + slot + " rseg=" + rseg + " bits=" + userBits);
        }
        return (slot << SLOT_SHIFT) | rseg | ALLOCATED | (holder ? HOLDER : 0) | userBits;
    }

    public static boolean allocated(int e) {
        return (e & ALLOCATED) != 0;
    }

    public static boolean holder(int e) {
        return (e & HOLDER) != 0;
    }

    public static boolean sp(int e) {
        return (e & SP) != 0;
    }

    public static boolean ss(int e) {
        return (e & SS) != 0;
    }

    public static int slot(int e) {
        return e >>> SLOT_SHIFT;
    }

    public static int rseg(int e) {
        return e & RSEG_MASK;
    }

    public static int userBits(int e) {
        return e & USER_BITS;
    }

    /** Same entry with the user bits replaced. */
    public static int withUserBits(int e, int bits) {
        if ((bits & ~USER_BITS) != 0) {
            throw new IllegalArgumentException("not user bits: " + bits);
        }
        return (e & ~USER_BITS) | bits;
    }

    /** Pointer-equal: both unallocated, or both allocated at the same slot and RSEG#. */
    public static boolean samePointer(int a, int b) {
        if (!allocated(a) || !allocated(b)) {
            return allocated(a) == allocated(b);
        }
        return (a & POINTER_MASK) == (b & POINTER_MASK);
    }

    public static String toString(int e) {
        if (!allocated(e)) {
            return "unallocated" + bits(e);
        }
        return "slot " + slot(e) + " rseg " + rseg(e) + (holder(e) ? " H" : "") + bits(e);
    }

    private static String bits(int e) {
        return (sp(e) ? " Sp" : "") + (ss(e) ? " Ss" : "") + ((e & AUX) != 0 ? " X" : "");
    }
}
