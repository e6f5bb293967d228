package io.evasan.nsc.api;

/** A snapclone's background copy (BGCOPY) of the tree disk {@code disk}, in segments. */
public record BgCopyView(long disk, long done, long total, State state) {
    /** The sharing tree's BGCOPY states. */
    public enum State { RUNNING, PAUSED, DONE, STALLED_NO_SPACE }
}
