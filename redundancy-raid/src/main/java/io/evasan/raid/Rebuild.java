package io.evasan.raid;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An online rebuild (or drive evacuation) job of one disk group. Progress is counted in 64 KiB
 * rows written to new members: {@code done() <= total()}; {@code total()} may grow while the
 * job discovers more work (a second failure during the rebuild).
 *
 * <p>Invariant: when {@link #isDone()} is true every RStore that could be rebuilt has no stale
 * or lost member any more, and {@link #unrecoverable()} lists the RSD ids that could not be
 * (RAID0 members on a lost drive, RAID5 with two lost members, no free PSEG on a suitable drive).
 */
public interface Rebuild {
    /** Rows (64 KiB each) rebuilt so far. */
    long done();

    /** Rows to rebuild, as known so far. */
    long total();

    /** Members rebuilt and committed (RSD rewritten). */
    int membersRebuilt();

    boolean isDone();

    /** Waits until the job is done. */
    void await() throws InterruptedException;

    /** Waits at most the given time; returns {@link #isDone()}. */
    boolean await(long timeout, TimeUnit unit) throws InterruptedException;

    /** RSD ids that could not be rebuilt (stay degraded or lost). */
    List<Long> unrecoverable();

    /** Unexpected failure that ended the job early, or null. */
    Throwable failure();
}
