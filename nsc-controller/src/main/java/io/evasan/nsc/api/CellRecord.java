package io.evasan.nsc.api;

import java.util.List;
import java.util.Objects;

/**
 * One committed state change of the cell, as the command path produced it: the unit a partner controller
 * applies, in sequence order, to hold the same state (the way Apache Ratis' {@code StateMachine.applyTransaction}
 * applies committed log entries). Its byte layout is {@code io.evasan.nsc.cell.CellRecordDescriptor}.
 *
 * <p>Invariants: a record carries every value the change drew (unit ids, uids, disk ids, creation times,
 * drive indexes), so applying it needs no random draw, clock or lookup below the controller and gives the
 * same result everywhere; a change that failed produced no record; a command that changed nothing (a
 * repeated present, an unpresent of nothing) produced none either. Names are the cell's names, never null
 * unless a field says so.
 */
public sealed interface CellRecord {
    /** The record's type, whose {@link Type#code()} is its type byte on the wire. */
    Type type();

    /** Record types and their wire codes (stable: a code is never reused for another meaning). */
    enum Type {
        LUN_CREATED(1), LUN_DELETED(2), LUN_RESIZED(3), PRESENTED(4), UNPRESENTED(5), SNAPSHOT_TAKEN(6),
        SNAPSHOT_DELETED(7), SNAPCLONE_PROMOTED(8), QUARANTINE_REPAIRED(9), LUN_ROLLED_BACK(10), RECORD_PUT(11),
        RECORD_REMOVED(12), DISK_GROUP_CREATED(13), DRIVE_ADDED(14), DRIVE_REMOVED(15), DRIVE_FAILED(16),
        DRIVE_RESTORED(17), BGCOPY_PAUSED(18), BGCOPY_RESUMED(19), BACKUP_INITIATED(20), BACKUP_TERMINATED(21),
        BACKUP_COPY_STARTED(22), BACKUP_COPY_PAUSED(23), BACKUP_COPY_RESUMED(24), BACKUP_COPY_CANCELLED(25),
        DRIVE_PULLED(26);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        /** The type byte. */
        public int code() {
            return code;
        }
    }

    /** What a LUN is (the LUN table's kinds). */
    enum LunKind { PRIMARY, LOG }

    /** What a quarantine repair deleted (the quarantine's kinds). */
    enum RepairKind { LUN, SNAPSHOT, DISK }

    /** A record with its place in the cell's history: {@code seq} counts from 1 with no gaps. */
    record Committed(long seq, CellRecord record) {
        public Committed {
            Objects.requireNonNull(record, "record");
            if (seq < 1) {
                throw new IllegalArgumentException("seq " + seq);
            }
        }
    }

    /**
     * LUN {@code name} created with unit id {@code id}, uid {@code uid}, over tree disk {@code disk} (-1 for the
     * log LUN) in disk group {@code group} (-1: none).
     */
    record LunCreated(int id, String name, LunKind kind, long uid, long disk, long sizeBytes, int group)
            implements CellRecord {
        public LunCreated {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
        }

        @Override public Type type() { return Type.LUN_CREATED; }
    }

    /** LUN {@code id} deleted with its presentations, its snapshot records and theirs. */
    record LunDeleted(int id, String name) implements CellRecord {
        public LunDeleted { Objects.requireNonNull(name, "name"); }

        @Override public Type type() { return Type.LUN_DELETED; }
    }

    /** LUN {@code id} now {@code sizeBytes} long. */
    record LunResized(int id, String name, long sizeBytes) implements CellRecord {
        public LunResized { Objects.requireNonNull(name, "name"); }

        @Override public Type type() { return Type.LUN_RESIZED; }
    }

    /** Unit {@code unitId} (a LUN or a snapshot, named {@code name}) presented to {@code initiator} as {@code hostLun}. */
    record Presented(String initiator, int hostLun, int unitId, String name) implements CellRecord {
        public Presented {
            Objects.requireNonNull(initiator, "initiator");
            Objects.requireNonNull(name, "name");
        }

        @Override public Type type() { return Type.PRESENTED; }
    }

    /** The presentation of {@code initiator}'s host LUN {@code hostLun} (unit {@code unitId}) removed. */
    record Unpresented(String initiator, int hostLun, int unitId, String name) implements CellRecord {
        public Unpresented {
            Objects.requireNonNull(initiator, "initiator");
            Objects.requireNonNull(name, "name");
        }

        @Override public Type type() { return Type.UNPRESENTED; }
    }

    /**
     * Snapshot (or snapclone) {@code name} of LUN {@code lunId} taken by marker {@code requestId} onto tree disk
     * {@code disk} in group {@code group} with allocation policy {@code policy}; unit id {@code id}, uid {@code uid}.
     */
    record SnapshotTaken(int id, String name, int lunId, long disk, long requestId, boolean snapclone,
                         long createdMillis, long uid, long sizeBytes, int group, String policy) implements CellRecord {
        public SnapshotTaken {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(policy, "policy");
        }

        @Override public Type type() { return Type.SNAPSHOT_TAKEN; }
    }

    /** Snapshot {@code id} deleted (with its presentations). */
    record SnapshotDeleted(int id, String name) implements CellRecord {
        public SnapshotDeleted { Objects.requireNonNull(name, "name"); }

        @Override public Type type() { return Type.SNAPSHOT_DELETED; }
    }

    /** Snapclone {@code snapshot} (unit {@code id}) became primary LUN {@code lun}, keeping id, uid, disk, size. */
    record SnapclonePromoted(int id, String snapshot, String lun) implements CellRecord {
        public SnapclonePromoted {
            Objects.requireNonNull(snapshot, "snapshot");
            Objects.requireNonNull(lun, "lun");
        }

