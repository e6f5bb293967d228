package io.evasan.raid.rstore.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.journal.JournalDescriptor;
import io.evasan.raid.journal.impl.RowJournal;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.RStoreImpl.Layout;
import io.evasan.raid.rstore.impl.RStoreImpl.Scratch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantLock;

import static io.evasan.raid.rstore.impl.RStoreImpl.COLUMNS;
import static io.evasan.raid.rstore.impl.RStoreImpl.ROWS;
import static io.evasan.raid.rstore.impl.RStoreImpl.ROW_BYTES;
import static io.evasan.raid.rstore.impl.RStoreImpl.SCRATCH;
import static io.evasan.raid.rstore.impl.RStoreImpl.UNIT;
import static io.evasan.raid.rstore.impl.RStoreImpl.driveError;
import static io.evasan.raid.rstore.impl.RStoreImpl.slotOf;
import static io.evasan.raid.rstore.impl.RStoreImpl.tryRead;
import static io.evasan.raid.rstore.impl.RStoreImpl.usable;

/**
 * RAID5 I/O of an {@link RStoreImpl}: the degraded read (a lost data unit rebuilt from parity and the
 * other columns), the row writes (full-stripe, read-modify-write, reconstruct-write, parity lost), the
 * write-ahead journal of a degraded row write ({@link RowJournal}) and its replay at open.
 *
 * <p><b>Invariant</b>: every row is read-reconstructed, written and replayed under its row lock
 * ({@code Host.rowLock}), so a row's parity always matches its data when the lock is released. A row
 * write with a lost data member is journaled (and, in fsync mode, the record forced) before its
 * in-place writes, and the record is retired before the row lock is released (after forcing the members
 * in fsync mode), so the only valid record of a row is its last write. Stateless: the store is passed in.
 */
final class Raid5Io {
    private Raid5Io() {
    }

    static void read(RStoreImpl rs, int col, int row, int in, ByteBuffer dst, long v, int n, int p) {
        Layout l = rs.layout;
        int slot = slotOf(l, col);
        long at = (long) row * UNIT + in;
        if (tryRead(l, slot, at, dst, p)) {
            return;
        }
        rs.stats.degradedRead(rs.level);
        ReentrantLock lock = rs.host.rowLock(rs.rsdId, row);
        lock.lock();
        try {
            l = rs.layout;
            slot = slotOf(l, col);
            if (usable(l, slot)) {
                // rebuilt or restored meanwhile
                l.drv[slot].read(l.base[slot] + at, dst);
                return;
            }
            Scratch s = SCRATCH.get();
            ParityMath.zero(dst, p, n);
            for (int m = 0; m < l.drv.length; m++) {
                if (m == slot) {
                    continue;
                }
                if (!usable(l, m)) {
                    throw rs.unrecoverable(v, n, "RAID5 members " + slot + " and " + m + " are both lost");
                }
                s.old.clear().limit(n);
                try {
                    l.drv[m].read(l.base[m] + at, s.old);
                } catch (StorageException e) {
                    if (driveError(e)) {
                        throw rs.unrecoverable(v, n, "RAID5 member " + slot + " lost and member " + m + ": "
                                + e.getMessage());
                    }
                    throw e;
                }
                ParityMath.xor(dst, p, s.old, 0, n);
            }
            dst.position(p + n);
        } finally {
            lock.unlock();
        }
    }

