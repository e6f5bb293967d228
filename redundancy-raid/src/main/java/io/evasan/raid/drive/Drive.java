package io.evasan.raid.drive;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A physical drive of a disk group, addressed with positional byte I/O (the pool uses 512-byte
 * aligned I/O). {@link io.evasan.raid.drive.impl.FileDrive} is the production implementation; the
 * pool obtains drives through a {@link DriveOpener}, which tests replace (fault injection, power
 * cuts: {@code PowerCutDrive} in the redundancy-raid test-jar).
 *
 * <p>Durability contract: a {@link #write} is durable only once a later {@link #force} returns
 * (a power cut may drop, tear at a 512-byte boundary or reorder unforced writes); reads always see
 * the latest write. Label writes ({@link #writeLabel}, {@link #repairLabelCopies}) force.
 */
public interface Drive {
    /** Callback for drive errors (stats), may be null. */
    interface ErrorListener {
        void driveError(Drive drive, Throwable cause);
    }

    Path path();

    int index();

    DriveLabel label();

    default UUID driveId() {
        DriveLabel l = label();
        return l == null ? null : l.driveId();
    }

    DriveState state();

    default boolean isAvailable() {
        return state() == DriveState.AVAILABLE;
    }

    /** The MLD's quorum space on this drive; its writes go through this drive's {@link #write}. */
    QuorumArea quorumArea();

    /** Byte offset of PSEG {@code pseg}. */
    default long psegOffset(int pseg) {
        return label().psegOffset(pseg);
    }

    /** Rewrites a damaged or stale label copy from the good one (forced); null when both were good. */
    String repairLabelCopies();

    /** Writes a new label (both copies) and forces it. */
    void writeLabel(DriveLabel l);

    /** Reads {@code dst.remaining()} bytes at absolute byte {@code pos}. */
    void read(long pos, ByteBuffer dst);

    /** Writes {@code src.remaining()} bytes at absolute byte {@code pos}. */
    void write(long pos, ByteBuffer src);

    /** Makes every completed write durable (fsync / SYNCHRONIZE CACHE of the device). */
    void force();

    /** Drill: fail the drive. */
    void fail();

    /** Drill: pull the drive. */
    void pull();

    /** Marks the drive removed and closes it. */
    void markRemoved();

    /** Re-adds a pulled or failed drive, checking its identity; returns the label read. */
    DriveLabel restore(UUID poolId);

    void close();
}
