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

    /** Quorum areas of every currently available drive of every group, in a stable order. */
    List<QuorumArea> quorumAreas();

    /** The pool's data directory. */
    Path directory();

    /** Human-readable state: groups, RSSs, drives, PSEG use, RStores, problems found at open. */
    String describe();

    @Override
    void close();
}
