package io.evasan.leveling.api;

import io.evasan.raid.rstore.RaidLevel;

import java.util.List;

/**
 * One move the planner chose: members {@code mask} of RStore {@code rsdId} (one PSEG, or a RAID1 mirrored
 * pair) go from the packed PSEG addresses {@code sources} to the drives {@code targets}, both in member order.
 * Invariant: {@code sources.size() == targets.size() == bitCount(mask)}; the move is valid only while the RSD
 * still has those sources (the executor checks).
 */
public record PlannedMove(long rsdId, RaidLevel level, int mask, List<Long> sources, List<Integer> targets) {
    public PlannedMove {
        sources = List.copyOf(sources);
        targets = List.copyOf(targets);
        if (mask <= 0 || Integer.bitCount(mask) != sources.size() || sources.size() != targets.size()) {
            throw new IllegalArgumentException("mask " + Integer.toBinaryString(mask) + " needs one source and one"
                    + " target per member; got " + sources.size() + " sources, " + targets.size() + " targets");
        }
    }

    /** PSEGs this move copies. */
    public int psegs() {
        return sources.size();
    }
}
