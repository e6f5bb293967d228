package io.evasan.sharing.impl;

import io.evasan.sharing.catalog.CatalogDescriptor;

import java.util.ArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One sharing tree: its chain of disks, oldest first, and its locks.
 *
 * <p><b>Invariant</b>: after {@link #relink()} every disk of {@link #chain} names this tree, its position and
 * its neighbours, and its holder cache is empty. The version of segment s ({@link #version}) changes (under the
 * stripe write lock of s, {@link #changed}) whenever an entry of segment s of any disk of the tree changes
 * after a holder of s was first cached in the tree, so a holder cached at an older version is never used;
 * versions are kept only for the pages of segments a holder was cached for ({@link SegmentEntries#resolve}
 * creates the page before it caches), so a tree whose reads never walk two hops keeps none. A tree holds no
 * per-segment state of its own: its stripes are the engine's shared {@link StripeLocks}. {@link #op} /
 * {@link #argA} / {@link #argB} name the structural operation the catalog records as in progress
 * ({@code OP_NONE} in steady state).
 */
final class Tree {
    final ArrayList<Disk> chain = new ArrayList<>();
    final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();
    private final StripeLocks stripes;
    private final int stripeBase;
    /** Per-segment versions, only in pages where a holder was cached. */
    private final PagedLongs versions = new PagedLongs();
    int op = CatalogDescriptor.OP_NONE;
    long argA;
    long argB;

    Tree(StripeLocks stripes) {
        this.stripes = stripes;
        this.stripeBase = stripes.nextBase();
    }

    ReentrantReadWriteLock stripe(int s) {
        return stripes.stripe(stripeBase, s);
    }

    /**
     * An entry of segment s of a disk of this tree changed: a holder cached for s is stale. Caller holds the
     * stripe write lock of s (or the structure lock exclusively).
     */
    void changed(int s) {
        versions.incrementIfPresent(s);
    }

    /** The version of segment s; caller holds its stripe lock (read or write) or the structure lock exclusively. */
    int version(int s) {
        return (int) versions.get(s);
    }

    /**
     * Before a holder of segment s is cached: from now on {@link #changed} counts the changes of s. Caller
     * holds the stripe lock of s (so s does not change meanwhile) or the structure lock exclusively.
     */
    void trackVersion(int s) {
        versions.touch(s);
    }

    void relink() {
        for (int i = 0; i < chain.size(); i++) {
            Disk d = chain.get(i);
            d.tree = this;
            d.pos = i;
            d.pred = i == 0 ? null : chain.get(i - 1);
            d.succ = i == chain.size() - 1 ? null : chain.get(i + 1);
            d.holderCache = null;
        }
    }

    /** The snapclone of this tree copying into another disk group, or null. */
    Disk crossGroupClone() {
        for (Disk d : chain) {
            if (d.copying && d.crossGroup) {
                return d;
            }
        }
        return null;
    }
}
