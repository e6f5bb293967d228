package io.evasan.sharing.impl;

import io.evasan.sharing.BgCopyProgress;
import io.evasan.sharing.BgCopyState;
import io.evasan.sharing.DiskDescription;
import io.evasan.sharing.TreeDescription;
import io.evasan.sharing.bgcopy.BgCopyEngine;
import io.evasan.sharing.sharebits.ShareEntry;

import java.util.ArrayList;
import java.util.List;

import static io.evasan.sharing.sharebits.ShareEntry.holder;
import static io.evasan.sharing.sharebits.ShareEntry.sp;
import static io.evasan.sharing.sharebits.ShareEntry.ss;

/**
 * Read-only views of a tree for {@code describe} and diagnostics: per disk the shared / private / zero
 * segment counts and BGCOPY progress, and one disk's entry with its effective share bits.
 *
 * <p><b>Invariant</b>: changes nothing and takes no lock; the caller holds the tree's structure lock
 * (shared is enough), so the chain does not change while it is counted.
 */
final class TreeDescriber {
    private TreeDescriber() {
    }

    static TreeDescription describe(Tree t, SegmentEntries entries) {
        List<DiskDescription> out = new ArrayList<>();
        for (Disk d : t.chain) {
            long spN = 0;
            long ssN = 0;
            long priv = 0;
            long zero = 0;
            for (int s = 0; s < d.segments; s++) {
                long de = entries.e(d, s);
                if (d.pred != null && ss(entries.e(d.pred, s))) {
                    spN++;                    // the predecessor reads through this disk
                }
                if (SegmentEntries.ssEff(d, de)) {
                    ssN++;
                } else if (holder(de)) {
                    priv++;
                } else {
                    zero++;
                }
            }
            BgCopyProgress bg = null;
            if (d.copying) {
                BgCopyState st = BgCopyEngine.state(d.paused, d.stalled);
                bg = new BgCopyProgress(d.id, d.segments - ssN, d.segments, st);
            }
            out.add(new DiskDescription(d.id, d.kind, d.policy, d.pos, d.segments, spN, ssN, priv, zero, d.valid, bg));
        }
        return new TreeDescription(out);
    }

    /**
     * Raw entry of one disk and segment with effective bits: Sp reads false without a predecessor and
     * Ss false without a successor.
     */
    static long effectiveEntry(Disk d, int segment, SegmentEntries entries) {
        long de = entries.e(d, segment);
        boolean spE = d.pred != null && sp(de);
        boolean ssE = SegmentEntries.ssEff(d, de);
        return ShareEntry.withBits(de, spE, ssE);
    }
}
