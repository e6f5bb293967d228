package io.evasan.raid.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.MemberMove;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rsd.RsdDescriptor;
import io.evasan.raid.rstore.impl.MemberMigration;
import io.evasan.raid.rstore.impl.RStoreImpl;

/**
 * {@link MemberMove} over an RStore's step-wise {@link MemberMigration}. Invariant: the target PSEGs
 * are marked used in their allocators from {@link DiskGroupImpl#beginMove} until the move either
 * commits (they then belong to the RSD) or is closed uncommitted (they are released, still clean of
 * any RSD entry); the old PSEGs are released only after a commit, once the new RSD is forced.
 */
final class MemberMoveImpl implements MemberMove {
    private final DiskGroupImpl group;
    private final RStoreImpl store;
    private final MemberMigration migration;
    private final Rsd start;
    private final int mask;
    private final int[] drives;
    private final int[] psegs;
    private int copied;
    private boolean dead;
    private Rsd committed;
    private long[] released;
    private boolean closed;

    MemberMoveImpl(DiskGroupImpl group, RStoreImpl store, MemberMigration migration, Rsd start, int mask,
                   int[] drives, int[] psegs) {
        this.group = group;
        this.store = store;
        this.migration = migration;
        this.start = start;
        this.mask = mask;
        this.drives = drives;
        this.psegs = psegs;
    }

    @Override
    public long rsdId() {
        return start.rsdId();
    }

    @Override
    public int mask() {
        return mask;
    }

    @Override
    public Rsd start() {
        return start;
    }

    @Override
    public int targetDrive(int m) {
        return drives[m];
    }

    @Override
    public int targetPseg(int m) {
        return psegs[m];
    }

    @Override
    public int rows() {
        return RStoreImpl.ROWS;
    }

    @Override
    public int rowsCopied() {
        return copied;
    }

    @Override
    public long copyNextRow() {
        checkLive();
        if (dead) {
            return -1;
        }
        if (copied >= RStoreImpl.ROWS) {
            return 0;
        }
        long[] bytes = new long[1];
        if (!migration.copyRow(copied, b -> bytes[0] += b)) {
            dead = true;
            return -1;
        }
        copied++;
        return bytes[0];
    }

    @Override
    public Commit commit(long expectedGeneration) {
        checkLive();
        if (committed != null) {
            return Commit.COMMITTED;
        }
        if (dead || copied < RStoreImpl.ROWS) {
            return dead ? Commit.ABANDONED : failNotCopied();
        }
        Rsd now = store.rsd();
        for (int m = 0; m < start.members(); m++) {
            if ((mask & (1 << m)) != 0 && now.address(m) != start.address(m)) {
                dead = true;
                return Commit.ABANDONED;
            }
        }
        long[] r = migration.commit(expectedGeneration);
        if (r == MemberMigration.CONFLICT) {
            return Commit.CONFLICT;
        }
        if (r == null) {
            dead = true;
            return Commit.ABANDONED;
        }
        released = r;
        committed = store.rsd();
        return Commit.COMMITTED;
    }

    private Commit failNotCopied() {
        throw new StorageException(ErrorCode.INVALID_STATE, "move of RSD " + start.rsdId() + ": only " + copied
                + " of " + RStoreImpl.ROWS + " rows copied; copy every row before commit");
    }

    @Override
    public void releaseSources() {
        checkLive();
        if (committed == null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "move of RSD " + start.rsdId()
                    + " is not committed; its old PSEGs are still in use");
        }
        if (released == null) {
            return;
        }
        for (int m = 0; m < committed.members(); m++) {
            Drive d = group.drive(committed.drive(m));
            if (d != null && d.isAvailable()) {
                try {
                    d.force(); // the new RSD is durable before any old PSEG can be reused
                } catch (StorageException e) {
                    if (d.isAvailable()) {
                        throw e;
                    } // the drive just failed: its entries no longer count
                }
            }
        }
        synchronized (group.allocLock) {
            for (long a : released) {
                if (a != PsegAddress.NONE) {
                    group.releaseLocked(a, RsdDescriptor.KIND_RELEASED, start.rsdId());
                }
            }
        }
        released = null;
    }

    private void checkLive() {
        if (closed) {
            throw new StorageException(ErrorCode.INVALID_STATE, "move of RSD " + start.rsdId() + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (committed == null) {
            migration.fail();
        }
        store.endMigration(migration);
        if (committed == null) {
            // a write that still saw this migration mirrors into the targets under its row lock: wait it out
            for (int r = 0; r < RStoreImpl.ROWS; r++) {
                java.util.concurrent.locks.ReentrantLock l = group.rowLock(start.rsdId(), r);
                l.lock();
                l.unlock();
            }
            synchronized (group.allocLock) {
                for (int m = 0; m < start.members(); m++) {
                    if ((mask & (1 << m)) != 0) {
                        group.releaseLocked(PsegAddress.encode(drives[m], psegs[m]), 0, 0);
                    }
                }
            }
        }
    }
}
