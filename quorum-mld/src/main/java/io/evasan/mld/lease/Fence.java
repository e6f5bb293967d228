package io.evasan.mld.lease;

/**
 * What the write path asks before every write to shared storage (maps, MLD, destage).
 *
 * <p>Invariant (of {@link DiskLease}): at no instant of real time do two controllers' fences both
 * answer {@code true}, provided their monotonic clocks drift apart by less than the lease margin
 * over one lease duration. A fence that answered {@code false} after a lost lease never answers
 * {@code true} again for that lease's generation.
 */
public interface Fence {
    /** True while this controller holds the lease and may write shared storage now. */
    boolean mayWrite();

    /**
     * Returns when {@link #mayWrite()}, else throws.
     *
     * @param what the write about to be made (for the message)
     * @throws LeaseLostException code {@code INVALID_STATE}, naming the controller, the
     *                            generation and why (not held, lapsed, fenced)
     */
    void checkWrite(String what);
}
