package io.evasan.sharing;

/** What to do with the snapshots of a LUN that is deleted. Ignored for snapshots and snapclones. */
public enum DeleteOption {
    /** Refuse (INVALID_STATE) when the LUN still has snapshots or snapclones in its tree. */
    REFUSE_IF_SNAPSHOTS,
    /** Delete the LUN and every snapshot and snapclone of its tree. */
    DELETE_SNAPSHOTS,
    /** Delete the LUN only; its snapshots keep their data (segments move to them by pointer). */
    KEEP_SNAPSHOTS
}