    static void write(RStoreImpl rs, long offset, ByteBuffer src, int pos0, int len) {
        long end = offset + len;
        int firstRow = (int) (offset / ROW_BYTES);
        int lastRow = (int) ((end - 1) / ROW_BYTES);
        for (int r = firstRow; r <= lastRow; r++) {
            long rowStart = (long) r * ROW_BYTES;
            int a = (int) (Math.max(offset, rowStart) - rowStart);
            int b = (int) (Math.min(end, rowStart + ROW_BYTES) - rowStart);
            int srcAt = pos0 + (int) (rowStart + a - offset);
            ReentrantLock lock = rs.host.rowLock(rs.rsdId, r);
            lock.lock();
            try {
                writeRow(rs, r, a, b, src, srcAt, pos0 + len);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Writes bytes [a, b) of RAID5 row r from src (src index srcAt holds byte a). Row lock held. */
    private static void writeRow(RStoreImpl rs, int r, int a, int b, ByteBuffer src, int srcAt, int srcEnd) {
        Scratch s = SCRATCH.get();
        int c0 = a / UNIT;
        int c1 = (b - 1) / UNIT;
        for (int attempt = 0; ; attempt++) {
            // absolute get/put check against limits: reset what earlier writes narrowed
            src.limit(srcEnd);
            s.parity.clear();
            s.old.clear();
            for (ByteBuffer im : s.img) {
                im.clear();
            }
            Layout l = rs.layout;
            MemberMigration t = rs.target;
            int ps = l.rsd.parityMember();
            int lostCount = 0;
            int lostSlot = -1;
            for (int m = 0; m < l.drv.length; m++) {
                if (!usable(l, m)) {
                    lostCount++;
                    lostSlot = m;
                }
            }
            boolean lostTouched = false;
            for (int c = c0; c <= c1; c++) {
                if (!usable(l, slotOf(l, c))) {
                    lostTouched = true;
                }
            }
            if (lostTouched && lostCount >= 2) {
                throw new StorageException(ErrorCode.WRITE_FAULT, "RStore " + rs.rsdId + " (RAID5) row " + r
                        + ": " + lostCount + " members lost; write failed, nothing written to this row");
            }
            // union [lo, hi), in unit coordinates, of the ranges the write touches in each column
            int lo = c0 == c1 ? a - c0 * UNIT : 0;
            int hi = c0 == c1 ? b - c0 * UNIT : UNIT;
            long rowAt = (long) r * UNIT;
            ByteBuffer parOut = s.parity;
            try {
                if (!usable(l, ps)) {
                    // parity lost: data only; parity becomes stale
                    rs.markStale(ps);
                    if (t != null && t.covers(ps, r)) {
                        // parity is being rebuilt and this row is already done: keep the new
                        // parity current by computing it from the data columns
                        if (lostCount > 1) {
                            t.failed = true;
                        } else {
                            ByteBuffer par = s.parity;
                            for (int c = 0; c < COLUMNS; c++) {
                                int slot = slotOf(l, c);
                                s.img[c].clear().position(lo).limit(hi);
                                l.drv[slot].read(l.base[slot] + rowAt + lo, s.img[c]);
                            }
                            overlayAndParity(s, par, src, srcAt, a, b, lo, hi);
                            writeData(rs, l, t, r, a, b, src, srcAt, false);
                            writeMember(rs, ps, rowAt + lo, par, lo, hi - lo, t, r);
                            return;
                        }
                    }
                    writeData(rs, l, t, r, a, b, src, srcAt, false);
                    return;
                }
                if (a == 0 && b == ROW_BYTES) {
                    // full-stripe write: parity from the new data, no reads
                    if (src.hasArray()) {
                        ParityMath.parity4(s.parity.array(), src.array(), src.arrayOffset() + srcAt);
                    } else {
                        // bulk copy to long[] (memcpy), vectorisable XOR, bulk copy to a direct buffer
                        src.slice(srcAt, ROW_BYTES).order(ByteOrder.nativeOrder()).asLongBuffer().get(s.rowLongs);
                        ParityMath.parity4(s.parLongs, s.rowLongs);
                        s.parDirectLongs.clear();
                        s.parDirectLongs.put(s.parLongs);
                        parOut = s.parDirect;
                    }
                } else if (!lostTouched) {
                    // read-modify-write: P' = P ^ old ^ new over the touched ranges
                    ByteBuffer par = s.parity;
                    par.clear().position(lo).limit(hi);
                    l.drv[ps].read(l.base[ps] + rowAt + lo, par);
                    for (int c = c0; c <= c1; c++) {
                        int from = Math.max(a, c * UNIT) - c * UNIT;
                        int to = Math.min(b, (c + 1) * UNIT) - c * UNIT;
                        int slot = slotOf(l, c);
                        s.old.clear().position(from).limit(to);
                        l.drv[slot].read(l.base[slot] + rowAt + from, s.old);
                        ParityMath.xor(par, from, s.old, from, to - from);
                        ParityMath.xor(par, from, src, srcAt + (c * UNIT + from - a), to - from);
                    }
                } else {
                    // reconstruct-write: one data member lost and touched
                    int lostCol = -1;
                    for (int c = 0; c < COLUMNS; c++) {
                        if (slotOf(l, c) == lostSlot) {
                            lostCol = c;
                        }
                    }
                    ByteBuffer par = s.parity;
                    par.clear().position(lo).limit(hi);
                    l.drv[ps].read(l.base[ps] + rowAt + lo, par);
                    // old image of the lost column = P ^ others
                    ByteBuffer lostImg = s.img[lostCol];
                    ParityMath.copy(lostImg, lo, par, lo, hi - lo);
                    for (int c = 0; c < COLUMNS; c++) {
                        if (c == lostCol) {
                            continue;
                        }
                        int slot = slotOf(l, c);
                        s.img[c].clear().position(lo).limit(hi);
                        l.drv[slot].read(l.base[slot] + rowAt + lo, s.img[c]);
                        ParityMath.xor(lostImg, lo, s.img[c], lo, hi - lo);
                    }
                    overlayAndParity(s, par, src, srcAt, a, b, lo, hi);
                    rs.markStale(lostSlot);
                }
            } catch (StorageException e) {
                if (driveError(e) && attempt < 3) {
                    continue; // a drive went away while reading: recompute with the new state
                }
                throw e;
            }
            // all reads done and parity computed: now write (failures only make members stale)
            int plo = (a == 0 && b == ROW_BYTES) ? 0 : lo;
            int phi = (a == 0 && b == ROW_BYTES) ? UNIT : hi;
            if (!dataMemberLost(l)) {
                writeData(rs, l, t, r, a, b, src, srcAt, false);
                writeMember(rs, ps, rowAt + plo, parOut, plo, phi - plo, t, r);
                return;
            }
            // degraded: a lost data member exists only as P ^ the others, so a crash between
            // the member writes below would corrupt it. Journal the writes first (write hole).
            RowJournal.Slot js = rs.host.journal().claim();
            boolean committed = false;
            try {
                js.begin(rs.rsdId, l.rsd.generation(), r);
                for (int c = c0; c <= c1; c++) {
                    int slot = slotOf(l, c);
                    if (usable(l, slot)) {
                        int from = Math.max(a, c * UNIT) - c * UNIT;
                        int to = Math.min(b, (c + 1) * UNIT) - c * UNIT;
                        journalAdd(js, l, slot, rowAt + from, src, srcAt + (c * UNIT + from - a), to - from);
                    }
                }
                journalAdd(js, l, ps, rowAt + plo, parOut, plo, phi - plo);
                js.commit();
                committed = true;
                rs.stats.journaledWrite();
                writeData(rs, l, t, r, a, b, src, srcAt, true);
                writeMember(rs, ps, rowAt + plo, parOut, plo, phi - plo, t, r);
                degradedMemberWritten();
            } finally {
                if (committed) {
                    if (rs.host.journal().fsyncs()) {
                        // power-loss mode: the in-place writes must be on stable storage before the
                        // retirement can be: the next record's fsync of the journal file would
                        // otherwise make the retirement durable while they are still in a drive's
                        // volatile cache, and a power cut would reopen the write hole
                        // (RaidPowerCutTest, degraded with journal fsync)
                        forceMembers(l);
                    }
                    // before the row lock is released: a valid record is always its row's last write
                    js.retire();
                } else {
                    js.abandon();
                }
            }
            return;
        }
    }

    /**
     * Overlays bytes [a, b) of the row from {@code src} (index {@code srcAt} holds byte a) onto the old column
     * images in {@code s.img} and sets {@code par[lo, hi)} to the XOR of the four images: the new parity.
     */
    private static void overlayAndParity(Scratch s, ByteBuffer par, ByteBuffer src, int srcAt, int a, int b, int lo, int hi) {
        for (int c = a / UNIT; c <= (b - 1) / UNIT; c++) {
            int from = Math.max(a, c * UNIT) - c * UNIT;
            int to = Math.min(b, (c + 1) * UNIT) - c * UNIT;
            ParityMath.copy(s.img[c], from, src, srcAt + (c * UNIT + from - a), to - from);
        }
        ParityMath.copy(par, lo, s.img[0], lo, hi - lo);
        for (int c = 1; c < COLUMNS; c++) {
            ParityMath.xor(par, lo, s.img[c], lo, hi - lo);
        }
    }

    /** Forces every usable member drive (the record stays valid if one fails: replay redoes it). */
    private static void forceMembers(Layout l) {
        for (int m = 0; m < l.drv.length; m++) {
            if (usable(l, m)) {
                try {
                    l.drv[m].force();
                } catch (StorageException e) {
                    // the drive is failed now (FileDrive): its member is no longer read, nothing to undo
                }
            }
        }
    }

    private static void journalAdd(RowJournal.Slot js, Layout l, int slot, long at, ByteBuffer buf, int p, int n) {
        js.add(l.rsd.drive(slot), slot, l.rsd.pseg(slot), l.base[slot] + at, (int) at, buf, p, n);
    }

    /**
     * Replays a journal record at open (before resync and before any I/O): if the record
     * belongs to this RStore's current members (same RSD id, generation not newer than the
     * current one, every write's member still on the recorded drive and PSEG at the recorded
     * offset) its writes are done again to the members that are usable; otherwise nothing is
     * written. Rewriting the same bytes at the same places makes replay idempotent. Returns
     * whether the record was replayed.
     */
    static boolean replay(RStoreImpl rs, JournalDescriptor.Record rec) {
        if (rs.level != RaidLevel.RAID5 || rec.rsdId() != rs.rsdId || rs.freed) {
            return false;
        }
        ReentrantLock lock = rs.host.rowLock(rs.rsdId, rec.row());
        lock.lock();
        try {
            Layout l = rs.layout;
            if (rec.generation() > l.rsd.generation() || rec.row() < 0 || rec.row() >= ROWS) {
                return false;
            }
            for (JournalDescriptor.Entry e : rec.entries()) {
                int m = e.member();
                if (m >= l.drv.length || l.rsd.drive(m) != e.drive() || l.rsd.pseg(m) != e.pseg()
                        || e.psegOffset() / UNIT != rec.row() || e.psegOffset() % UNIT + e.length() > UNIT) {
                    return false;
                }
                if (l.drv[m] != null && l.drv[m].label() != null
                        && l.base[m] + e.psegOffset() != e.driveOffset()) {
                    return false;
                }
            }
            ByteBuffer pay = rec.payload();
            for (JournalDescriptor.Entry e : rec.entries()) {
                int m = e.member();
                if (!usable(l, m)) {
                    continue; // stale or gone: never read, rebuilt from the others
                }
                try {
                    pay.limit(e.payloadOffset() + e.length()).position(e.payloadOffset());
                    l.drv[m].write(e.driveOffset(), pay);
                } catch (StorageException ex) {
                    if (!driveError(ex)) {
                        throw ex;
                    }
                    rs.markStale(m);
                }
            }
            pay.clear();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** True if a data member (not the parity member) of the layout is unusable. */
    private static boolean dataMemberLost(Layout l) {
        int ps = l.rsd.parityMember();
        for (int m = 0; m < l.drv.length; m++) {
            if (m != ps && !usable(l, m)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Crash-test hook, off unless {@code -Devasan.raid.test.haltAfterDegradedMemberWrites=N} (N > 0):
     * halts the JVM with exit code 137, as abruptly as kill -9, right after the N-th in-place
     * member write made by degraded RAID5 row writes (a data member unusable, parity usable) in
     * this JVM. Read once at class load; costs one static read per degraded member write.
     */
    private static final int HALT_AFTER = Integer.getInteger("evasan.raid.test.haltAfterDegradedMemberWrites", 0);

    private static final java.util.concurrent.atomic.AtomicInteger DEGRADED_MEMBER_WRITES =
            new java.util.concurrent.atomic.AtomicInteger();

    private static void degradedMemberWritten() {
        if (HALT_AFTER > 0 && DEGRADED_MEMBER_WRITES.incrementAndGet() == HALT_AFTER) {
            Runtime.getRuntime().halt(137);
        }
    }

    private static void writeData(RStoreImpl rs, Layout l, MemberMigration t, int r, int a, int b, ByteBuffer src, int srcAt, boolean degraded) {
        long rowAt = (long) r * UNIT;
        int c0 = a / UNIT;
        int c1 = (b - 1) / UNIT;
        for (int c = c0; c <= c1; c++) {
            int from = Math.max(a, c * UNIT) - c * UNIT;
            int to = Math.min(b, (c + 1) * UNIT) - c * UNIT;
            int slot = slotOf(l, c);
            boolean written = usable(l, slot);
            writeMember(rs, slot, rowAt + from, src, srcAt + (c * UNIT + from - a), to - from, t, r);
            if (degraded && written) {
                degradedMemberWritten();
            }
        }
    }

    /** Writes to a member (if usable; otherwise marks it stale) and to its rebuild target. */
    private static void writeMember(RStoreImpl rs, int slot, long at, ByteBuffer buf, int p, int n, MemberMigration t, int row) {
        Layout l = rs.layout;
        if (usable(l, slot)) {
            try {
                buf.limit(p + n).position(p);
                l.drv[slot].write(l.base[slot] + at, buf);
            } catch (StorageException e) {
                if (!driveError(e)) {
                    throw e;
                }
                rs.markStale(slot);
            }
        } else {
            rs.markStale(slot);
        }
        rs.writeTarget(t, slot, row, at, buf, p, n);
    }
}
