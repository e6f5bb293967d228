package io.evasan.sharing;

/** What a logical disk in a sharing tree is. A snapclone that has left its tree is a {@link #LUN}. */
public enum DiskKind {
    /** An ordinary (thin) LUN: the newest disk of its tree. */
    LUN,
    /** A snapshot: a predecessor that stays in the tree until deleted. */
    SNAPSHOT,
    /** A snapclone still in the tree: BGCOPY unshares it, then it leaves as a LUN. */
    SNAPCLONE
}
