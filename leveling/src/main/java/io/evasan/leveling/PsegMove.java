package io.evasan.leveling;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.leveling.api.MoveOutcome;
import io.evasan.leveling.api.PlannedMove;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.MemberMove;
import io.evasan.raid.rsd.Rsd;

import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Executes one {@link PlannedMove} on a disk group, in the manner of BookKeeper's
 * LedgerFragmentReplicator: reserve the target PSEG(s), copy row by row under the {@link Throttle} (host
 * writes to copied rows are mirrored to the target by the RAID layer, see {@link MemberMove}), then swap the
 * RSD in a check-and-set loop: re-read the RSD, commit against its generation, retry on a conflict (an
 * unrelated change such as a stale mark) while the moving members are still where they were, abandon when
 * they are not; finally free the old PSEGs.
 *
 * <p>Invariant: a move is either not begun or finished. Before the commit the RSD names the old PSEGs and the
 * target is only reserved in memory (after a crash it is free again); the commit writes the new RSD
 * (generation + 1) whose newest copy wins at open, which releases the old PSEGs. Any outcome other than
 * {@link MoveOutcome#MOVED} leaves the RSD and the PSEG use as they were.
 */
public final class PsegMove {
    /** Commit attempts before giving up on an RSD that keeps changing. */
    static final int MAX_CAS_ATTEMPTS = 16;

    private final DiskGroup group;
    private final PlannedMove plan;

    public PsegMove(DiskGroup group, PlannedMove plan) {
        this.group = group;
        this.plan = plan;
    }

    /**
     * Runs the move. {@code rowCopied} receives the bytes of every copied row (outside any lock);
     * {@code cancelled} is polled between rows.
     *
     * @throws InterruptedException if interrupted while throttled (the move is abandoned first)
     */
    public MoveOutcome run(Throttle throttle, LongConsumer rowCopied, BooleanSupplier cancelled)
            throws InterruptedException {
        if (!matches(currentRsd())) {
            return MoveOutcome.STALE;
        }
        int[] targets = plan.targets().stream().mapToInt(Integer::intValue).toArray();
        MemberMove mv;
        try {
            mv = group.beginMove(plan.rsdId(), plan.mask(), targets);
        } catch (StorageException e) {
            if (e.code() == ErrorCode.BUSY) {
                return MoveOutcome.BUSY;
            }
            if (e.code() == ErrorCode.INVALID_ARGUMENT || e.code() == ErrorCode.SPACE_ALLOCATION_FAILED
                    || e.code() == ErrorCode.NOT_FOUND) {
                return MoveOutcome.STALE;
            }
            throw e;
        }
        try (mv) {
            if (!matches(mv.start())) {
                return MoveOutcome.STALE;
            }
            long b;
            while ((b = mv.copyNextRow()) > 0) {
                rowCopied.accept(b);
                throttle.acquire(b);
                if (cancelled.getAsBoolean()) {
                    return MoveOutcome.CANCELLED;
                }
            }
            if (b < 0) {
                return MoveOutcome.ABANDONED;
            }
            for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
                Rsd now = currentRsd();
                if (now == null) {
                    return MoveOutcome.ABANDONED;
                }
                MemberMove.Commit c = mv.commit(now.generation());
                if (c == MemberMove.Commit.COMMITTED) {
                    mv.releaseSources();
                    return MoveOutcome.MOVED;
                }
                if (c == MemberMove.Commit.ABANDONED) {
                    return MoveOutcome.ABANDONED;
                }
            }
            return MoveOutcome.ABANDONED;
        }
    }

    private Rsd currentRsd() {
        try {
            return group.rsd(plan.rsdId());
        } catch (StorageException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    /** True if the RSD still has the planned sources on the moving members. */
    private boolean matches(Rsd r) {
        if (r == null || r.level() != plan.level()) {
            return false;
        }
        int k = 0;
        for (int m = 0; m < r.members(); m++) {
            if ((plan.mask() & (1 << m)) != 0 && r.address(m) != plan.sources().get(k++)) {
                return false;
            }
        }
        return (plan.mask() >>> r.members()) == 0;
    }
}
