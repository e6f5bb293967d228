package io.evasan.sharing.impl;

import io.evasan.sharing.catalog.Catalog;
import io.evasan.sharing.catalog.CatalogDescriptor;
import io.evasan.sharing.spi.SegmentMaps;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the sharing trees' catalog: every tree's chain (oldest first) with the structural operation it
 * records as under way, and the invalidated disks, as one blob stored through {@link SegmentMaps#storeCatalog}
 * ({@link Recovery} reads it back at open).
 *
 * <p><b>Invariant</b>: {@link #commit()} is called with {@link SharingTreesImpl#catalogMonitor} held, so
 * commits are serialised and each stores a whole, consistent picture of the trees at that moment.
 */
final class TreeCatalog {
    private final SegmentMaps maps;
    private final Set<Tree> trees;
    private final Map<Long, Disk> invalid;

    TreeCatalog(SegmentMaps maps, Set<Tree> trees, Map<Long, Disk> invalid) {
        this.maps = maps;
        this.trees = trees;
        this.invalid = invalid;
    }

    void commit() {
        Catalog c = new Catalog();
        for (Tree t : trees) {
            List<Catalog.DiskRec> chain = new ArrayList<>(t.chain.size());
            for (Disk d : t.chain) {
                chain.add(rec(d));
            }
            if (!chain.isEmpty()) {
                c.trees.add(new Catalog.TreeRec(chain, t.op, t.argA, t.argB));
            }
        }
        for (Disk d : invalid.values()) {
            c.invalid.add(rec(d));
        }
        maps.storeCatalog(c.encode());
    }

    private static Catalog.DiskRec rec(Disk d) {
        int flags = (d.paused ? CatalogDescriptor.FLAG_PAUSED : 0) | (d.stalled ? CatalogDescriptor.FLAG_STALLED : 0);
        return new Catalog.DiskRec(d.id, d.kind.ordinal(), d.policy.ordinal(), d.mode.ordinal(), flags, d.segments, d.tag,
                d.quiesceM);
    }
}
