package io.evasan.nsc.cache;

import io.evasan.nsc.marker.SnapshotRequest;

/**
 * A diagnostic view of one item still in the cache (seed 000 Figs. 6A-6D draw these): a cached
 * write chunk or a snapshot marker. Immutable snapshot of the item at the time it was listed.
 *
 * @param marker  true for a snapshot marker, false for a write
 * @param seq     global acknowledgement sequence number
 * @param initiatorId initiator that wrote it (-1 for a marker)
 * @param lunId   LUN written (-1 for a marker)
 * @param byteOffset offset written (0 for a marker)
 * @param length  bytes (0 for a marker)
 * @param request the marker's request (null for a write)
 */
public record CachedItem(boolean marker, long seq, int initiatorId, int lunId, long byteOffset, int length,
                         SnapshotRequest request) {
}
