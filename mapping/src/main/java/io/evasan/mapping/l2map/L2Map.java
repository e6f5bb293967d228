package io.evasan.mapping.l2map;

import io.evasan.mapping.lmap.LmapEntry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The L2MAP of one logical disk (seed 004 [0065]): one slot per 2 GB region pointing at that
 * region's LMAP (2048 {@link LmapEntry} ints, [0067]) or null when the region has no non-zero
 * entry. The array is created on the first non-zero entry (a never-written LUN costs no map) and
 * is as long as the regions touched so far, at most 1024.
 *
 * <p>Invariants: an LMAP exists iff it has a non-zero entry (it is dropped when its last entry
 * is cleared); readers ({@link #get}) take no lock and see either the old or the new entry
 * (entries are written with release semantics, LMAPs published before their L2MAP slot);
 * writers are serialised by the caller (the mapping's metadata lock).
 */
public final class L2Map {
    public static final int LMAP_ENTRIES = 2048;
    public static final int LMAP_SHIFT = 11;
    public static final int LMAP_MASK = LMAP_ENTRIES - 1;
    public static final int MAX_REGIONS = 1024;
    private static final int[][] EMPTY = new int[0][];
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private volatile int[][] lmaps = EMPTY;
    private int lmapCount;

    /** Lock-free read of the entry of {@code segment}; 0 when no LMAP covers it. */
    public int get(long segment) {
        int[][] l2 = lmaps;
        int r = (int) (segment >>> LMAP_SHIFT);
        if (r >= l2.length) {
            return 0;
        }
        int[] lm = l2[r];
        return lm == null ? 0 : (int) INTS.getAcquire(lm, (int) segment & LMAP_MASK);
    }

    /** The L2MAP array itself (for the translation hot path; never mutate). */
    public int[][] regions() {
        return lmaps;
    }

    /** Sets one entry (writer side, serialised by the caller). */
    public void set(long segment, int entry) {
        int r = (int) (segment >>> LMAP_SHIFT);
        int[][] l2 = lmaps;
        if (entry == 0) {
            if (r >= l2.length || l2[r] == null) {
                return;
            }
            int[] lm = l2[r];
            INTS.setRelease(lm, (int) segment & LMAP_MASK, 0);
            if (allZero(lm)) {
                l2[r] = null;
                lmapCount--;
                lmaps = l2; // volatile re-publish
            }
            return;
        }
        if (r >= l2.length) {
            if (r >= MAX_REGIONS) {
                throw new IllegalArgumentException("segment beyond 2 TB: " + segment);
            }
            l2 = Arrays.copyOf(l2, r + 1);
        }
        int[] lm = l2[r];
        if (lm == null) {
            lm = new int[LMAP_ENTRIES];
            lm[(int) segment & LMAP_MASK] = entry;
            l2[r] = lm;
            lmapCount++;
            lmaps = l2; // publishes the new LMAP with its entry
            return;
        }
        INTS.setRelease(lm, (int) segment & LMAP_MASK, entry);
        if (l2 != lmaps) {
            lmaps = l2;
        }
    }

    private static boolean allZero(int[] lm) {
        for (int v : lm) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    /** Clears every entry at or beyond {@code fromSegment} (writer side). */
    public void truncate(long fromSegment) {
        int[][] l2 = lmaps;
        for (int r = 0; r < l2.length; r++) {
            int[] lm = l2[r];
            if (lm == null) {
                continue;
            }
            long base = (long) r << LMAP_SHIFT;
            if (base + LMAP_ENTRIES <= fromSegment) {
                continue;
            }
            for (int i = 0; i < LMAP_ENTRIES; i++) {
                if (base + i >= fromSegment && lm[i] != 0) {
                    set(base + i, 0);
                }
            }
        }
    }

    /** The first segment at or after {@code from} with a non-zero entry (lock-free read), or -1; skips absent LMAPs. */
    public long nextNonZero(long from) {
        int[][] l2 = lmaps;
        for (int r = (int) (from >>> LMAP_SHIFT); r < l2.length; r++) {
            int[] lm = l2[r];
            if (lm == null) {
                continue;
            }
            long base = (long) r << LMAP_SHIFT;
            for (int i = (int) Math.max(0, from - base); i < LMAP_ENTRIES; i++) {
                if ((int) INTS.getAcquire(lm, i) != 0) {
                    return base + i;
                }
            }
        }
        return -1;
    }

    /** Calls {@code f} for each non-zero entry in segment order. */
    public void forEachNonZero(EntryConsumer f) {
        int[][] l2 = lmaps;
        for (int r = 0; r < l2.length; r++) {
            int[] lm = l2[r];
            if (lm == null) {
                continue;
            }
            for (int i = 0; i < LMAP_ENTRIES; i++) {
                int e = lm[i];
                if (e != 0) {
                    f.accept(((long) r << LMAP_SHIFT) | i, e);
                }
            }
        }
    }

    /**
     * Snapshot pointer copy: for each ALLOCATED entry of {@code src}, this map gets the pointer with
     * HOLDER cleared, the source's user bits selected by bits 8..15 of {@code dstBits} kept and the
     * user bits in bits 0..7 of {@code dstBits} set; then {@code src} gets {@code srcBits} OR-ed in.
     */
    public void cloneFrom(L2Map src, int srcBits, int dstBits) {
        int set = dstBits & LmapEntry.USER_BITS;
        int keep = (dstBits >>> 8) & LmapEntry.USER_BITS;
        int[][] s = src.lmaps;
        int[][] d = Arrays.copyOf(lmaps, Math.max(lmaps.length, s.length));
        for (int r = 0; r < s.length; r++) {
            int[] sl = s[r];
            if (sl == null) {
                continue;
            }
            int[] dl = d[r];
            boolean fresh = dl == null;
            if (fresh) {
                dl = new int[LMAP_ENTRIES];
            }
            boolean any = false;
            for (int i = 0; i < LMAP_ENTRIES; i++) {
                int e = sl[i];
                if (LmapEntry.allocated(e)) {
                    dl[i] = (e & ~LmapEntry.HOLDER & ~LmapEntry.USER_BITS) | (e & keep) | set;
                    any = true;
                    if (srcBits != 0) {
                        INTS.setRelease(sl, i, e | srcBits);
                    }
                }
            }
            if (fresh && any) {
                d[r] = dl;
                lmapCount++;
            }
        }
        lmaps = d;
    }

    public int lmapCount() {
        return lmapCount;
    }

    /** Bytes of this L2MAP and its LMAPs (16-byte array headers, 4-byte references). */
    public long memoryBytes() {
        int[][] l2 = lmaps;
        if (l2.length == 0) {
            return 0;
        }
        return 16 + 4L * l2.length + (long) lmapCount * (16 + 4L * LMAP_ENTRIES);
    }

    /** Receiver of (segment, entry). */
    public interface EntryConsumer {
        void accept(long segment, int entry);
    }
}
