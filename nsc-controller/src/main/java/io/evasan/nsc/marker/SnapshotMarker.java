package io.evasan.nsc.marker;

import java.util.concurrent.CompletableFuture;

/**
 * A snapshot marker placed in the cache (seed 000 marker 615): the ticket handed back to whoever
 * requested the snapshot.
 *
 * <p>Invariants: {@link #seq()} is the global acknowledgement sequence number the marker took;
 * writes with a lower number are in the snapshot, writes with a higher one are not.
 * {@link #taken()} completes (with the request) after {@link SnapshotAction#takeSnapshot} returned,
 * or exceptionally with what it threw.
 */
public final class SnapshotMarker {
    private final long seq;
    private final SnapshotRequest request;
    private final long insertedNanos;
    private final CompletableFuture<SnapshotRequest> taken = new CompletableFuture<>();

    public SnapshotMarker(long seq, SnapshotRequest request, long insertedNanos) {
        this.seq = seq;
        this.request = request;
        this.insertedNanos = insertedNanos;
    }

    public long seq() {
        return seq;
    }

    public SnapshotRequest request() {
        return request;
    }

    /** {@link System#nanoTime()} at insertion. */
    public long insertedNanos() {
        return insertedNanos;
    }

    /** Completes when the snapshot has been taken. */
    public CompletableFuture<SnapshotRequest> taken() {
        return taken;
    }

    @Override
    public String toString() {
        return "SnapshotMarker[seq=" + seq + ", " + request + "]";
    }
}
