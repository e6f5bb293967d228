package io.evasan.raid.rss;

import java.util.Arrays;

/**
 * A redundancy storage set (seed 004 [0046]): a subset of a disk group's drives from which
 * every RStore takes all its PSEGs. Drives occupy slots 0..{@link #MAX_DRIVES}-1; slots 2k and
 * 2k+1 form the RAID1 pair k. The seed lists member indices 0..11, so an RSS holds up to 12
 * drives; it is usable for allocation once it holds {@link #MIN_DRIVES}.
 *
 * <p>Invariant: a drive index appears in at most one slot of one RSS. Not thread-safe: the
 * disk group guards it with its allocation lock.
 */
public final class Rss {
    public static final int MIN_DRIVES = 6;
    public static final int MAX_DRIVES = 12;

    private final int id;
    private final int[] slots = new int[MAX_DRIVES];

    public Rss(int id) {
        this.id = id;
        Arrays.fill(slots, -1);
    }

    public int id() {
        return id;
    }

    public int drive(int slot) {
        return slots[slot];
    }

    public void set(int slot, int drive) {
        slots[slot] = drive;
    }

    /** Slot holding {@code drive}, or -1. */
    public int slotOf(int drive) {
        for (int i = 0; i < MAX_DRIVES; i++) {
            if (slots[i] == drive) {
                return i;
            }
        }
        return -1;
    }

    public int count() {
        int n = 0;
        for (int s : slots) {
            if (s >= 0) {
                n++;
            }
        }
        return n;
    }

    /** Lowest empty slot, or -1 when full. */
    public int freeSlot() {
        for (int i = 0; i < MAX_DRIVES; i++) {
            if (slots[i] < 0) {
                return i;
            }
        }
        return -1;
    }

    /** The drive paired with {@code drive} for RAID1 (slot 2k <-> 2k+1), or -1. */
    public int partner(int drive) {
        int s = slotOf(drive);
        return s < 0 ? -1 : slots[s ^ 1];
    }

    public int[] slots() {
        return slots.clone();
    }
}
