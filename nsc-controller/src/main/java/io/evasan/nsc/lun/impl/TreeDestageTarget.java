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
 * <p>Lost data: {@link #destageLost} records byte ranges of a LUN whose acknowledged writes the
 * cache gave up (their RStore lost the data). Until a later write of those bytes reaches the tree
 * (or an UNMAP or rollback replaces them), {@link #read} of any of them throws UNRECOVERABLE_READ
 * (03/11/00) instead of returning the older data below. The ranges are kept in memory, per LUN, as
 * sorted disjoint [start, end) pairs in a copy-on-write array (no cost on the I/O path while a LUN
 * has none); after a restart the RStore that lost the data answers reads of it with its own error.
 *
 * <p>{@link #flush} is the tree's flush of the LUN's disk (stable storage); {@link #unmap} frees whole
 * segments in the tree (partial ones read zeros) and is also shown to the observer first.
 */
public final class TreeDestageTarget implements DestageTarget {
    private final SharingTrees trees;
    private volatile long[] disks = new long[0];
    private volatile long[] sizes = new long[0];
    private volatile DestageObserver observer = (l, o, n) -> { };
    /** Per LUN id: sorted disjoint lost [start, end) pairs, or null; replaced whole under {@code this}. */
    private volatile long[][] lost = new long[0][];

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
        setLost(lunId, null);
    }

    @Override
    public synchronized void destageLost(int lunId, long byteOffset, long length, StorageException cause) {
        if (length <= 0) {
            return;
        }
        long[] cur = lostOf(lunId);
        long s = byteOffset;
        long e = byteOffset + length;
        long[] out = new long[(cur == null ? 0 : cur.length) + 2];
        int n = 0;
        boolean placed = false;
        for (int i = 0; cur != null && i < cur.length; i += 2) {
            if (cur[i + 1] < s) {
                out[n++] = cur[i];
                out[n++] = cur[i + 1];
            } else if (cur[i] > e) {
                if (!placed) {
                    out[n++] = s;
                    out[n++] = e;
                    placed = true;
                }
                out[n++] = cur[i];
                out[n++] = cur[i + 1];
            } else {
                s = Math.min(s, cur[i]);
                e = Math.max(e, cur[i + 1]);
            }
        }
        if (!placed) {
            out[n++] = s;
            out[n++] = e;
        }
        setLost(lunId, Arrays.copyOf(out, n));
    }

    /** The LUN's lost byte ranges as [start, end) pairs (a copy; empty when none). */
    public long[] lostRanges(int lunId) {
        long[] l = lostOf(lunId);
        return l == null ? new long[0] : l.clone();
    }

    private long[] lostOf(int lunId) {
        long[][] l = lost;
        return lunId >= 0 && lunId < l.length ? l[lunId] : null;
    }

    private synchronized void setLost(int lunId, long[] ranges) {
        long[][] l = lost;
        if (lunId >= l.length) {
            if (ranges == null) {
                return;
            }
            l = Arrays.copyOf(l, Math.max(lunId + 1, l.length * 2));
        } else {
            l = l.clone();
        }
        l[lunId] = ranges == null || ranges.length == 0 ? null : ranges;
        lost = l;
    }

    /** Forgets lost bytes of [from, to) (they were rewritten, unmapped or rolled back). */
    private synchronized void clearLost(int lunId, long from, long to) {
        long[] cur = lostOf(lunId);
        if (cur == null) {
            return;
        }
        long[] out = new long[cur.length + 2];
        int n = 0;
        for (int i = 0; i < cur.length; i += 2) {
            long a = cur[i];
            long b = cur[i + 1];
            if (b <= from || a >= to) {
                out[n++] = a;
                out[n++] = b;
                continue;
            }
            if (a < from) {
                out[n++] = a;
                out[n++] = from;
            }
            if (b > to) {
                out[n++] = to;
                out[n++] = b;
            }
        }
        setLost(lunId, Arrays.copyOf(out, n));
    }

    private static void checkLost(int lunId, long[] l, long from, long to) {
        for (int i = 0; i < l.length; i += 2) {
            if (l[i] < to && l[i + 1] > from) {
                long first = Math.max(from, l[i]);
                throw new StorageException(ErrorCode.UNRECOVERABLE_READ, "LUN " + lunId + ": bytes ["
                        + first + ", " + Math.min(to, l[i + 1]) + ") were lost (their RStore lost the data before "
                        + "the cache could destage them)");
            }
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
        if (lostOf(lunId) != null) {
            clearLost(lunId, byteOffset, byteOffset + len);
        }
    }

    /**
     * Space before acknowledgement: the LUN's disk holds every segment of the range privately
     * afterwards (see {@link SharingTrees#prepareWrite}), so the write's destage needs no new space.
     *
     * @throws StorageException SPACE_ALLOCATION_FAILED when its disk group has no room, also when it
     *                          has too few available drives left to allocate at the LUN's RAID level
     *                          (INSUFFICIENT_DRIVES from the group: a disk group that lost two drives)
     */
    public void prepareWrite(int lunId, long byteOffset, long length) {
        try {
            trees.prepareWrite(disk(lunId), byteOffset, length);
        } catch (StorageException e) {
            if (e.code() == ErrorCode.INSUFFICIENT_DRIVES) {
                throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "LUN " + lunId
                        + ": no space for the write at its RAID level: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        long[] l = lostOf(lunId);
        if (l != null) {
            checkLost(lunId, l, byteOffset, byteOffset + dst.remaining());
        }
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
        if (lostOf(lunId) != null) {
            clearLost(lunId, byteOffset, byteOffset + length);
        }
    }

    /**
     * Makes the LUN read exactly what tree disk {@code snapshotDisk} (an older disk of its tree) reads;
     * the whole LUN is shown to the observer as changed. The caller quiesces the LUN first.
     */
    public void rollback(int lunId, long snapshotDisk) {
        long disk = disk(lunId);
        observer.beforeWrite(lunId, 0, sizes[lunId]);
        trees.rollback(disk, snapshotDisk);
        setLost(lunId, null);
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
                try {
                    trees.flush(disk);
                } catch (StorageException e) {
                    if (e.code() != ErrorCode.SNAPSHOT_INVALIDATED) {
                        throw e;
                    }
                    // an invalidated ON_DEMAND snapshot holds nothing to flush; the others still are
                }
            }
        }
    }
}
