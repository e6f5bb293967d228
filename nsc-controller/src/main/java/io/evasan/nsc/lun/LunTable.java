package io.evasan.nsc.lun;

import io.evasan.error.StorageException;

import java.util.List;

/**
 * The controller's persistent catalogue of host-visible LUNs, their presentations, the snapshots
 * taken through markers and the disk of an active seed 003 backup snapshot.
 *
 * <p>Invariants: every mutation is durable when it returns (or throws and changes nothing); names
 * are unique among LUNs and among snapshots; LUNs and snapshots share one id space (a new LUN or
 * snapshot gets the lowest int from 0 — from {@link #FIRST_SNAPSHOT_ID} for a snapshot — that no LUN
 * and no snapshot holds and, for a LUN, that the caller does not name as still referenced elsewhere);
 * a presentation always
 * names an existing LUN or snapshot by that id; reopening the same state directory restores exactly
 * the last returned state. Thread-safe.
 */
public interface LunTable {
    /** Number of times the table was opened (bumped and persisted at each open). */
    long generation();

    /** Creates a LUN record. @throws StorageException ALREADY_EXISTS for a used name */
    default LunRecord create(String name, LunRecord.Kind kind, long disk, long sizeBytes) throws StorageException {
        return create(name, kind, disk, sizeBytes, id -> false);
    }

    /**
     * Creates a LUN record whose id is the lowest int from 0 that no LUN, no snapshot and no id
     * {@code referenced} accepts holds: the caller names the ids something outside the table still
     * refers to (a pending cache marker, a snapshot schedule), so a deleted LUN's id is never handed to
     * a new LUN while such a reference could reach the new LUN.
     *
     * @throws StorageException ALREADY_EXISTS for a used name
     */
    LunRecord create(String name, LunRecord.Kind kind, long disk, long sizeBytes, java.util.function.IntPredicate referenced)
            throws StorageException;

    /**
     * Changes the size of LUN {@code lunId} (a positive multiple of 512; id, name, uid and disk stay).
     *
     * @return the new record
     * @throws StorageException NOT_FOUND; INVALID_ARGUMENT for a bad size
     */
    LunRecord resize(int lunId, long sizeBytes) throws StorageException;

    /**
     * Removes a LUN with its presentations, its snapshot records and their presentations.
     *
     * @throws StorageException NOT_FOUND
     */
    void remove(int lunId) throws StorageException;

    LunRecord byId(int lunId);

    LunRecord byName(String name);

    /** LUNs by ascending id. */
    List<LunRecord> luns();

    /**
     * Presents LUN or snapshot {@code lunId} (ids of both live in one space).
     *
     * @throws StorageException NOT_FOUND for an unknown id; ALREADY_EXISTS when (initiator, hostLun) is taken by another unit
     */
    void present(String initiator, int hostLun, int lunId) throws StorageException;

    /** @return whether it existed */
    boolean unpresent(String initiator, int hostLun);

    List<Presentation> presentations();

    /**
     * Lowest unit id a snapshot gets. LUNs take the lowest free ids from 0, so snapshots never push a
     * new LUN out of the seed-003 system drive numbers 0..7 (LOP copy source and destination are LUN
     * ids). A snapclone promoted to a LUN keeps its id (its cached writes are keyed by it).
     */
    int FIRST_SNAPSHOT_ID = 4096;

    /**
     * Stores a snapshot record. A record with {@code id = -1} gets the lowest free id from
     * {@link #FIRST_SNAPSHOT_ID} on and a new uid
     * (and, with {@code sizeBytes = 0}, its source LUN's size).
     *
     * @return the stored record
     * @throws StorageException ALREADY_EXISTS for a used snapshot name; NOT_FOUND when the size must
     *                          come from a source LUN that does not exist
     */
    SnapshotRecord addSnapshot(SnapshotRecord record) throws StorageException;

    /** Removes the snapshot record of that name with its presentations; returns it, or null. */
    SnapshotRecord removeSnapshot(String name);

    /**
     * Promotes snapshot {@code snapshotName} (a snapclone whose disk left its tree) to a primary LUN
     * named {@code lunName}, in one stored update: the snapshot record goes, a LUN record with the
     * snapshot's id, uid, disk and size comes; presentations of that id stay (they now present the LUN).
     *
     * @return the new LUN record
     * @throws StorageException NOT_FOUND (no such snapshot); ALREADY_EXISTS (a LUN is named {@code lunName})
     */
    LunRecord promote(String snapshotName, String lunName) throws StorageException;

    /** The snapshot record with unit id {@code id}, or null. */
    SnapshotRecord snapshotById(int id);

    SnapshotRecord snapshot(long requestId, int lunId);

    SnapshotRecord snapshotByName(String name);

    List<SnapshotRecord> snapshots();

    /** Disk of the active seed 003 backup snapshot, or -1. */
    long backupSnapshotDisk();

    /** Disk of the active seed 003 backup's log space (its log system drive's data), or -1. */
    long backupLogDisk();

    /**
     * Records the active backup's snapshot and log disks (-1, -1: no backup is active), both in one
     * stored update, so that an open after a crash finds and deletes both.
     */
    void setBackupDisks(long snapshotDisk, long logDisk);
}
