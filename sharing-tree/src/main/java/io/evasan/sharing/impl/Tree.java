package io.evasan.sharing.impl;

import io.evasan.sharing.catalog.CatalogDescriptor;

import java.util.ArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One sharing tree: its chain of disks, oldest first, and its locks.
 *
 * <p><b>Invariant</b>: after {@link #relink()} every disk of {@link #chain} names this tree, its position and
 * its neighbours, and its holder cache is empty; {@link #segVersion}{@code [s]} changes (under the stripe write
 * lock of s) whenever an entry of segment s of any disk of the tree changes, so a holder cached at an older
 * version is never used. {@link #op} / {@link #argA} / {@link #argB} name the structural operation the
 * catalog records as in progress ({@code OP_NONE} in steady state).
 */
final class Tree {
    private static final int MAX_STRIPES = 256;

    final ArrayList<Disk> chain = new ArrayList<>();
    final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();
    final ReentrantReadWriteLock[] stripes;
    /** Bumped under the stripe write lock on every entry change of the segment in this tree. */
    final int[] segVersion;
    int op = CatalogDescriptor.OP_NONE;
    long argA;
    long argB;

    Tree(int segments) {
        int n = Math.max(1, Math.min(MAX_STRIPES, segments));
        stripes = new ReentrantReadWriteLock[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
        segVersion = new int[segments];
    }

    ReentrantReadWriteLock stripe(int s) {
        return stripes[s % stripes.length];
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
