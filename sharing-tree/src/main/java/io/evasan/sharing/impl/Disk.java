package io.evasan.sharing.impl;

import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SnapcloneMode;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One disk of the sharing trees (LUN, snapshot or snapclone): its identity, policy and place in its tree.
 *
 * <p><b>Invariant</b>: {@link #tree}, {@link #pos}, {@link #pred} and {@link #succ} are set only by
 * {@link Tree#relink()} under the tree's structure write lock; a disk that is {@link #deleted} or no longer
 * {@link #valid} is in no tree's chain. {@link #bgCursor} is guarded by {@link #bgLock}; {@link #finishing} and
 * the writes of {@link #paused} by {@link SharingTreesImpl#catalogMonitor}.
 */
final class Disk {
    final long id;
    volatile DiskKind kind;
    final AllocationPolicy policy;
    final SnapcloneMode mode;
    volatile int segments;
    volatile Tree tree;
    volatile int pos;
    volatile Disk pred;
    volatile Disk succ;
    final AtomicLong reservedRemaining = new AtomicLong();
    volatile boolean copying;
    /** A copying snapclone in another disk group than its successor's (its tree takes no other changes). */
    volatile boolean crossGroup;
    volatile boolean paused;
    /**
     * Set (under {@link SharingTreesImpl#catalogMonitor}) while a snapclone whose copy is complete leaves its tree;
     * it is never set while {@link #paused}, and {@link #paused} is never set while it is.
     */
    boolean finishing;
    volatile boolean stalled;
    volatile boolean valid = true;
    volatile boolean deleted;
    volatile long tag;
    /** Fig. 15d's M of a snapclone (0: the configured {@code SharingConfig.quiesceThresholdM}); in the catalog. */
    volatile int quiesceM;
    final Object bgLock = new Object();
    int bgCursor;
    /** Holder cache of {@link SegmentEntries#resolve}: (version << 32) | (holder position + 1) per segment, or null. */
    volatile PagedLongs holderCache;

    Disk(long id, DiskKind kind, AllocationPolicy policy, SnapcloneMode mode, int segments) {
        this.id = id;
        this.kind = kind;
        this.policy = policy;
        this.mode = mode;
        this.segments = segments;
    }
}
