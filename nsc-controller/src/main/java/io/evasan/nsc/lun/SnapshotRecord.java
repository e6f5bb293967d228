package io.evasan.nsc.lun;

import io.evasan.scsi.lu.Naa;

import java.util.Objects;

/**
 * A snapshot (or snapclone) taken through a cache marker: sharing-tree disk {@code disk} holding
 * LUN {@code lunId} as it was when marker request {@code requestId} left the cache.
 *
 * <p>Invariants: at most one record per (requestId, lunId) — that is what makes marker replay after a
 * crash idempotent; names are unique among snapshot records. {@code id} is the snapshot's host-visible
 * unit id, drawn from the same int id space as {@link LunRecord#id()} (never equal to a LUN's or
 * another snapshot's id while the record exists): it is the cache's LUN id of the snapshot's disk when
 * the snapshot is presented, and the id the LUN keeps when a finished snapclone is promoted. {@code uid}
 * is drawn with the id and never changes (NAA and serial number stable across restarts and across the
 * promotion of a snapclone). {@code sizeBytes} is the source LUN's size when the snapshot was taken.
 * A record built with {@code id = -1} (not stored yet) gets its id, uid and (if 0) size from the
 * {@link LunTable} that stores it.
 */
public record SnapshotRecord(String name, int lunId, long disk, long requestId, boolean snapclone, long createdMillis,
                             int id, long uid, long sizeBytes) {
    public SnapshotRecord {
        Objects.requireNonNull(name, "name");
        if (id < -1 || sizeBytes < 0 || sizeBytes % 512 != 0) {
            throw new IllegalArgumentException("bad snapshot record " + name + " id " + id + " size " + sizeBytes);
        }
    }

    /** A record not stored yet: the table assigns id and uid, and the source's size when {@code sizeBytes} is 0. */
    public SnapshotRecord(String name, int lunId, long disk, long requestId, boolean snapclone, long createdMillis) {
        this(name, lunId, disk, requestId, snapclone, createdMillis, -1, 0, 0);
    }

    /** A copy with the table's id, uid and size. */
    public SnapshotRecord withIdentity(int newId, long newUid, long newSizeBytes) {
        return new SnapshotRecord(name, lunId, disk, requestId, snapclone, createdMillis, newId, newUid, newSizeBytes);
    }

    public long blocks() {
        return sizeBytes / 512;
    }

    /** NAA 6 identifier: the same derivation as a LUN's, so a promoted snapclone keeps it. */
    public byte[] naa(String poolIdentity) {
        return Naa.fromName(poolIdentity + "/lun/" + Long.toUnsignedString(uid, 16));
    }

    /** Unit serial number (VPD 80h): 16 hex digits of the uid. */
    public String serialNumber() {
        return String.format("%016X", uid);
    }
}
