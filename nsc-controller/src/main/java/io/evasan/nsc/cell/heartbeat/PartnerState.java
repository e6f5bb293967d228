package io.evasan.nsc.cell.heartbeat;

/** What one controller's {@link PartnerMonitor} believes of its partner. */
public enum PartnerState {
    /** Started, no reply yet (and the timeout not yet elapsed). */
    UNKNOWN,
    /** The newest answered ping was sent less than the suspect time ago. */
    ALIVE,
    /** The newest answered ping was sent at least the suspect time ago, less than the timeout. */
    SUSPECT,
    /** The newest answered ping was sent at least the timeout ago (or none was answered since start). */
    DEAD
}
