package io.evasan.nsc.api;

import java.util.List;

/**
 * One controller of the cell at the moment of the call: its state, the units it owns, whether its cache is
 * mirrored by the partner ({@code mirrorLost} names why not, null when mirrored), its dirty cache bytes, the last
 * heartbeat round trip to its partner in nanoseconds (-1 before the first), its failovers so far, and what it knows
 * of the quorum lease ({@code lease}: "holds generation 3", "standby (nsc-a holds generation 3)", "none", ...).
 */
public record NscView(NscId id, NscState state, List<Integer> ownedUnits, String mirrorLost, long dirtyBytes,
                      long heartbeatRttNanos, long takeovers, String lease) {
    public NscView {
        ownedUnits = List.copyOf(ownedUnits);
    }
}
