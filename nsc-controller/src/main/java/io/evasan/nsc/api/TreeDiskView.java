package io.evasan.nsc.api;

/**
 * One disk of a sharing tree: {@code kind} and {@code policy} are the tree's names (policy null when none),
 * {@code bgcopy} null unless the disk is a snapclone copying.
 */
public record TreeDiskView(long id, String kind, String policy, int position, int segments,
                           long sharedWithPredecessor, long sharedWithSuccessor, long privateSegments,
                           long zeroSegments, boolean valid, BgCopyView bgcopy) {
}
