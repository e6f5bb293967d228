package io.evasan.nsc.lun;

import io.evasan.error.StorageException;

import java.util.List;

/**
 * The controller's persistent catalogue of host-visible LUNs, their presentations, the snapshots
 * taken through markers and the disk of an active seed 003 backup snapshot.
 *
 * <p>Invariants: every mutation is durable when it returns (or throws and changes nothing); names
 * are unique among LUNs and among snapshots; LUN ids are the lowest free ints from 0; a
 * presentation always names an existing LUN; reopening the same state directory restores exactly
 * the last returned state. Thread-safe.
 */
public interface LunTable {
    /** Number of times the table was opened (bumped and persisted at each open). */
    long generation();

    /** Creates a LUN record. @throws StorageException ALREADY_EXISTS for a used name */
    LunRecord create(String name, LunRecord.Kind kind, long disk, long sizeBytes) throws StorageException;

    /**
     * Changes the size of LUN {@code lunId} (a positive multiple of 512; id, name, uid and disk stay).
     *
     * @return the new record
     * @throws StorageException NOT_FOUND; INVALID_ARGUMENT for a bad size
     */
    LunRecord resize(int lunId, long sizeBytes) throws StorageException;

    /** Removes a LUN with its presentations and snapshot records. @throws StorageException NOT_FOUND */
    void remove(int lunId) throws StorageException;

    LunRecord byId(int lunId);

    LunRecord byName(String name);

    /** LUNs by ascending id. */
    List<LunRecord> luns();

    /** @throws StorageException NOT_FOUND for an unknown LUN; ALREADY_EXISTS when (initiator, hostLun) is taken by another LUN */
    void present(String initiator, int hostLun, int lunId) throws StorageException;

    /** @return whether it existed */
    boolean unpresent(String initiator, int hostLun);

    List<Presentation> presentations();

    /** @throws StorageException ALREADY_EXISTS for a used snapshot name */
    void addSnapshot(SnapshotRecord record) throws StorageException;

    /** Removes the snapshot record of that name; returns it, or null. */
    SnapshotRecord removeSnapshot(String name);

    SnapshotRecord snapshot(long requestId, int lunId);

    SnapshotRecord snapshotByName(String name);

    List<SnapshotRecord> snapshots();

    /** Disk of the active seed 003 backup snapshot, or -1. */
    long backupSnapshotDisk();

    void setBackupSnapshotDisk(long disk);
}
