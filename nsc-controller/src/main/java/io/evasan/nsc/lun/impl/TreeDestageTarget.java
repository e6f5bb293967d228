package io.evasan.nsc.lun.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.lun.DestageObserver;
import io.evasan.sharing.SharingTrees;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The cache's backend over the sharing trees: host LUN id (int) to tree disk id (long) and size.
 *
 * <p>Invariants: a LUN id resolves only while registered ({@link #register} / {@link #unregister});
 * every destaged write is shown to the {@link DestageObserver} before it reaches the tree; reads of
 * never-written space return zeros (the tree's rule). The id table is a copy-on-write array read
 * without locks on the I/O path; reads go straight into the caller's buffer (the tree reads into
 * it) and writes come straight from the caller's buffer (a direct cache segment buffer reaches the
 * drives' positional writes without a heap copy).
 *
 * <p>{@link #flush} is the tree's flush of the LUN's disk (stable storage); {@link #unmap} frees whole
 * segments in the tree (partial ones read zeros) and is also shown to the observer first.
 */
public final class TreeDestageTarget implements DestageTarget {
    private final SharingTrees trees;
    private volatile long[] disks = new long[0];
    private volatile long[] sizes = new long[0];
    private volatile DestageObserver observer = (l, o, n) -> { };

    public TreeDestageTarget(SharingTrees trees) {
        this.trees = trees;
    }

    public void setObserver(DestageObserver o) {
        this.observer = o;
    }

    /** Makes LUN {@code lunId} resolve to tree disk {@code disk} of {@code sizeBytes}. */
    public synchronized void register(int lunId, long disk, long sizeBytes) {
        long[] d = disks;
        long[] s = sizes;
        if (lunId >= d.length) {
            int n = Math.max(lunId + 1, d.length * 2);
            d = Arrays.copyOf(d, n);
            s = Arrays.copyOf(s, n);
            Arrays.fill(d, disks.length, n, -1L);
        } else {
            d = d.clone();
            s = s.clone();
        }
        d[lunId] = disk;
        s[lunId] = sizeBytes;
        sizes = s;
        disks = d;
    }

    public synchronized void unregister(int lunId) {
        if (lunId < disks.length) {
            long[] d = disks.clone();
            d[lunId] = -1L;
            disks = d;
        }
    }

    /** Tree disk of the LUN. @throws StorageException NOT_FOUND */
    public long disk(int lunId) {
        long[] d = disks;
        if (lunId < 0 || lunId >= d.length || d[lunId] < 0) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no LUN with id " + lunId);
        }
        return d[lunId];
    }

    @Override
    public long lunSizeBytes(int lunId) {
        disk(lunId);
        return sizes[lunId];
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
        long disk = disk(lunId);
        int len = src.remaining();
        observer.beforeWrite(lunId, byteOffset, len);
        trees.write(disk, byteOffset, src);   // straight from the cache's (direct) segment buffer
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        trees.read(disk(lunId), byteOffset, dst);   // straight into the (direct) buffer
    }

    /**
     * Unmaps a range of the LUN's disk (the caller orders it against cached writes and markers, see
     * {@link CachedLogicalUnit#unmap}).
     */
    public void unmap(int lunId, long byteOffset, long length) {
        long disk = disk(lunId);
        observer.beforeWrite(lunId, byteOffset, length);
        trees.unmap(disk, byteOffset, length);
    }

    /**
     * Makes the LUN read exactly what tree disk {@code snapshotDisk} (an older disk of its tree) reads;
     * the whole LUN is shown to the observer as changed. The caller quiesces the LUN first.
     */
    public void rollback(int lunId, long snapshotDisk) {
        long disk = disk(lunId);
        observer.beforeWrite(lunId, 0, sizes[lunId]);
        trees.rollback(disk, snapshotDisk);
    }

    /** Whether segment {@code segment} of the LUN's disk holds (or shares) an RSEG. */
    public boolean mapped(int lunId, int segment) {
        return trees.mapped(disk(lunId), segment);
    }

    public int segmentBytes() {
        return trees.segmentBytes();
    }

    @Override
    public void flush(int lunId) {
        trees.flush(disk(lunId));
    }

    @Override
    public void flushAll() {
        long[] d = disks;
        for (long disk : d) {
            if (disk >= 0) {
                trees.flush(disk);
            }
        }
    }
}
