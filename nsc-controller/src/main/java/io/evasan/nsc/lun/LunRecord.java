package io.evasan.nsc.lun;

import io.evasan.scsi.lu.Naa;

import java.util.Objects;

/**
 * One host-visible LUN of the controller's LUN table.
 *
 * <p>Invariants: {@code id} is the LUN's int id (cache LUN id and seed 003 "system drive" number,
 * unique in the table, reused only after delete); {@code name} is unique among LUNs;
 * {@code uid} is drawn at creation and never changes, so {@link #naa} and {@link #serialNumber}
 * are stable for the LUN's life (across restarts); {@code disk} is the sharing-tree disk id of a
 * {@link Kind#PRIMARY} LUN ({@code -1} for the {@link Kind#LOG} LUN, which owns no disk: its size is
 * the seed 003 log capacity and it is presented as the backup LUN).
 */
public record LunRecord(int id, String name, Kind kind, long uid, long disk, long sizeBytes) {
    /** What the LUN is. */
    public enum Kind {
        /** An ordinary LUN over a sharing-tree disk. */
        PRIMARY,
        /** Seed 003 log system drive: its size bounds the preserved data; hosts see it as the backup LUN. */
        LOG
    }

    public LunRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        if (id < 0 || sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new IllegalArgumentException("bad LUN record " + id + " size " + sizeBytes);
        }
    }

    public long blocks() {
        return sizeBytes / 512;
    }

    /** NAA 6 identifier derived from the pool identity and the LUN's uid. */
    public byte[] naa(String poolIdentity) {
        return Naa.fromName(poolIdentity + "/lun/" + Long.toUnsignedString(uid, 16));
    }

    /** Unit serial number (VPD 80h): 16 hex digits of the uid. */
    public String serialNumber() {
        return String.format("%016X", uid);
    }
}
