package io.evasan.nsc.marker;

/**
 * Takes the snapshot (or snapclone) a marker asked for, at the moment the marker leaves the
 * cache (seed 000, Fig. 5 step 540). Implemented by the storage stack below the cache (the
 * sharing tree) and, for tests, by an in-memory backend that copies its bytes.
 *
 * <p>Contract the cache keeps: when {@link #takeSnapshot} is called, every write to the request's
 * LUNs that the cache acknowledged before the marker has been written to the backend, and no write
 * acknowledged after the marker has been. Calls happen one at a time, in marker order.
 *
 * <p>Contract the implementation keeps: it is idempotent per {@link SnapshotRequest#requestId()}.
 * In non-volatile mode a marker whose snapshot was taken just before a crash, but whose completion
 * was not yet recorded, is delivered again during recovery (at-least-once delivery); the second
 * call must recognise the request id and do nothing. A thrown exception fails the requester's
 * future; the marker still leaves the cache so that later writes can flow.
 */
@FunctionalInterface
public interface SnapshotAction {
    void takeSnapshot(SnapshotRequest request);
}
