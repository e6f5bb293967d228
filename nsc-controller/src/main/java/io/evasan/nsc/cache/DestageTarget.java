package io.evasan.nsc.cache;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;

/**
 * The backend a write-back cache destages into: the narrow SPI between the cache and the storage
 * stack (later the sharing tree over mapping over RStores; a file or memory backend in tests).
 * LUNs are named by an int id; addresses are byte offsets that are multiples of 512.
 *
 * <p>Contract the implementation keeps:
 * <ul>
 * <li>{@link #write} / {@link #read} transfer {@code remaining()} bytes at a 512-aligned offset,
 *     advancing the buffer's position; a completed write is visible to every later read.</li>
 * <li>Calls may come concurrently from several destage workers, but never for overlapping ranges
 *     of one LUN at the same time (the cache orders those).</li>
 * <li>{@link #flush} returns once every write to that LUN completed before the call is on stable
 *     storage (as stable as the backend offers); {@link #flushAll} does so for every LUN.</li>
 * <li>Failures throw {@link StorageException}; the cache keeps the data and retries a failed
 *     destage with a growing backoff. Only when the backend has lost the data's home (the codes of
 *     {@link #losesData}: e.g. a RAID5 RStore with two failed members) and a bounded number of
 *     attempts failed does the cache give the write up: it then calls {@link #destageLost} for the
 *     sectors that no newer cached write covers, before the write leaves the cache, so a later read
 *     of them fails instead of returning stale data.</li>
 * </ul>
 */
public interface DestageTarget {
    /** Size of the LUN in bytes; throws {@code StorageException(NOT_FOUND)} for an unknown LUN. */
    long lunSizeBytes(int lunId) throws StorageException;

    void write(int lunId, long byteOffset, ByteBuffer src) throws StorageException;

    void read(int lunId, long byteOffset, ByteBuffer dst) throws StorageException;

    void flush(int lunId) throws StorageException;

    void flushAll() throws StorageException;

    /**
     * Records that the bytes {@code [byteOffset, byteOffset + length)} of the LUN could not be
     * destaged and are lost: until they are written again successfully, {@link #read} of them must
     * throw {@code StorageException(UNRECOVERABLE_READ)}. Called by the cache under its lock (keep it
     * short, no I/O). Default: nothing (a backend without that bookkeeping).
     */
    default void destageLost(int lunId, long byteOffset, long length, StorageException cause) {
    }

    /**
     * Whether a destage failure with this code means the data cannot get a home by retrying (the
     * cache gives the write up after its bounded attempts): no redundancy left, a failed drive, a
     * broken store or a LUN that no longer exists. Space exhaustion, a pulled (missing) drive and
     * BUSY are retried without limit, since space or the drive may come back.
     */
    static boolean losesData(io.evasan.error.ErrorCode code) {
        switch (code) {
            case SPACE_ALLOCATION_FAILED:
            case DRIVE_MISSING:
            case BUSY:
                return false;
            default:
                return true;
        }
    }
}
