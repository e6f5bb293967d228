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
 *     destage (an acknowledged write is never dropped).</li>
 * </ul>
 */
public interface DestageTarget {
    /** Size of the LUN in bytes; throws {@code StorageException(NOT_FOUND)} for an unknown LUN. */
    long lunSizeBytes(int lunId) throws StorageException;

    void write(int lunId, long byteOffset, ByteBuffer src) throws StorageException;

    void read(int lunId, long byteOffset, ByteBuffer dst) throws StorageException;

    void flush(int lunId) throws StorageException;

    void flushAll() throws StorageException;
}
