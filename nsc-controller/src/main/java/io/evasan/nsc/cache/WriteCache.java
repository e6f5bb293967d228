package io.evasan.nsc.cache;

import io.evasan.error.StorageException;
import io.evasan.nsc.marker.MarkerSink;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A controller's write-back cache in front of a {@link DestageTarget} (DESIGN.md §5, seed 000).
 *
 * <p>Invariants:
 * <ul>
 * <li>Every accepted write gets a global sequence number at acknowledgement, taken at one
 *     serialization point shared with {@link #insertMarker}; the write is acknowledged (the call
 *     returns) once it is in the cache, in the persisted log in non-volatile mode, and with the
 *     partner when a {@link MirrorChannel} is configured.</li>
 * <li>Reads see the newest acknowledged data per sector (cached data over backend data).</li>
 * <li>Destage is FIFO per initiator (one initiator's writes reach the backend in sequence order,
 *     one at a time); initiators may be favoured by weight; a write never reaches the backend
 *     before an older cached write to any of the same sectors, so newest wins per sector.</li>
 * <li>A marker separates before from after for all initiators: writes with a lower sequence
 *     number to its LUNs are destaged before its snapshot is taken; writes with a higher one to
 *     those LUNs are destaged only after.</li>
 * <li>The cache is bounded: when full, {@link #write} waits (never fails) and {@link #tryWrite}
 *     returns {@link #FULL}; {@link #whenSpaceFor} completes when room may exist.</li>
 * <li>Bad input (unaligned, out of range, unknown LUN) throws {@link StorageException} and
 *     changes nothing.</li>
 * </ul>
 */
public interface WriteCache extends MarkerSink, AutoCloseable {
    /** Returned by {@link #tryWrite} when the cache has no room now. */
    long FULL = -1L;

    /**
     * Caches {@code src.remaining()} bytes (a multiple of 512) at a 512-aligned offset, waiting while
     * the cache is full. With {@code fua} it also waits until this data (and everything older to
     * the same sectors) is destaged and the LUN flushed, failing with WRITE_FAULT as
     * {@link #synchronizeAsync} does (the data stays acknowledged in the cache). Consumes {@code src}.
     *
     * @return the sequence number of the write (of its last chunk when split)
     */
    long write(int initiatorId, int lunId, long byteOffset, ByteBuffer src, boolean fua) throws StorageException;

    /** Like {@link #write} without FUA and without waiting: {@link #FULL} when there is no room now. */
    long tryWrite(int initiatorId, int lunId, long byteOffset, ByteBuffer src) throws StorageException;

    /** Completes when {@code bytes} of writes may fit (immediately when they fit now). */
    CompletableFuture<Void> whenSpaceFor(int bytes);

    /** Reads {@code dst.remaining()} bytes: cached data where present (newest wins), else the backend. */
    void read(int lunId, long byteOffset, ByteBuffer dst) throws StorageException;

    /**
     * SYNCHRONIZE CACHE: returns once every write acknowledged before the call that overlaps the
     * range is destaged and the LUN flushed. {@code length == 0} means to the end of the LUN.
     */
    void synchronize(int lunId, long byteOffset, long length) throws StorageException;

    /**
     * {@link #synchronize} without waiting: the future completes (on a cache thread) once every
     * write acknowledged before the call that overlaps the range is destaged and the LUN flushed.
     * It completes exceptionally with {@code StorageException(WRITE_FAULT)} when one of those writes
     * was given up as lost, when a destage of one of them failed once its bounded attempts are spent, or when the
     * LUN lost acknowledged data since the last SYNCHRONIZE CACHE / FUA that reported it (reported
     * once); with the flush's own exception when the flush fails. Bad input throws at once.
     */
    java.util.concurrent.CompletableFuture<Void> synchronizeAsync(int lunId, long byteOffset, long length)
            throws StorageException;

    /** Destages everything acknowledged before the call (including markers) and flushes all LUNs. */
    void synchronizeAll() throws StorageException;

    @Override
    SnapshotMarker insertMarker(SnapshotRequest request);

    /** Sets an initiator's destage weight (>= 1, default 1): writes destaged per round-robin turn. */
    void setInitiatorWeight(int initiatorId, int weight);

    /** Payload bytes of writes acknowledged and not yet destaged. */
    long dirtyBytes();

    /** Bytes the cache can hold (log segments times segment size). */
    long capacityBytes();

    /** The items in the cache in sequence order (diagnostics and tests; allocates). */
    List<CachedItem> pendingItems();

    /** Stops destaging new work (writes are still accepted until the cache is full). */
    void pauseDestage();

    void resumeDestage();

    /**
     * Drains the cache (destages everything, takes pending snapshots), flushes the backend and stops
     * the workers. In non-volatile mode the log is left empty.
     */
    /** Largest single write accepted (the SCSI layer reports it as the maximum transfer). */
    int maxWriteBytes();

    @Override
    void close();
}
