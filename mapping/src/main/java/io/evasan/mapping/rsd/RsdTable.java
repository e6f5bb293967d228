package io.evasan.mapping.rsd;

import io.evasan.raid.DiskGroup;
import io.evasan.raid.rstore.RStore;

import java.util.Arrays;

/**
 * The RSD pointers of one disk group: LMAP entries name an RStore by its slot here (24 bits),
 * never by PSEG, so moving data (rebuild, leveling) changes only the RAID layer's RSD ([0111]).
 * Per slot: the RStore, an 8-bit mask of its RSEGs that are held or reserved, and an 8-bit mask
 * of free RSEGs that may hold old data (freed while the RStore lived on; after a restart every
 * free RSEG of a live RStore counts as dirty) and are zero-filled before reuse.
 *
 * <p>Invariants: a slot is occupied iff {@code rstores[slot] != null}; an occupied slot's mask is
 * non-zero except transiently inside the metadata lock (between RSD_ADD and the reservation, and
 * at reopen before garbage collection); {@link #rstore} is safe without a lock (the array is
 * replaced, never shrunk, when it grows). Mutators run under the mapping's metadata lock.
 * Memory: 4 B (reference, compressed oops) + 2 B (masks) per slot of capacity, plus 1 bit per slot
 * of occupancy bitmap: about 0.75 B per allocated MB when full, at most twice that after growth.
 */
public final class RsdTable {
    private final int groupId;
    private final DiskGroup group;
    private volatile RStore[] rstores = new RStore[16];
    private byte[] used = new byte[16];
    /** RSEGs that were held and freed while the RStore lived on: zero-fill before reuse. */
    private byte[] dirty = new byte[16];
    private long[] occupied = new long[1];
    private int count;

    public RsdTable(int groupId, DiskGroup group) {
        this.groupId = groupId;
        this.group = group;
    }

    public int groupId() {
        return groupId;
    }

    public DiskGroup diskGroup() {
        return group;
    }

    /** Lock-free: the RStore in {@code slot}, or null. */
    public RStore rstore(int slot) {
        RStore[] r = rstores;
        return slot < r.length ? r[slot] : null;
    }

    public int count() {
        return count;
    }

    public int capacity() {
        return rstores.length;
    }

    public int used(int slot) {
        return used[slot] & 0xFF;
    }

    public void setUsed(int slot, int mask) {
        used[slot] = (byte) mask;
    }

    public int dirty(int slot) {
        return dirty[slot] & 0xFF;
    }

    public void setDirty(int slot, int mask) {
        dirty[slot] = (byte) mask;
    }

    /** Lowest free slot (not yet occupied). */
    public int freeSlot() {
        for (int w = 0; w < occupied.length; w++) {
            if (occupied[w] != -1L) {
                return w * 64 + Long.numberOfTrailingZeros(~occupied[w]);
            }
        }
        return occupied.length * 64;
    }

    public void put(int slot, RStore rs) {
        ensure(slot);
        RStore[] r = rstores;
        if (r[slot] == null) {
            count++;
        }
        r[slot] = rs;
        used[slot] = 0;
        dirty[slot] = 0;
        occupied[slot >>> 6] |= 1L << slot;
    }

    public void remove(int slot) {
        RStore[] r = rstores;
        if (slot < r.length && r[slot] != null) {
            r[slot] = null;
            used[slot] = 0;
            dirty[slot] = 0;
            occupied[slot >>> 6] &= ~(1L << slot);
            count--;
        }
    }

    private void ensure(int slot) {
        if (slot < rstores.length) {
            return;
        }
        int n = rstores.length;
        while (n <= slot) {
            n *= 2;
        }
        used = Arrays.copyOf(used, n);
        dirty = Arrays.copyOf(dirty, n);
        occupied = Arrays.copyOf(occupied, (n + 63) / 64);
        rstores = Arrays.copyOf(rstores, n);
    }

    /** Calls {@code f} for each occupied slot. */
    public void forEach(SlotConsumer f) {
        RStore[] r = rstores;
        for (int i = 0; i < r.length; i++) {
            if (r[i] != null) {
                f.accept(i, r[i]);
            }
        }
    }

    /** Bytes of this table's arrays (references counted at 4 bytes: compressed oops). */
    public long memoryBytes() {
        return 16 + 4L * rstores.length + 16 + used.length + 16 + dirty.length + 16 + 8L * occupied.length + 32;
    }

    /** Receiver of (slot, RStore). */
    public interface SlotConsumer {
        void accept(int slot, RStore rstore);
    }
}
