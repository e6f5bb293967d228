package io.evasan.raid.rstore.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.impl.RStoreImpl.Layout;
import io.evasan.raid.rstore.impl.RStoreImpl.Progress;
import io.evasan.raid.rstore.impl.RStoreImpl.Scratch;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

import static io.evasan.raid.rstore.impl.ParityMath.xor;
import static io.evasan.raid.rstore.impl.ParityMath.zero;
import static io.evasan.raid.rstore.impl.RStoreImpl.ROWS;
import static io.evasan.raid.rstore.impl.RStoreImpl.SCRATCH;
import static io.evasan.raid.rstore.impl.RStoreImpl.UNIT;
import static io.evasan.raid.rstore.impl.RStoreImpl.driveError;
import static io.evasan.raid.rstore.impl.RStoreImpl.usable;

/**
 * One member migration of an RStore: re-creates the members in {@code mask} on new PSEGs (or
 * in place), online, then swaps them into the RSD. Used by rebuild and drive removal (via
 * {@link RStoreImpl#rebuild}), and by leveling (via {@link RStoreImpl#beginMigration}, row by row, committed
 * with a check-and-set on the RSD generation).
 *
 * <p>Invariant: rows below {@link #watermark} of every target member hold the member's current
 * contents: {@link #run} copies (or reconstructs) row r under row lock r and only then raises the
 * watermark, and every write to a covered row ({@link #covers}) is mirrored to the target
 * under the same row lock by the RStore's write path. A failed mirror write sets
 * {@link #failed} and the migration gives up. The RSD is switched only in {@link #commit}:
 * with every row lock of the RStore and its {@code meta} monitor held, the targets are forced,
 * the new RSD (generation + 1, members replaced, stale bits cleared) is persisted and forced (one fsync per member drive), and only
 * then the layout swapped; the old PSEGs are returned for release.
 *
 * <p>Locking: the caller (the disk group's rebuilder thread) holds no lock; {@link #run} takes
 * row locks one at a time, {@link #commit} all row locks in row order, then {@code meta}. The
 * fields read by the I/O path ({@code watermark}, {@code failed}) are volatile; nothing here
 * allocates on the I/O path.
 */
public final class MemberMigration {
    private final RStoreImpl store;
    final int mask;
    final Drive[] drv;
    final long[] base;
    final int[] driveIdx;
    final int[] pseg;
    volatile int watermark;
    volatile boolean failed;
    /** What {@link #commit(long)} returns when the RSD is not at the expected generation (nothing changed). */
    public static final long[] CONFLICT = new long[0];

    MemberMigration(RStoreImpl store, int mask, Drive[] drv, long[] base, int[] driveIdx, int[] pseg) {
        this.store = store;
        this.mask = mask;
        this.drv = drv;
        this.base = base;
        this.driveIdx = driveIdx;
        this.pseg = pseg;
    }

    /** Marks the migration failed: it never commits (a rebuild displaced it, or it was abandoned). */
    public void fail() {
        failed = true;
    }

    boolean covers(int slot, int row) {
        return (mask & (1 << slot)) != 0 && row < watermark;
    }

    /** Copies every row, then commits; the packed addresses of released PSEGs, or null on failure. */
    long[] run(Progress progress) {
        for (int r = 0; r < ROWS; r++) {
            if (!copyRow(r, progress)) {
                return null;
            }
        }
        return commit(-1);
    }

    /**
     * Copies (or reconstructs) row {@code r} of every member in the mask to its target under row lock r and
     * raises the watermark to r + 1; false if the RStore was freed, the migration failed (a mirror write, a
     * displacing rebuild) or the row's sources or target are lost.
     */
    public boolean copyRow(int r, Progress progress) {
        int n = store.layout.drv.length;
        Scratch s = SCRATCH.get();
        ReentrantLock lock = store.host.rowLock(store.rsdId, r);
        lock.lock();
        try {
            if (store.freed || failed) {
                return false;
            }
            Layout l = store.layout;
            long rowAt = (long) r * UNIT;
            for (int m = 0; m < n; m++) {
                if ((mask & (1 << m)) == 0) {
                    continue;
                }
                ByteBuffer buf = s.img[0];
                buf.clear();
                if (!rowContent(l, m, rowAt, buf, s)) {
                    return false;
                }
                buf.clear();
                drv[m].write(base[m] + rowAt, buf);
                progress.rowDone(UNIT);
            }
            watermark = r + 1;
            return true;
        } catch (StorageException e) {
            if (driveError(e)) {
                failed = true;
                return false;
            }
            throw e;
        } finally {
            lock.unlock();
        }
    }

