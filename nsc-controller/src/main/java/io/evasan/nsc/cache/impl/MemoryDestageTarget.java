package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.marker.SnapshotAction;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An in-memory backend: one byte array per LUN, and snapshots as full copies of those arrays.
 * For tests and embedding without a disk group.
 *
 * <p>Invariants: a read returns the bytes last written (zeros if never written); a snapshot holds
 * exactly the bytes of its LUNs at the moment {@link #takeSnapshot} ran; a repeated request id is
 * ignored (idempotent, as {@link SnapshotAction} requires). Thread-safe (per-LUN monitor for data,
 * a global monitor for snapshots).
 */
public final class MemoryDestageTarget implements DestageTarget, SnapshotAction {
    private final Map<Integer, byte[]> luns = new HashMap<>();
    private final Map<Long, Map<Integer, byte[]>> snapshots = new LinkedHashMap<>();
    private final Map<Long, SnapshotRequest> requests = new LinkedHashMap<>();
    private long writes;
    private long flushes;

    /** Creates (or replaces) a zero-filled LUN. */
    public synchronized void createLun(int lunId, long sizeBytes) {
        if (sizeBytes <= 0 || sizeBytes % 512 != 0 || sizeBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("memory LUN size " + sizeBytes);
        }
        luns.put(lunId, new byte[(int) sizeBytes]);
    }

    private synchronized byte[] lun(int lunId) {
        byte[] b = luns.get(lunId);
        if (b == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "LUN " + lunId + " does not exist");
        }
        return b;
    }

    @Override
    public long lunSizeBytes(int lunId) {
        return lun(lunId).length;
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
        byte[] b = lun(lunId);
        int n = src.remaining();
        check(lunId, b, byteOffset, n);
        synchronized (b) {
            src.get(b, (int) byteOffset, n);
        }
        synchronized (this) {
            writes++;
        }
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        byte[] b = lun(lunId);
        int n = dst.remaining();
        check(lunId, b, byteOffset, n);
        synchronized (b) {
            dst.put(b, (int) byteOffset, n);
        }
    }

    private static void check(int lunId, byte[] b, long off, int n) {
        if (off < 0 || off + n > b.length) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "LUN " + lunId + ": [" + off + ", " + (off + n)
                    + ") beyond " + b.length);
        }
    }

    @Override
    public synchronized void flush(int lunId) {
        lun(lunId);
        flushes++;
    }

    @Override
    public synchronized void flushAll() {
        flushes++;
    }

    @Override
    public void takeSnapshot(SnapshotRequest request) {
        Map<Integer, byte[]> copy = new HashMap<>();
        for (int lunId : request.lunIds()) {
            byte[] b = lun(lunId);
            synchronized (b) {
                copy.put(lunId, b.clone());
            }
        }
        synchronized (this) {
            if (!snapshots.containsKey(request.requestId())) {
                snapshots.put(request.requestId(), copy);
                requests.put(request.requestId(), request);
            }
        }
    }

    /** The bytes of a LUN in a snapshot, or null if that snapshot was not taken. */
    public synchronized byte[] snapshot(long requestId, int lunId) {
        Map<Integer, byte[]> s = snapshots.get(requestId);
        return s == null ? null : s.get(lunId);
    }

    /** Requests of the snapshots taken, in the order taken. */
    public synchronized Map<Long, SnapshotRequest> snapshotsTaken() {
        return new LinkedHashMap<>(requests);
    }

    /** A copy of a LUN's current bytes. */
    public byte[] contents(int lunId) {
        byte[] b = lun(lunId);
        synchronized (b) {
            return b.clone();
        }
    }

    public synchronized long writes() {
        return writes;
    }

    public synchronized long flushes() {
        return flushes;
    }
}
