package io.evasan.leveling.api;

/** How one PSEG move ended. Every outcome but {@link #MOVED} leaves the RSD and the PSEG use as they were. */
public enum MoveOutcome {
    /** Copied, the RSD switched to the new members (generation + 1), the old PSEGs freed. */
    MOVED,
    /** The plan no longer matches the group (RSD changed or freed, target full or unusable): replan. */
    STALE,
    /** A rebuild or another move runs on the RStore: try later. */
    BUSY,
    /** Begun but given up cleanly (copy source or target lost, RStore freed, member moved by a rebuild). */
    ABANDONED,
    /** Stopped by the caller mid-copy; the target was freed. */
    CANCELLED
}