    /** Fills buf with the current contents of member m's row (copy or reconstruction). */
    private boolean rowContent(Layout l, int m, long rowAt, ByteBuffer buf, Scratch s) {
        switch (store.level) {
            case RAID0 -> {
                if (!usable(l, m)) {
                    return false;
                }
                l.drv[m].read(l.base[m] + rowAt, buf);
                return true;
            }
            case RAID1 -> {
                int a = m & ~1;
                int src = usable(l, a) ? a : usable(l, a + 1) ? a + 1 : -1;
                if (src < 0) {
                    return false;
                }
                l.drv[src].read(l.base[src] + rowAt, buf);
                return true;
            }
            case RAID5 -> {
                if (usable(l, m)) {
                    l.drv[m].read(l.base[m] + rowAt, buf);
                    return true;
                }
                zero(buf, 0, UNIT);
                for (int o = 0; o < l.drv.length; o++) {
                    if (o == m) {
                        continue;
                    }
                    if (!usable(l, o)) {
                        return false;
                    }
                    s.old.clear();
                    l.drv[o].read(l.base[o] + rowAt, s.old);
                    xor(buf, 0, s.old, 0, UNIT);
                }
                buf.clear();
                return true;
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * Makes the new RSD durable before any write uses the new layout. A RAID5 RStore whose lost
     * member was just rebuilt stops journaling its row writes; were the RSD still only in the
     * page cache, a power cut would reopen the old layout with the member lost, and an
     * unjournaled row write torn by the cut would make the lost member's forced sectors
     * reconstruct to garbage (RaidPowerCutTest, rebuilt midway). One durable copy suffices
     * (the scan takes the newest generation it finds); WRITE_FAULT if none could be forced.
     */
    private void forceRsd(Rsd n) {
        StorageException last = null;
        int ok = 0;
        for (int m = 0; m < n.members(); m++) {
            Drive d = store.host.drive(n.drive(m));
            if (d == null || !d.isAvailable()) {
                continue;
            }
            try {
                d.force();
                ok++;
            } catch (StorageException e) {
                last = e;
            }
        }
        if (ok == 0) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "the new RSD " + n.rsdId() + " could not be forced"
                    + " to any member drive", last);
        }
    }

    /**
     * Swaps the targets into the RSD (see the class comment). With {@code expectedGeneration >= 0} this is a
     * check-and-set: it commits only if the RSD is still at that generation, else returns {@link #CONFLICT}
     * and changes nothing; {@code -1} commits over whatever the RSD is now (rebuild). Null if the migration
     * can never commit (freed, failed, displaced, targets lost).
     */
    public long[] commit(long expectedGeneration) {
        ReentrantLock[] locks = new ReentrantLock[ROWS];
        for (int r = 0; r < ROWS; r++) {
            locks[r] = store.host.rowLock(store.rsdId, r);
        }
        int held = 0;
        try {
            for (int r = 0; r < ROWS; r++) {
                locks[r].lock();
                held++;
            }
            synchronized (store.meta) {
                if (store.freed || failed || watermark < ROWS) {
                    return null;
                }
                Layout l = store.layout;
                if (expectedGeneration >= 0 && l.rsd.generation() != expectedGeneration) {
                    return CONFLICT;
                }
                int[] d = l.rsd.drives();
                int[] p = l.rsd.psegs();
                for (int m = 0; m < d.length; m++) {
                    if ((mask & (1 << m)) != 0) {
                        d[m] = driveIdx[m];
                        p[m] = pseg[m];
                        drv[m].force();
                    }
                }
                Rsd n = l.rsd.withMembers(d, p, mask);
                store.host.persistRsd(n);
                forceRsd(n);
                store.layout = store.layoutOf(n);
                if (store.target == this) {
                    store.target = null;
                }
                long[] released = new long[Integer.bitCount(mask)];
                int k = 0;
                for (int m = 0; m < d.length; m++) {
                    if ((mask & (1 << m)) != 0) {
                        long old = l.rsd.address(m);
                        boolean reused = false;
                        for (int q = 0; q < d.length; q++) {
                            if (n.address(q) == old) {
                                reused = true;
                            }
                        }
                        released[k++] = reused ? PsegAddress.NONE : old;
                    }
                }
                return released;
            }
        } catch (StorageException e) {
            if (driveError(e) || e.code() == ErrorCode.WRITE_FAULT) {
                return null;
            }
            throw e;
        } finally {
            for (int r = held - 1; r >= 0; r--) {
                locks[r].unlock();
            }
        }
    }
}
