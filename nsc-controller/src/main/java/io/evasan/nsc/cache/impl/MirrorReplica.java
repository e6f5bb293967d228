package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CacheMessageDescriptor;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.marker.SnapshotAction;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The partner controller's copy of a cache, rebuilt from {@link CacheMessageDescriptor} messages:
 * the writes and markers not yet destaged, by sequence number. On failover the partner calls
 * {@link #takeOver} to destage them itself.
 *
 * <p>Invariants: after applying the messages of a cache in order, {@link #pendingSeqs()} equals
 * that cache's pending items; a message with a bad crc, or a sequenced message (mirror sequence
 * number > 0) whose number is not {@link #lastMirrorSeq()} + 1, is rejected with
 * {@code StorageException(CORRUPT_METADATA)} and changes nothing. A held write's payload is a copy, or for a batch
 * applied with {@link #applyKeptBatch} a view of that batch (whose bytes nobody changes). Thread-safe (synchronized).
 */
public final class MirrorReplica {
    /** A held write ({@code data}: its payload, position to limit) or marker. */
    private record Item(long seq, boolean marker, int lunId, long byteOffset, ByteBuffer data, SnapshotRequest request) {
    }

    private final TreeMap<Long, Item> items = new TreeMap<>();
    private final CRC32C crc = new CRC32C();
    private long applied;
    private long lastMirrorSeq;

    /**
     * Applies a batch (position to limit: messages back to back, {@link CacheMessageDescriptor}) in
     * order; stops at the first message refused (the ones before it stay applied). Returns the
     * highest mirror sequence number applied so far.
     */
    public synchronized long applyBatch(ByteBuffer batch) {
        return applyBatch(batch, false);
    }

    /**
     * As {@link #applyBatch(ByteBuffer)}, for a batch whose bytes nobody changes afterwards (a received frame): the
     * replica keeps views of its write payloads instead of copies.
     */
    public synchronized long applyKeptBatch(ByteBuffer batch) {
        return applyBatch(batch, true);
    }

    private long applyBatch(ByteBuffer batch, boolean keep) {
        try {
            CacheMessageDescriptor.forEachInBatch(batch, m -> apply(m, keep));
        } catch (IllegalArgumentException e) {
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "mirrored cache batch: " + e.getMessage());
        }
        return lastMirrorSeq;
    }

    /** Highest mirror sequence number applied (0 before the first sequenced message). */
    public synchronized long lastMirrorSeq() {
        return lastMirrorSeq;
    }

    /** Applies one message (index 0 to its length in {@code msg}). */
    public synchronized void apply(ByteBuffer msg) {
        apply(msg, false);
    }

    private void apply(ByteBuffer msg, boolean keep) {
        if (!CacheMessageDescriptor.verify(msg, crc)) {
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "mirrored cache message failed its checksum");
        }
        long mseq = CacheMessageDescriptor.mirrorSeq(msg);
        if (mseq != 0 && mseq != lastMirrorSeq + 1) {
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "mirrored cache message " + mseq
                    + " out of sequence (last applied " + lastMirrorSeq + ")");
        }
        long seq = CacheMessageDescriptor.seq(msg);
        switch (CacheMessageDescriptor.type(msg)) {
            case CacheMessageDescriptor.TYPE_WRITE -> {
                int length = CacheMessageDescriptor.payloadLength(msg);
                ByteBuffer data;
                if (keep) {
                    data = msg.slice(CacheMessageDescriptor.PAYLOAD_OFFSET, length);
                } else {
                    byte[] copy = new byte[length];
                    msg.get(CacheMessageDescriptor.PAYLOAD_OFFSET, copy);
                    data = ByteBuffer.wrap(copy);
                }
                items.put(seq, new Item(seq, false, CacheMessageDescriptor.lunId(msg),
                        CacheMessageDescriptor.byteOffset(msg), data, null));
            }
            case CacheMessageDescriptor.TYPE_MARKER -> items.put(seq, new Item(seq, true, -1, 0, null,
                    CacheMessageDescriptor.markerRequest(msg)));
            case CacheMessageDescriptor.TYPE_DESTAGED, CacheMessageDescriptor.TYPE_MARKER_DONE -> items.remove(seq);
            default -> throw new StorageException(ErrorCode.CORRUPT_METADATA,
                    "unknown cache message type " + CacheMessageDescriptor.type(msg));
        }
        applied++;
        if (mseq != 0) {
            lastMirrorSeq = mseq;
        }
    }

    /** Sequence numbers of the items held, ascending. */
    public synchronized List<Long> pendingSeqs() {
        return new ArrayList<>(items.keySet());
    }

    public synchronized long messagesApplied() {
        return applied;
    }

    /**
     * Failover: writes every held write to {@code target} and takes every held marker's snapshot,
     * in sequence order, flushes, and empties the replica. Returns the items replayed.
     */
    public synchronized int takeOver(DestageTarget target, SnapshotAction action) {
        int n = 0;
        for (Map.Entry<Long, Item> e : items.entrySet()) {
            Item it = e.getValue();
            if (it.marker) {
                action.takeSnapshot(it.request);
            } else {
                target.write(it.lunId, it.byteOffset, it.data.duplicate());
            }
            n++;
        }
        target.flushAll();
        items.clear();
        return n;
    }
}
