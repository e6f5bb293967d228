package io.evasan.nsc.lun;

import java.util.Objects;

/**
 * One presentation: LUN {@code lunId} visible to {@code initiator} (an IQN / WWPN, or "*" for every
 * initiator) as host LUN {@code hostLun}. Invariant: at most one LUN per (initiator, hostLun).
 */
public record Presentation(String initiator, int hostLun, int lunId) {
    public Presentation {
        Objects.requireNonNull(initiator, "initiator");
    }
}
