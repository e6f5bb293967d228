package io.evasan.sharing.sharebits;

/**
 * The seed's share-bit decisions that are pure functions of a few bits, kept apart so the
 * figure tests can check them as tables ([0105], Figs. 14a-14c).
 *
 * <p>Invariant: these functions only decide bits; they never move data.
 */
public final class ShareBitRules {
    private ShareBitRules() {
    }

    /**
     * {@code LD.Sp} after snapclone C0 leaves the tree ([0105], Fig. 14): LD is C0's successor.
     *
     * @param ldSp               LD.Sp before removal
     * @param hasPredecessor     whether C0 has a predecessor (S1)
     * @param predecessorIsClone whether that predecessor is a snapclone still in the tree
     * @param predecessorSs      S1.Ss (equal to C0.Sp)
     */
    public static boolean successorSpAfterCloneLeaves(boolean ldSp, boolean hasPredecessor,
                                                      boolean predecessorIsClone, boolean predecessorSs) {
        return successorSpAfterCloneLeaves(ldSp, hasPredecessor, predecessorIsClone, predecessorSs, true);
    }

    /**
     * As above, with {@code C0.Sp}: when C0's predecessor is a snapclone still copying, {@code LD.Sp} stays set
     * only where C0 shared the segment with it ({@code C0.Sp}): LD.Sp said LD reads what C0 reads, C0.Sp that
     * C0 reads what its predecessor reads; where C0 had its own data (Sp clear) LD and the predecessor clone
     * differ, and a kept LD.Sp would later let the clone's predecessor read LD's data (found by the randomized
     * model test with two snapclones copying in one tree). With C0.Sp set this is the seed's "keep".
     */
    public static boolean successorSpAfterCloneLeaves(boolean ldSp, boolean hasPredecessor,
                                                      boolean predecessorIsClone, boolean predecessorSs, boolean cloneSp) {
        if (!ldSp) {
            return false;            // 14a: nothing to do
        }
        if (!hasPredecessor) {
            return false;            // no predecessor: clear
        }
        if (predecessorIsClone) {
            return cloneSp;          // predecessor is a snapclone: keep set (where C0 shared with it)
        }
        return predecessorSs;        // 14b / 14c: inherit S1.Ss
    }

    /**
     * Fig. 15c: a segment must be copied C0 -> S1 before C0 can leave when S1 reads through C0
     * ({@code S1.Ss}) and C0's successor changed it ({@code LD.Sp} clear). With no successor
     * every segment S1 reads through C0 needs the copy.
     */
    public static boolean needsCopyBeforeLeave(boolean predecessorSs, boolean hasSuccessor, boolean successorSp) {
        return predecessorSs && (!hasSuccessor || !successorSp);
    }
}
