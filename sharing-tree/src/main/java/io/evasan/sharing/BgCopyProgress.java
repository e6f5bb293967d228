package io.evasan.sharing;

/**
 * Progress of one snapclone's BGCOPY: {@code done} of {@code total} segments hold private data.
 * Invariant: {@code 0 <= done <= total}; {@code state == DONE} implies {@code done == total}.
 */
public record BgCopyProgress(long disk, long done, long total, BgCopyState state) {
}
