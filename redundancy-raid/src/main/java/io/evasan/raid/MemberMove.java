package io.evasan.raid;

import io.evasan.error.StorageException;
import io.evasan.raid.rsd.Rsd;

/**
 * A move of RStore members to PSEGs reserved on other drives (leveling), begun by
 * {@link DiskGroup#beginMove}: copy row by row, then swap the RSD in a check-and-set step, then
 * release the old PSEGs.
 *
 * <p>Invariants: host writes are never lost: from {@code beginMove} until the move ends, every
 * write to a row already copied also goes to the target under that row's lock, so the targets
 * hold the members' current contents once every row is copied. The RSD changes only in
 * {@link #commit}, and only from the generation the caller expects to that generation + 1 with
 * the targets in place of the moving members; the targets are forced first, so after a crash at
 * any point the newest RSD copy names either the old members (the move never happened, the
 * targets are free again) or the new ones (the old PSEGs are released at open): never both,
 * never neither. {@link #releaseSources} frees the old PSEGs only after the new RSD's entries
 * are forced. Not thread-safe: one caller drives a move.
 */
public interface MemberMove extends AutoCloseable {
    /** Outcome of {@link #commit}. */
    enum Commit {
        /** The RSD now names the targets (generation + 1). */
        COMMITTED,
        /** The RSD is not at the expected generation; nothing changed, re-read and retry. */
        CONFLICT,
        /** The move can never commit (RStore freed, member moved by a rebuild, source or target lost). */
        ABANDONED
    }

    long rsdId();

    /** Members moving (bit m = member m). */
    int mask();

    /** The RSD when the move began. */
    Rsd start();

    /** Target drive of member {@code m} (a member in the mask). */
    int targetDrive(int m);

    /** Target PSEG number of member {@code m} (a member in the mask). */
    int targetPseg(int m);

    /** Rows to copy (each 64 KiB per moving member). */
    int rows();

    /** Rows copied so far. */
    int rowsCopied();

    /**
     * Copies the next row of every moving member (under its row lock); returns the bytes written,
     * 0 when every row is copied, -1 when the move failed (it must be closed).
     */
    long copyNextRow() throws StorageException;

    /**
     * Check-and-set: if every row is copied, the RSD is at {@code expectedGeneration} and the moving
     * members are still where they were, persists the RSD with the targets (generation + 1).
     */
    Commit commit(long expectedGeneration) throws StorageException;

    /** After {@link Commit#COMMITTED}: forces the new RSD's entries, then releases the old PSEGs (RELEASED tombstones). */
    void releaseSources() throws StorageException;

    /** Ends the move: stops mirroring; an uncommitted move frees its target PSEGs. Idempotent. */
    @Override
    void close();
}
