package io.evasan.nsc.cell.pair;

import io.evasan.nsc.cache.MirrorChannel;
import io.evasan.nsc.cache.impl.MirrorReplica;

/**
 * One direction of the pair's cache mirroring: the channel one controller's cache sends over and the replica its
 * partner holds. Invariant: after {@link #cut}, the replica receives nothing more (it can be replayed without a
 * late batch racing in) and the sending cache has been told its partner is lost.
 */
interface MirrorLink {
    MirrorChannel channel();

    MirrorReplica replica();

    /** The partner on one side is gone: stop delivering into the replica, tell the sender. */
    void cut(String reason);

    /** Releases what the link holds (after its sending cache closed). */
    default void close() {
    }
}
