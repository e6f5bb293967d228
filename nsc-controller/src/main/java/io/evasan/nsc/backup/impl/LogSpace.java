package io.evasan.nsc.backup.impl;

import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.sharing.SharingTrees;

import java.util.HashMap;
import java.util.Map;

/**
 * Seed 003's log system drive of one snapshot backup (claims 1(iv) and 5): the log LUN's own space, a
 * tree disk of the log LUN's size made at the backup's snapshot and deleted at its end, and the index
 * primary sector to log slot. On the first destaged write to a sector of the primary during the
 * backup the sector's old data is copied into the next free slot; the backup LUN reads a sector from
 * its slot when it has one.
 *
 * <p>Granularity: the seed says "sector" without a size; this is the logical block
 * ({@link LogicalUnit#BLOCK_SIZE}, 512 bytes). Capacity is the log LUN's size in sectors, exactly:
 * a log of N sectors preserves N sectors and refuses the next one ({@link #preserve} returns false).
 *
 * <p>Invariants: slots are given out in order 0, 1, ... and never reused within a backup; a slot is
 * in the index only after its old data is written to the log disk; sectors at or past the primary's
 * size at the snapshot are not part of the snapshot and are never preserved. The index is not
 * persisted: a restart ends the active backup; the LUN table records the log disk with the snapshot
 * disk ({@link io.evasan.nsc.lun.LunTable#setBackupDisks}) and the controller deletes both at open.
 * The engine deletes the disk when the backup ends.
 */
final class LogSpace {
    static final int SECTOR = LogicalUnit.BLOCK_SIZE;
    /** Sectors read or written per tree call while preserving a long range. */
    private static final int CHUNK = 2048;

    private final SharingTrees trees;
    private final long primaryDisk;
    private final long primarySectors;
    final long disk;
    final long capacitySectors;
    private final Map<Long, Long> slots = new HashMap<>();
    private long next;

    /** Makes the log's space for a backup of {@code primaryDisk} (its snapshot-time size {@code primaryBytes}). */
    LogSpace(SharingTrees trees, long primaryDisk, long primaryBytes, long logBytes) {
        this.trees = trees;
        this.primaryDisk = primaryDisk;
        this.primarySectors = primaryBytes / SECTOR;
        this.capacitySectors = logBytes / SECTOR;
        int seg = trees.segmentBytes();
        this.disk = trees.createLun((int) Math.max(1, (logBytes + seg - 1) / seg));
    }

    /**
     * Preserves the old data of every sector of {@code [byteOffset, byteOffset+length)} not preserved
     * yet, reading it from the primary's disk (called just before the write reaches it). Returns
     * false when the log is full before all of them are preserved (an overflow).
     */
    synchronized boolean preserve(long byteOffset, long length) {
        if (length <= 0) {
            return true;
        }
        long first = byteOffset / SECTOR;
        long end = Math.min(primarySectors, (byteOffset + length + SECTOR - 1) / SECTOR);
        for (long c = first; c < end; c += CHUNK) {
            long ce = Math.min(end, c + CHUNK);
            byte[] old = null;
            long s = c;
            while (s < ce) {
                if (slots.containsKey(s)) {
                    s++;
                    continue;
                }
                long r = s;   // run of unpreserved sectors [s, r)
                while (r < ce && !slots.containsKey(r)) {
                    r++;
                }
                if (old == null) {
                    old = new byte[(int) (ce - c) * SECTOR];
                    trees.read(primaryDisk, c * SECTOR, old, 0, old.length);
                }
                long room = capacitySectors - next;
                long n = Math.min(r - s, room);
                if (n > 0) {
                    trees.write(disk, next * SECTOR, old, (int) (s - c) * SECTOR, (int) n * SECTOR);
                    for (long i = 0; i < n; i++) {
                        slots.put(s + i, next++);
                    }
                }
                if (n < r - s) {
                    return false;
                }
                s = r;
            }
        }
        return true;
    }

    /** The log slot holding {@code sector}'s old data, or -1 (the snapshot's data is the primary's). */
    synchronized long slotOf(long sector) {
        Long v = slots.get(sector);
        return v == null ? -1 : v;
    }

    /** Sectors preserved so far (the log's usage, exactly). */
    synchronized long usedSectors() {
        return next;
    }
}
