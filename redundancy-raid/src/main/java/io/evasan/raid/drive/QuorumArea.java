package io.evasan.raid.drive;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The reserved quorum space of one drive, between its label and its first PSEG. The
 * quorum-mld layer keeps the mirrored MLD and quorum records here; the RAID layer never
 * touches its contents. Offsets are relative to the start of the area and 512-aligned.
 */
public interface QuorumArea {
    /** UUID from the drive's label. */
    UUID driveId();

    /** Size of the area in bytes (a multiple of 512). */
    long sizeBytes();

    /** False once the drive is failed or pulled; I/O then throws DRIVE_FAILED / DRIVE_MISSING. */
    boolean isAvailable();

    void read(long offset, ByteBuffer dst) throws StorageException;

    void write(long offset, ByteBuffer src) throws StorageException;

    /** Forces writes to this area to stable storage. */
    void force() throws StorageException;
}
