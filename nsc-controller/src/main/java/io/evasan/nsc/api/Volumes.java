package io.evasan.nsc.api;

import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.PromotedSnapclone;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.marker.SnapshotMarker;

import java.util.List;
import java.util.Optional;

/**
 * The virtual disks of the cell: LUNs, their presentations, snapshots and snapclones, rollbacks, the quarantine
 * and the seed-003 snapshot backup session. Commands throw {@code io.evasan.error.StorageException} (NOT_FOUND,
 * ALREADY_EXISTS, INVALID_ARGUMENT, INVALID_STATE, ...) and change nothing when they do; one that succeeds has
 * appended its {@link CellRecord} to the cell's {@link CellLog} when it returns (a snapshot when its marker is
 * taken). Reads are views taken at the call. LUN creation with storage-layer parameters is {@link Luns}'.
 */
public interface Volumes {
    /** Whether the controller serves (false once it is closed). */
    boolean isOpen();

    /** LUNs by ascending unit id. */
    List<LunRecord> listLuns();

    /** The LUN named {@code name}; NOT_FOUND when none is. */
    LunRecord lun(String name);

    /**
     * Deletes a LUN with its presentations and snapshots (not while it takes part in a snapshot backup). Refused
     * with {@code io.evasan.nsc.lun.LunInUseException} (INVALID_STATE, naming the presentations and snapshots) while
     * hosts see the LUN or it has snapshots, unless {@code force}.
     */
    void deleteLun(String name, boolean force);

    /** {@link #deleteLun(String, boolean)} without force: refused while the LUN is presented or has snapshots. */
    void deleteLun(String name);

    /**
     * Grows or shrinks a LUN to {@code sizeBytes} (a positive multiple of 512). A shrink is refused with
     * {@code io.evasan.nsc.lun.LunInUseException} while hosts see the LUN or it has snapshots, unless {@code force}.
     */
    LunRecord resizeLun(String name, long sizeBytes, boolean force);

    /** {@link #resizeLun(String, long, boolean)} without force. */
    LunRecord resizeLun(String name, long sizeBytes);

    /** Defines the seed-003 log LUN (one per cell) bounding what a backup snapshot may preserve. */
    LunRecord defineLogLun(String name, long capacityBytes);

    /**
     * Presents LUN {@code name} to {@code initiator} ("*": every initiator) as host LUN {@code hostLun}; ALREADY_EXISTS
     * when an initiator would see the LUN twice or the presentation would shadow another
     * ({@code io.evasan.nsc.lun.PresentationRule}).
     */
    void presentLun(String initiator, int hostLun, String name);

    /** Removes the presentation at ({@code initiator}, {@code hostLun}); false when there was none. */
    boolean unpresentLun(String initiator, int hostLun);

    /** Every presentation of LUNs and snapshots. */
    List<Presentation> listPresentations();

    /** Queues a snapshot (or snapclone) of LUN {@code lunName} with the default policy; the marker tells when it is taken. */
    SnapshotMarker snapshot(String lunName, String snapshotName, boolean snapclone);

    /** The snapshot record a marker produced, while it is remembered. */
    Optional<SnapshotRecord> takenSnapshot(SnapshotMarker marker);

    /** Snapshot and snapclone records. */
    List<SnapshotRecord> listSnapshots();

    /** Deletes a snapshot (refused while it is presented). */
    void deleteSnapshot(String name);

    /** Presents snapshot {@code snapshotName} read-write to {@code initiator} as host LUN {@code hostLun}. */
    void presentSnapshot(String initiator, int hostLun, String snapshotName);

    /** Removes that presentation of the snapshot; false when the slot does not present it. */
    boolean unpresentSnapshot(String initiator, int hostLun, String snapshotName);

    /** The presentations of snapshot {@code snapshotName}. */
    List<Presentation> snapshotPresentations(String snapshotName);

    /** Rolls LUN {@code lunName} back to its snapshot {@code snapshotName}. */
    void rollbackLun(String lunName, String snapshotName);

    /** Promotes every snapclone whose copy finished to a LUN now; returns the new LUNs. */
    List<LunRecord> promoteDetachedSnapclones();

    /** Snapclones promoted to LUNs in this run, oldest first (bounded). */
    List<PromotedSnapclone> promotedSnapclones();

    /** Objects set aside at open because they were inconsistent. */
    List<QuarantineEntry> quarantine();

    /** Whether LUN or snapshot unit {@code unitId} is quarantined. */
    boolean isQuarantined(int unitId);

    /** Repairs quarantined object {@code id} by deleting it; returns what was repaired. */
    QuarantineEntry repairQuarantined(String id);

    /** Seed-003 SNAPSHOT INITIATE of LUN {@code lunName} (refusals carry the seed's sense code). */
    void initiateBackup(String lunName);

    /** Seed-003 SNAPSHOT TERMINATE of the active backup. */
    void terminateBackup();

    /**
     * Seed-003 LOP START: copies the active backup to LUN {@code destination} in the background, overwriting it;
     * unless {@code force}, refused (INVALID_STATE) when the destination is presented, has snapshots or holds data other
     * than an untouched earlier copy of the same LUN's backup.
     */
    void startBackupCopy(String destination, boolean incremental, boolean force);

    /** {@link #startBackupCopy(String, boolean, boolean)} without force. */
    void startBackupCopy(String destination, boolean incremental);
}
