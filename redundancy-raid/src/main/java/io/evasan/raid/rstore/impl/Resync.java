package io.evasan.raid.rstore.impl;

import io.evasan.error.StorageException;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.RStoreImpl.Layout;
import io.evasan.raid.rstore.impl.RStoreImpl.Scratch;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

import static io.evasan.raid.rstore.impl.RStoreImpl.COLUMNS;
import static io.evasan.raid.rstore.impl.RStoreImpl.ROWS;
import static io.evasan.raid.rstore.impl.RStoreImpl.SCRATCH;
import static io.evasan.raid.rstore.impl.RStoreImpl.UNIT;
import static io.evasan.raid.rstore.impl.RStoreImpl.driveError;
import static io.evasan.raid.rstore.impl.RStoreImpl.slotOf;
import static io.evasan.raid.rstore.impl.RStoreImpl.usable;

/**
 * Resynchronisation of one {@link RStoreImpl} after an unclean stop: RAID5 parity recomputed from the
 * data columns, the odd copy of each RAID1 pair rewritten from the even copy.
 *
 * <p><b>Invariant</b>: runs row by row under each row's lock, online; after a complete run every row's
 * members agree (either value of a write unacknowledged at the crash is acceptable). Rows with an
 * unusable member are skipped and reported (the result is false). Stateless: the store is passed in.
 */
final class Resync {
    private Resync() {
    }

    /**
     * Makes redundancy consistent after an unclean shutdown (a write in flight at the crash may
     * have reached some members only): RAID5 parity is recomputed from the data columns, the
     * odd copy of each RAID1 pair is rewritten from the even copy. Either value of an
     * unacknowledged write is acceptable; what matters is that members agree. Runs row by row
     * under the row locks, online. Returns false if rows had to be skipped (member unusable).
     */
    static boolean run(RStoreImpl rs, RStoreImpl.Progress progress) {
        if (rs.level == RaidLevel.RAID0) {
            return true;
        }
        boolean complete = true;
        Scratch s = SCRATCH.get();
        for (int r = 0; r < ROWS; r++) {
            ReentrantLock lock = rs.host.rowLock(rs.rsdId, r);
            lock.lock();
            try {
                if (rs.freed) {
                    return true;
                }
                Layout l = rs.layout;
                long rowAt = (long) r * UNIT;
                if (rs.level == RaidLevel.RAID1) {
                    for (int a = 0; a < l.drv.length; a += 2) {
                        if (usable(l, a) && usable(l, a + 1)) {
                            ByteBuffer buf = s.img[0];
                            buf.clear();
                            l.drv[a].read(l.base[a] + rowAt, buf);
                            buf.clear();
                            l.drv[a + 1].write(l.base[a + 1] + rowAt, buf);
                        } else {
                            complete = false;
                        }
                    }
                } else {
                    boolean all = true;
                    for (int m = 0; m < l.drv.length; m++) {
                        all &= usable(l, m);
                    }
                    if (!all) {
                        complete = false;
                    } else {
                        ByteBuffer par = s.parity;
                        ParityMath.zero(par.clear(), 0, UNIT);
                        for (int c = 0; c < COLUMNS; c++) {
                            int slot = slotOf(l, c);
                            s.old.clear();
                            l.drv[slot].read(l.base[slot] + rowAt, s.old);
                            ParityMath.xor(par, 0, s.old, 0, UNIT);
                        }
                        int ps = l.rsd.parityMember();
                        par.clear();
                        l.drv[ps].write(l.base[ps] + rowAt, par);
                    }
                }
            } catch (StorageException e) {
                if (!driveError(e)) {
                    throw e;
                }
                complete = false;
            } finally {
                lock.unlock();
            }
            progress.rowDone(UNIT);
        }
        return complete;
    }
}
