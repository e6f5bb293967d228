package io.evasan.sharing;

/**
 * Space policy of a snapshot or snapclone ([0087]; the seed calls the reserving kind
 * "space-efficient" and the on-demand kind "space-inefficient", i.e. its names are swapped
 * against what they do, see DESIGN §4).
 */
public enum AllocationPolicy {
    /** Reserve the disk's full capacity at creation; its copy-on-first-writes never fail. */
    RESERVE_FULL,
    /** Allocate on first write; when no space is left the disk is invalidated, the origin keeps working. */
    ON_DEMAND
}
