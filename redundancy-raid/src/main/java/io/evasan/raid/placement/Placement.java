package io.evasan.raid.placement;

import io.evasan.raid.pseg.PsegAllocator;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rss.Rss;
import io.evasan.raid.rstore.RaidLevel;

import java.util.List;

/**
 * Where the members of an RStore go: the drives (and, for replacements, the PSEGs) of a new
 * RStore or of members that move (rebuild, drive removal, later leveling).
 *
 * <p>Invariants every choice keeps: all members of an RStore sit in one RSS of at least
 * {@link Rss#MIN_DRIVES} drives, on distinct drives that are eligible (available, not being
 * evacuated) and have a free PSEG; RAID1 pairs sit on RSS slots 2k/2k+1 (a moving pair falls
 * back to any two free drives only if no complete pair is free); among the candidates the
 * drives furthest below their capacity-proportional share are preferred, so use stays
 * proportional to capacity; RAID5 parity rotation starts at {@code rsdId % 5}.
 *
 * <p>Locking: not thread-safe. Callers hold the disk group's allocation lock
 * ({@code DiskGroupImpl.allocLock}) for the whole choice and the PSEG allocation that follows,
 * so the {@link Drives} view and the RSS list do not change underneath.
 */
public interface Placement {

    /** What placement sees of a disk group's drives; read under the group's allocation lock. */
    interface Drives {
        /** Number of drive indexes (0 .. count - 1), removed ones included. */
        int count();

        /** Whether new PSEGs may go to {@code drive}: available, not evacuating, with an allocator. */
        boolean eligible(int drive);

        /** The PSEG allocator of {@code drive}, null if it has none (missing at open, removed). */
        PsegAllocator allocator(int drive);
    }

    /**
     * Drives chosen for a new RStore: {@code drives} in member order within {@code rss}, or
     * both null if none fits; {@code rssBigEnough} then says whether some RSS had enough usable
     * drives (no room, rather than too few drives).
     */
    record Choice(Rss rss, int[] drives, boolean rssBigEnough) {
        public boolean found() {
            return drives != null;
        }
    }

    /** The capacity-proportional placement of the EVA (see the class comment). */
    static Placement balanced(Drives drives) {
        return new BalancedPlacement(drives);
    }

    /** Chooses the RSS and the member drives of a new {@code level} RStore; allocates nothing. */
    Choice forNewRStore(List<Rss> rssList, RaidLevel level);

    /** The RAID5 parity rotation of a new RStore ({@code -1} for other levels). */
    int parityRotation(RaidLevel level, long rsdId);

    /**
     * Chooses targets for the members of {@code r} in {@code mask} and allocates their PSEGs;
     * members in {@code inPlace} keep their drive and PSEG. Returns {drives, psegs} in member
     * order, or null if there is no room (nothing allocated then).
     */
    int[][] replacements(Rsd r, Rss rss, int mask, int inPlace);
}
