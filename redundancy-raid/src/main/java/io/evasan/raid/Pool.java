package io.evasan.raid;

import io.evasan.raid.drive.QuorumArea;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * A storage pool: every drive the appliance owns, organised in disk groups (LDADs). Opening a
 * pool reads the drive labels; every drive label names the pool's UUID, so a drive from another
 * pool is refused.
 */
public interface Pool extends AutoCloseable {
    UUID id();

    List<? extends DiskGroup> diskGroups();

    /** The disk group with this id, or {@code StorageException(NOT_FOUND)}. */
    DiskGroup diskGroup(int id);

    /**
     * Creates disk group {@code spec} at run time (id = the highest group id + 1): validates every
     * drive first (names, counts, sizes, labels; nothing is written if one fails), formats the drives,
     * then commits the group by rewriting the pool's drive list atomically. A crash before that commit
     * leaves labelled drive files that no group names: the next open ignores them and a later
     * {@code createDiskGroup} over the same paths reuses them. The new group's drives join the MLD's
     * quorum areas at the next open; the mapping allocates in the group at once (it adds the group's RSD
     * table on first use).
     *
     * @throws io.evasan.error.StorageException ALREADY_EXISTS (group name), INSUFFICIENT_DRIVES (fewer than
     *         6), DUPLICATE_DRIVE, FOREIGN_POOL, DRIVE_TOO_SMALL, DRIVE_MISSING, IO_ERROR; INVALID_STATE when closed
     */
    DiskGroup createDiskGroup(GroupSpec spec);

    /** Quorum areas of every currently available drive of every group, in a stable order. */
    List<QuorumArea> quorumAreas();

    /** The pool's data directory. */
    Path directory();

    /** Human-readable state: groups, RSSs, drives, PSEG use, RStores, problems found at open. */
    String describe();

    @Override
    void close();
}