        @Override public Type type() { return Type.SNAPCLONE_PROMOTED; }
    }

    /** Quarantined object {@code id} repaired by deleting it: a LUN or snapshot record (unit {@code unitId}), or a disk. */
    record QuarantineRepaired(String id, RepairKind kind, int unitId, String name) implements CellRecord {
        public QuarantineRepaired {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
        }

        @Override public Type type() { return Type.QUARANTINE_REPAIRED; }
    }

    /** LUN {@code lunId} rolled back to its snapshot {@code snapshotId}: it now reads what the snapshot reads. */
    record LunRolledBack(int lunId, String lun, int snapshotId, String snapshot) implements CellRecord {
        public LunRolledBack {
            Objects.requireNonNull(lun, "lun");
            Objects.requireNonNull(snapshot, "snapshot");
        }

        @Override public Type type() { return Type.LUN_ROLLED_BACK; }
    }

    /** Named record {@code kind}/{@code key} stored as {@code value} (hosts, schedules, the admin token). */
    record RecordPut(String kind, String key, byte[] value) implements CellRecord {
        public RecordPut {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(key, "key");
            value = value.clone();
        }

        @Override public byte[] value() { return value.clone(); }

        @Override public Type type() { return Type.RECORD_PUT; }

        @Override
        public boolean equals(Object o) {
            return o instanceof RecordPut r && kind.equals(r.kind) && key.equals(r.key) && java.util.Arrays.equals(value, r.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(kind, key, java.util.Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "RecordPut[kind=" + kind + ", key=" + key + ", value=" + value.length + " bytes]";
        }
    }

    /** Named record {@code kind}/{@code key} removed. */
    record RecordRemoved(String kind, String key) implements CellRecord {
        public RecordRemoved {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(key, "key");
        }

        @Override public Type type() { return Type.RECORD_REMOVED; }
    }

    /** A file drive of a group: index in the group, path as the pool names it, capacity in bytes. */
    record DriveEntry(int index, String path, long sizeBytes) {
        public DriveEntry { Objects.requireNonNull(path, "path"); }
    }

    /** Disk group {@code id} named {@code name} created over {@code drives}. */
    record DiskGroupCreated(int id, String name, List<DriveEntry> drives) implements CellRecord {
        public DiskGroupCreated {
            Objects.requireNonNull(name, "name");
            drives = List.copyOf(drives);
        }

        @Override public Type type() { return Type.DISK_GROUP_CREATED; }
    }

    /** {@code drive} added to group {@code group}. */
    record DriveAdded(int group, DriveEntry drive) implements CellRecord {
        public DriveAdded { Objects.requireNonNull(drive, "drive"); }

        @Override public Type type() { return Type.DRIVE_ADDED; }
    }

    /** Drive {@code index} of group {@code group} evacuated and removed. */
    record DriveRemoved(int group, int index) implements CellRecord {
        @Override public Type type() { return Type.DRIVE_REMOVED; }
    }

    /** Drive {@code index} of group {@code group} marked failed. */
    record DriveFailed(int group, int index) implements CellRecord {
        @Override public Type type() { return Type.DRIVE_FAILED; }
    }

    /** Drive {@code index} of group {@code group} pulled (a drill: MISSING until restored). */
    record DrivePulled(int group, int index) implements CellRecord {
        @Override public Type type() { return Type.DRIVE_PULLED; }
    }

    /** Drive {@code index} of group {@code group} restored (available; its rebuild started). */
    record DriveRestored(int group, int index) implements CellRecord {
        @Override public Type type() { return Type.DRIVE_RESTORED; }
    }

    /** The BGCOPY of the snapclone on tree disk {@code disk} paused. */
    record BgcopyPaused(long disk) implements CellRecord {
        @Override public Type type() { return Type.BGCOPY_PAUSED; }
    }

    /** The BGCOPY of the snapclone on tree disk {@code disk} resumed. */
    record BgcopyResumed(long disk) implements CellRecord {
        @Override public Type type() { return Type.BGCOPY_RESUMED; }
    }

    /** Seed 003 SNAPSHOT INITIATE: a backup session of LUN {@code lunId} began. */
    record BackupInitiated(int lunId, String lun) implements CellRecord {
        public BackupInitiated { Objects.requireNonNull(lun, "lun"); }

        @Override public Type type() { return Type.BACKUP_INITIATED; }
    }

    /** Seed 003 SNAPSHOT TERMINATE: the backup session ended. */
    record BackupTerminated() implements CellRecord {
        @Override public Type type() { return Type.BACKUP_TERMINATED; }
    }

    /** Seed 003 LOP copy of the backup to LUN {@code destination} started (incremental or full). */
    record BackupCopyStarted(String destination, boolean incremental) implements CellRecord {
        public BackupCopyStarted { Objects.requireNonNull(destination, "destination"); }

        @Override public Type type() { return Type.BACKUP_COPY_STARTED; }
    }

    /** The LOP copy paused after its segment in progress. */
    record BackupCopyPaused() implements CellRecord {
        @Override public Type type() { return Type.BACKUP_COPY_PAUSED; }
    }

    /** The paused LOP copy resumed. */
    record BackupCopyResumed() implements CellRecord {
        @Override public Type type() { return Type.BACKUP_COPY_RESUMED; }
    }

    /** The LOP copy cancelled. */
    record BackupCopyCancelled() implements CellRecord {
        @Override public Type type() { return Type.BACKUP_COPY_CANCELLED; }
    }
}
