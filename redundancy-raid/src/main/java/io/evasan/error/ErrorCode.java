package io.evasan.error;

/**
 * Stable failure codes shared by every layer. A code never changes meaning or number once
 * released: the SCSI layer translates each to sense data in exactly one place
 * (nsc-controller), the management API to an HTTP status, the CLI to an error line.
 * Add new codes at the end with a fresh number.
 */
public enum ErrorCode {
    /** Offset or length not a multiple of 512 bytes, or otherwise malformed request. */
    UNALIGNED_IO(1),
    /** Address beyond the end of the addressed object (LBA out of range). */
    OUT_OF_RANGE(2),
    /** Data cannot be returned: every copy of the addressed range is lost (never wrong data). */
    UNRECOVERABLE_READ(3),
    /** A write could not be made durable on enough members to be redundant/readable. */
    WRITE_FAULT(4),
    /** No free PSEGs in the disk group for a needed allocation (SCSI 07h/27h/07h). */
    SPACE_ALLOCATION_FAILED(5),
    /** The drive was failed (drill or I/O error) and rejects all I/O. */
    DRIVE_FAILED(6),
    /** The drive's backing file or device is gone (pulled). */
    DRIVE_MISSING(7),
    /** Drive too small to hold label, quorum space and at least one PSEG. */
    DRIVE_TOO_SMALL(8),
    /** The same drive (path or drive UUID) is already a member. */
    DUPLICATE_DRIVE(9),
    /** The drive's label names another pool. */
    FOREIGN_POOL(10),
    /** Fewer usable drives than the RAID level or RSS needs. */
    INSUFFICIENT_DRIVES(11),
    /** A metadata block failed its checksum or is torn and no good copy exists. */
    CORRUPT_METADATA(12),
    /** A named object (LUN, snapshot, drive, RStore, disk group) does not exist. */
    NOT_FOUND(13),
    /** An object with that name/identity already exists. */
    ALREADY_EXISTS(14),
    /** An argument is outside what the operation accepts; the message names it. */
    INVALID_ARGUMENT(15),
    /** The operation conflicts with the object's current state (e.g. has snapshots, copy running). */
    INVALID_STATE(16),
    /** An on-demand snapshot lost its space and is invalid; its reads fail. */
    SNAPSHOT_INVALIDATED(17),
    /** Temporarily unable; retry later (back-pressure, copy in progress). */
    BUSY(18),
    /** Underlying I/O failed with no redundancy left to hide it. */
    IO_ERROR(19);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The stable numeric code (appears in API error bodies and logs). */
    public int code() {
        return code;
    }
}
