package io.evasan.nsc.cell.pair;

import io.evasan.nsc.api.NscId;

/**
 * What the layers around the pair (host ports, the fabric) must follow. Called on the thread that made the change,
 * outside the pair's routing gate; a listener must not call back into the pair's drills.
 */
public interface PairListener {
    /** {@code nsc} crashed (kill drill): its host ports go dark at once. */
    default void crashed(NscId nsc) {
    }

    /** {@code survivor} took over {@code dead}'s units: it now serves {@code dead}'s host ports too. */
    default void takenOver(NscId dead, NscId survivor) {
    }

    /** {@code nsc} is back and mirrored: its host ports return to it (before its units fail back). */
    default void restarted(NscId nsc) {
    }
}
