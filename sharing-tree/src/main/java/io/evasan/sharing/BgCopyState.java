package io.evasan.sharing;

/** State of one snapclone's background copy. */
public enum BgCopyState {
    RUNNING,
    PAUSED,
    /** Stopped because the disk group had no free segment; resumes on {@code resumeBgcopy}. */
    STALLED_NO_SPACE,
    /** Every segment copied and the snapclone left the tree (it is an independent LUN). */
    DONE
}
