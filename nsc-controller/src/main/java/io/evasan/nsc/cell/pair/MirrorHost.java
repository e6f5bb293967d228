package io.evasan.nsc.cell.pair;

/**
 * The clustered cell's partner process, as the leader (the process running both controllers' caches over the pool)
 * sees it: the process that holds the replicas of its caches and takes over when the leader dies.
 *
 * <p>Invariant: {@link #hold} returns true only once the partner's endpoint for that cache is registered on the
 * clustered bus, so the first frame sent after it can be applied; a leader writes the pool only while
 * {@link #permit()} says so (its own quorum lease), never on the strength of contact alone.
 */
public interface MirrorHost {
    /** The controller name the partner process's mirror endpoints register under, or null while it is absent. */
    String holder();

    /** Asks the partner process to hold the replica of cache {@code cache}; false when it is absent or silent. */
    boolean hold(String cache);

    /** The replica of {@code cache} is no longer needed (its cache drained and closed); best effort. */
    void release(String cache);

    /** The leader's door check for every backend write: its process's quorum lease. */
    io.evasan.mld.lease.Fence permit();
}
