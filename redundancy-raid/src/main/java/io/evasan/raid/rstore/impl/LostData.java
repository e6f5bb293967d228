package io.evasan.raid.rstore.impl;

import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Which data of an RStore is lost now: the rule {@link RStoreImpl}'s reads follow, stated over member
 * usability alone. A data column (see the layout in {@link RStoreImpl}) is lost when RAID0's member of it
 * is unusable, when both members of a RAID1 pair are unusable, or — RAID5 — when its member is unusable and
 * so is any other member (no reconstruction from parity). A lost column reads UNRECOVERABLE_READ in every row.
 *
 * <p>Invariant: pure — reads the RSD and the usability predicate, changes nothing; the ranges are sorted,
 * disjoint, 64 KiB aligned and lie inside the RStore's 8 MB.
 */
public final class LostData {
    private LostData() {
    }

    /** Bit c set = data column c (0..3) is lost, given which members are usable. */
    public static int lostColumns(Rsd rsd, IntPredicate usable) {
        RaidLevel level = rsd.level();
        int mask = 0;
        if (level == RaidLevel.RAID0) {
            for (int c = 0; c < RStoreImpl.COLUMNS; c++) {
                if (!usable.test(c)) {
                    mask |= 1 << c;
                }
            }
        } else if (level == RaidLevel.RAID1) {
            for (int c = 0; c < RStoreImpl.COLUMNS; c++) {
                if (!usable.test(2 * c) && !usable.test(2 * c + 1)) {
                    mask |= 1 << c;
                }
            }
        } else {
            int unusable = 0;
            for (int m = 0; m < rsd.members(); m++) {
                if (!usable.test(m)) {
                    unusable++;
                }
            }
            if (unusable >= 2) {
                int p = rsd.parityMember();
                for (int c = 0; c < RStoreImpl.COLUMNS; c++) {
                    if (!usable.test(c < p ? c : c + 1)) {
                        mask |= 1 << c;
                    }
                }
            }
        }
        return mask;
    }

    /** The byte ranges {start, end} of the RStore's virtual space in the lost columns {@code mask}, merged. */
    public static List<long[]> ranges(int mask) {
        List<long[]> out = new ArrayList<>();
        if (mask == 0) {
            return out;
        }
        long units = RStore.SIZE_BYTES / RStoreImpl.UNIT;
        for (long u = 0; u < units; u++) {
            if ((mask & (1 << (int) (u % RStoreImpl.COLUMNS))) == 0) {
                continue;
            }
            long start = u * RStoreImpl.UNIT;
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last[1] == start) {
                last[1] = start + RStoreImpl.UNIT;
            } else {
                out.add(new long[]{start, start + RStoreImpl.UNIT});
            }
        }
        return out;
    }
}
