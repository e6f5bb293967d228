package io.evasan.raid.pseg;

/**
 * Free-PSEG bookkeeping for one drive: a free bitmap and a dirty bitmap (a dirty free PSEG held
 * data before and must be zeroed before reuse) in primitive {@code long[]}s.
 *
 * <p>Invariant: {@code used()} equals the number of clear bits in the free bitmap below
 * {@code count()}. Not thread-safe: the disk group serialises allocation.
 */
public final class PsegAllocator {
    private final int count;
    private final long[] free;
    private final long[] dirty;
    private int used;
    private int cursor;

    public PsegAllocator(int count) {
        this.count = count;
        this.free = new long[(count + 63) >>> 6];
        this.dirty = new long[free.length];
        for (int i = 0; i < count; i++) {
            free[i >>> 6] |= 1L << i;
        }
    }

    public int count() {
        return count;
    }

    public int used() {
        return used;
    }

    public int free() {
        return count - used;
    }

    public boolean isFree(int pseg) {
        return (free[pseg >>> 6] & (1L << pseg)) != 0;
    }

    public boolean isDirty(int pseg) {
        return (dirty[pseg >>> 6] & (1L << pseg)) != 0;
    }

    /** Marks a PSEG in use (at open, from the PSEG table). */
    public void markUsed(int pseg) {
        check(pseg);
        if (isFree(pseg)) {
            free[pseg >>> 6] &= ~(1L << pseg);
            used++;
        }
    }

    /** Marks a free PSEG as holding old data (zero before reuse). */
    public void markDirty(int pseg) {
        check(pseg);
        dirty[pseg >>> 6] |= 1L << pseg;
    }

    public void clearDirty(int pseg) {
        dirty[pseg >>> 6] &= ~(1L << pseg);
    }

    /** Takes a free PSEG (next-fit from a cursor), or returns -1 if none is free. */
    public int allocate() {
        if (used >= count) {
            return -1;
        }
        int words = free.length;
        int w = cursor >>> 6;
        for (int i = 0; i <= words; i++) {
            int wi = (w + i) % words;
            long bits = free[wi];
            if (bits != 0) {
                int p = (wi << 6) + Long.numberOfTrailingZeros(bits);
                if (p < count) {
                    markUsed(p);
                    cursor = p + 1 >= count ? 0 : p + 1;
                    return p;
                }
            }
        }
        return -1;
    }

    /** Returns a PSEG to the free pool; it becomes dirty. */
    public void release(int pseg) {
        check(pseg);
        if (!isFree(pseg)) {
            free[pseg >>> 6] |= 1L << pseg;
            used--;
        }
        markDirty(pseg);
    }

    private void check(int pseg) {
        if (pseg < 0 || pseg >= count) {
            throw new IllegalArgumentException("pseg " + pseg + " outside 0.." + (count - 1));
        }
    }
}
