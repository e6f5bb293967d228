package io.evasan.sharing.sharebits;

/**
 * One segment's map entry as the sharing tree sees it, packed in a {@code long}
 * (H2 DataUtils style: static encode/decode helpers, no objects on the I/O path).
 *
 * <pre>
 *   63 62 61 60 59                                                       0
 *  +--+--+--+--+----------------------------------------------------------+
 *  | 0|Ss|Sp| H|        RSEG pointer token (60 bits, 0 = none)             |
 *  +--+--+--+--+----------------------------------------------------------+
 *   H   HOLDER: this disk owns the RSEG named by the pointer (exactly one holder per RSEG)
 *   Sp  shares this segment with the predecessor (older disk)
 *   Ss  shares this segment with the successor (newer disk): reads walk on
 * </pre>
 *
 * Invariant kept by the helpers: a HOLDER entry always has a non-zero pointer; the value 0 is
 * "unallocated, no bits" and reads as zeros. A non-holder entry with Ss set reads through its
 * successor (its pointer is only a hint); a non-holder entry with Ss clear and a pointer is a
 * transient state (an interrupted pointer hand-off) that recovery turns into a private copy.
 */
public final class ShareEntry {
    public static final long POINTER_MASK = (1L << 60) - 1;
    public static final long HOLDER = 1L << 60;
    public static final long SP = 1L << 61;
    public static final long SS = 1L << 62;

    private ShareEntry() {
    }

    public static long encode(long pointer, boolean holder, boolean sp, boolean ss) {
        if (pointer < 0 || pointer > POINTER_MASK || (holder && pointer == 0)) {
            throw new IllegalArgumentException("bad entry: pointer=" + pointer + " holder=" + holder);
        }
        return pointer | (holder ? HOLDER : 0) | (sp ? SP : 0) | (ss ? SS : 0);
    }

    public static long pointer(long e) {
        return e & POINTER_MASK;
    }

    public static boolean holder(long e) {
        return (e & HOLDER) != 0;
    }

    public static boolean sp(long e) {
        return (e & SP) != 0;
    }

    public static boolean ss(long e) {
        return (e & SS) != 0;
    }

    public static long withSp(long e, boolean sp) {
        return sp ? e | SP : e & ~SP;
    }

    public static long withSs(long e, boolean ss) {
        return ss ? e | SS : e & ~SS;
    }

    /** The same entry with only the two share bits replaced. */
    public static long withBits(long e, boolean sp, boolean ss) {
        return withSs(withSp(e, sp), ss);
    }

    public static String toString(long e) {
        return "[ptr=" + pointer(e) + (holder(e) ? " H" : "") + (sp(e) ? " Sp" : "") + (ss(e) ? " Ss" : "") + "]";
    }
}
