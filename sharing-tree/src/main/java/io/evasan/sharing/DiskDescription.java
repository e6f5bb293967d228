package io.evasan.sharing;

/**
 * One disk of a tree for the console. Counts are per segment: {@code sharedWithPredecessor}
 * (the predecessor reads through this disk), {@code sharedWithSuccessor} (effective Ss: reads walk on),
 * {@code privateSegments} (holds an RSEG of its own), {@code zeroSegments} (holds nothing, reads zeros).
 * Invariant: {@code sharedWithSuccessor + privateSegments + zeroSegments == segments}.
 */
public record DiskDescription(long id, DiskKind kind, AllocationPolicy policy, int position, int segments,
                              long sharedWithPredecessor, long sharedWithSuccessor, long privateSegments,
                              long zeroSegments, boolean valid, BgCopyProgress bgcopy) {
}
