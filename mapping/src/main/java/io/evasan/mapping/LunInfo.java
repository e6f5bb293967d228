package io.evasan.mapping;

import io.evasan.raid.rstore.RaidLevel;

import java.util.List;

/**
 * Catalogue view of one logical disk (what the MLD records).
 *
 * @param raidRuns RAID level by range: start segment of each run (ascending, first is 0) and
 *                 its level; new allocations in a segment use the run it falls in
 */
public record LunInfo(int id, String name, long sizeBytes, int diskGroupId, List<RaidRun> raidRuns,
                      long createdMillis, long modifiedMillis, int lockDomain, long heldSegments) {
    /** One run of the per-range RAID layout. */
    public record RaidRun(long startSegment, RaidLevel level) {
    }
}
