package io.evasan.raid.rstore.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.RaidStats;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.journal.JournalDescriptor;
import io.evasan.raid.journal.impl.RowJournal;
import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * RAID0/1/5 RStore over PSEGs.
 *
 * <p>Layout: the 8 MB of virtual space is striped in {@link #UNIT} (64 KiB) units over 4 data
 * columns: virtual unit {@code u} sits in column {@code u % 4}, row {@code u / 4}, i.e. at byte
 * {@code row * 64 KiB} of that column's PSEG. 32 rows per PSEG. RAID0: column c = member c.
 * RAID1: column c = mirrored pair (members 2c, 2c+1). RAID5: column d = member
 * {@code d < P ? d : d + 1} where P is the RSD's parity member; the parity member's row r is the
 * XOR of the four data units of row r (parity rotates across RStores because P = rsdId mod 5
 * over a drive-sorted member list). 64 KiB keeps a 1 MiB sequential I/O on all four columns
 * while a 4 KiB write touches one data unit plus parity.
 *
 * <p>Invariants: reads never return wrong data: a member that is stale (skipped by a write) or
 * on an unavailable drive is never read, and data that cannot be reconstructed raises
 * {@code UNRECOVERABLE_READ} for that range only. Before a write that skipped a member returns,
 * the member is marked stale in the RSD durably. RAID5 writes of one row run under that row's
 * lock so parity always matches the data; a lost member's contents stay reconstructible, also
 * across a crash: a degraded row write (a data member unusable, parity usable) is journaled in
 * the disk group's {@link RowJournal} before its in-place writes and the record is retired
 * before the row lock is released, so the only valid record of a row is its last write and
 * replaying it at open restores data and parity that agree.
 * Rebuild copies rows under the same locks and mirrors concurrent writes below its watermark.
 */
public final class RStoreImpl implements RStore {
    /** Stripe unit: 64 KiB. */
    public static final int UNIT = 64 * 1024;
    /** Rows per PSEG. */
    public static final int ROWS = DriveLabelDescriptor.PSEG_BYTES / UNIT;
    private static final int COLUMNS = 4;
    private static final int ROW_BYTES = UNIT * COLUMNS;

    /** What an RStore needs from its disk group. */
    public interface Host {
        Drive drive(int index);

        /** Writes the RSD's entry on every available member drive; WRITE_FAULT if none took it. */
        void persistRsd(Rsd rsd);

        ReentrantLock rowLock(long rsdId, int row);

        RaidStats stats();

        /** The disk group's journal of degraded RAID5 row writes. */
        RowJournal journal();
    }

    static final class Layout {
        final Rsd rsd;
        final Drive[] drv;
        final long[] base;

        Layout(Rsd rsd, Drive[] drv, long[] base) {
            this.rsd = rsd;
            this.drv = drv;
            this.base = base;
        }
    }

    /**
     * Per-thread scratch buffers: no allocation per I/O. Heap-backed so XOR runs as a plain
     * byte-array loop the JIT vectorises.
     */
    static final class Scratch {
        final ByteBuffer parity = ByteBuffer.allocate(UNIT);
        final ByteBuffer old = ByteBuffer.allocate(UNIT);
        final ByteBuffer[] img = {ByteBuffer.allocate(UNIT), ByteBuffer.allocate(UNIT),
            ByteBuffer.allocate(UNIT), ByteBuffer.allocate(UNIT)};
        final byte[] tmp = new byte[UNIT];
        final long[] rowLongs = new long[ROW_BYTES / 8];
        final long[] parLongs = new long[UNIT / 8];
        final ByteBuffer parDirect = ByteBuffer.allocateDirect(UNIT).order(ByteOrder.nativeOrder());
        final java.nio.LongBuffer parDirectLongs = parDirect.asLongBuffer();
    }

    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    final long rsdId;
    final RaidLevel level;
    final Host host;
    private final RaidStats stats;
    final Object meta = new Object();
    volatile Layout layout;
    volatile MemberMigration target;
    volatile boolean freed;

    public RStoreImpl(Rsd rsd, Host host) {
        this.rsdId = rsd.rsdId();
        this.level = rsd.level();
        this.host = host;
        this.stats = host.stats();
        this.layout = layoutOf(rsd);
    }

    Layout layoutOf(Rsd rsd) {
        Drive[] d = new Drive[rsd.members()];
        long[] b = new long[rsd.members()];
        for (int i = 0; i < d.length; i++) {
            d[i] = host.drive(rsd.drive(i));
            b[i] = d[i] == null || d[i].label() == null ? 0 : d[i].psegOffset(rsd.pseg(i));
        }
        return new Layout(rsd, d, b);
    }

    @Override
    public long rsdId() {
        return rsdId;
    }

    @Override
    public RaidLevel level() {
        return level;
    }

    /** The current RSD (members, generation, stale mask). */
    public Rsd rsd() {
        return layout.rsd;
    }

    /** True if a member is stale or on an unavailable drive. */
    public boolean isDegraded() {
        Layout l = layout;
        for (int i = 0; i < l.drv.length; i++) {
            if (!usable(l, i)) {
                return true;
            }
        }
        return false;
    }

    /** Recomputes drive offsets (after a drive that was missing at open is re-added). */
    public void refreshLayout() {
        synchronized (meta) {
            layout = layoutOf(layout.rsd);
        }
    }

    /** Marks the RStore freed (later I/O throws NOT_FOUND, a running rebuild aborts); returns its last RSD. */
    public Rsd markFreedAndGet() {
        synchronized (meta) {
            freed = true;
            return layout.rsd;
        }
    }

    public boolean isFreed() {
        return freed;
    }

    static boolean usable(Layout l, int slot) {
        return !l.rsd.isStale(slot) && l.drv[slot] != null && l.drv[slot].isAvailable();
    }

    /** Whether member {@code slot} can be read now (not stale, drive available). */
    public boolean isUsable(int slot) {
        return usable(layout, slot);
    }

    private static void check(long offset, int len) {
        if ((offset & 511) != 0 || (len & 511) != 0) {
            throw new StorageException(ErrorCode.UNALIGNED_IO, "RStore I/O at offset " + offset + " length " + len
                    + " is not a multiple of 512 bytes");
        }
        if (offset < 0 || offset + len > SIZE_BYTES) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "RStore I/O at offset " + offset + " length " + len
                    + " outside 0.." + SIZE_BYTES);
        }
    }

    private void live() {
        if (freed) {
            throw new StorageException(ErrorCode.NOT_FOUND, "RStore " + rsdId + " has been freed");
        }
    }

    static boolean driveError(StorageException e) {
        ErrorCode c = e.code();
        return c == ErrorCode.DRIVE_FAILED || c == ErrorCode.DRIVE_MISSING || c == ErrorCode.IO_ERROR;
    }

    /**
     * Reads member {@code m} at {@code at} into {@code dst}. Returns false, with {@code dst} rewound
     * to {@code p}, when the member is unusable or its drive fails: the caller then reconstructs
     * from redundancy. Errors other than drive errors propagate.
     */
    private static boolean tryRead(Layout l, int m, long at, ByteBuffer dst, int p) {
        if (!usable(l, m)) {
            return false;
        }
        try {
            l.drv[m].read(l.base[m] + at, dst);
            return true;
        } catch (StorageException e) {
            if (!driveError(e)) {
                throw e;
            }
            dst.position(p);
            return false;
        }
    }

    private StorageException unrecoverable(long v, int n, String why) {
        stats.unrecoverableRead();
        return new StorageException(ErrorCode.UNRECOVERABLE_READ, "RStore " + rsdId + " (" + level + ") bytes "
                + v + ".." + (v + n) + " unrecoverable: " + why);
    }

    private static int slotOf(Layout l, int col) {
        int p = l.rsd.parityMember();
        return col < p ? col : col + 1;
    }

    // ------------------------------------------------------------------------------------ read

    @Override
    public void read(long offset, ByteBuffer dst) {
        int len = dst.remaining();
        check(offset, len);
        live();
        stats.read(level, len);
        int lim = dst.limit();
        int pos0 = dst.position();
        try {
            long end = offset + len;
            long v = offset;
            while (v < end) {
                long u = v / UNIT;
                int in = (int) (v % UNIT);
                int n = (int) Math.min(UNIT - in, end - v);
                int col = (int) (u & 3);
                int row = (int) (u >>> 2);
                int p = pos0 + (int) (v - offset);
                dst.limit(p + n).position(p);
                switch (level) {
                    case RAID0 -> read0(col, row, in, dst, v, n);
                    case RAID1 -> read1(col, row, in, dst, v, n, p);
                    case RAID5 -> read5(col, row, in, dst, v, n, p);
                    default -> throw new IllegalStateException();
                }
                v += n;
            }
        } finally {
            dst.limit(lim);
        }
        dst.position(pos0 + len);
    }

    private void read0(int col, int row, int in, ByteBuffer dst, long v, int n) {
        Layout l = layout;
        Drive d = l.drv[col];
        if (!usable(l, col)) {
            throw unrecoverable(v, n, "RAID0 member " + col + " on drive " + l.rsd.drive(col) + " is lost");
        }
        try {
            d.read(l.base[col] + (long) row * UNIT + in, dst);
        } catch (StorageException e) {
            if (driveError(e)) {
                throw unrecoverable(v, n, e.getMessage());
            }
            throw e;
        }
    }

    private void read1(int col, int row, int in, ByteBuffer dst, long v, int n, int p) {
        Layout l = layout;
        int a = 2 * col + (row & 1);
        int b = a ^ 1;
        long at = (long) row * UNIT + in;
        if (tryRead(l, a, at, dst, p)) {
            return;
        }
        stats.degradedRead(level);
        if (tryRead(l, b, at, dst, p)) {
            return;
        }
        throw unrecoverable(v, n, "both copies of mirrored pair " + col + " are lost");
    }

    private void read5(int col, int row, int in, ByteBuffer dst, long v, int n, int p) {
        Layout l = layout;
        int slot = slotOf(l, col);
        long at = (long) row * UNIT + in;
        if (tryRead(l, slot, at, dst, p)) {
            return;
        }
        stats.degradedRead(level);
        ReentrantLock lock = host.rowLock(rsdId, row);
        lock.lock();
        try {
            l = layout;
            slot = slotOf(l, col);
            if (usable(l, slot)) {
                // rebuilt or restored meanwhile
                l.drv[slot].read(l.base[slot] + at, dst);
                return;
            }
            Scratch s = SCRATCH.get();
            zero(dst, p, n);
            for (int m = 0; m < l.drv.length; m++) {
                if (m == slot) {
                    continue;
                }
                if (!usable(l, m)) {
                    throw unrecoverable(v, n, "RAID5 members " + slot + " and " + m + " are both lost");
                }
                s.old.clear().limit(n);
                try {
                    l.drv[m].read(l.base[m] + at, s.old);
                } catch (StorageException e) {
                    if (driveError(e)) {
                        throw unrecoverable(v, n, "RAID5 member " + slot + " lost and member " + m + ": "
                                + e.getMessage());
                    }
                    throw e;
                }
                xor(dst, p, s.old, 0, n);
            }
            dst.position(p + n);
        } finally {
            lock.unlock();
        }
    }

    // ----------------------------------------------------------------------------------- write

    @Override
    public void write(long offset, ByteBuffer src) {
        int len = src.remaining();
        check(offset, len);
        live();
        stats.write(level, len);
        int lim = src.limit();
        int pos0 = src.position();
        try {
            switch (level) {
                case RAID0 -> write0(offset, src, pos0, len);
                case RAID1 -> write1(offset, src, pos0, len);
                case RAID5 -> write5(offset, src, pos0, len);
                default -> throw new IllegalStateException();
            }
        } finally {
            src.limit(lim);
        }
        src.position(pos0 + len);
    }

    private void write0(long offset, ByteBuffer src, int pos0, int len) {
        long end = offset + len;
        Layout l = layout;
        long firstUnit = offset / UNIT;
        long lastUnit = (end - 1) / UNIT;
        for (long u = firstUnit; u <= Math.min(lastUnit, firstUnit + 3); u++) {
            int col = (int) (u & 3);
            if (!usable(l, col)) {
                throw new StorageException(ErrorCode.WRITE_FAULT, "RStore " + rsdId + " (RAID0): member " + col
                        + " on drive " + l.rsd.drive(col) + " is lost; nothing written");
            }
        }
        long v = offset;
        while (v < end) {
            long u = v / UNIT;
            int in = (int) (v % UNIT);
            int n = (int) Math.min(UNIT - in, end - v);
            int col = (int) (u & 3);
            int row = (int) (u >>> 2);
            int p = pos0 + (int) (v - offset);
            long at = (long) row * UNIT + in;
            try {
                MemberMigration t = target;
                if (t == null) {
                    src.limit(p + n).position(p);
                    l.drv[col].write(l.base[col] + at, src);
                } else {
                    ReentrantLock lock = host.rowLock(rsdId, row);
                    lock.lock();
                    try {
                        l = layout;
                        src.limit(p + n).position(p);
                        l.drv[col].write(l.base[col] + at, src);
                        writeTarget(target, col, row, at, src, p, n);
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (StorageException e) {
                if (driveError(e)) {
                    throw new StorageException(ErrorCode.WRITE_FAULT, "RStore " + rsdId + " (RAID0) write at "
                            + v + " failed: " + e.getMessage(), e);
                }
                throw e;
            }
            v += n;
        }
    }

    private void writeTarget(MemberMigration t, int slot, int row, long at, ByteBuffer src, int p, int n) {
        if (t != null && t.covers(slot, row)) {
            try {
                src.limit(p + n).position(p);
                t.drv[slot].write(t.base[slot] + at, src);
            } catch (StorageException e) {
                t.failed = true;
            }
        }
    }

    private void write1(long offset, ByteBuffer src, int pos0, int len) {
        long end = offset + len;
        long v = offset;
        while (v < end) {
            long u = v / UNIT;
            int in = (int) (v % UNIT);
            int n = (int) Math.min(UNIT - in, end - v);
            int col = (int) (u & 3);
            int row = (int) (u >>> 2);
            int p = pos0 + (int) (v - offset);
            long at = (long) row * UNIT + in;
            ReentrantLock lock = host.rowLock(rsdId, row);
            lock.lock();
            try {
                Layout l = layout;
                MemberMigration t = target;
                int ok = 0;
                for (int s = 2 * col; s <= 2 * col + 1; s++) {
                    if (usable(l, s)) {
                        try {
                            src.limit(p + n).position(p);
                            l.drv[s].write(l.base[s] + at, src);
                            ok++;
                        } catch (StorageException e) {
                            if (!driveError(e)) {
                                throw e;
                            }
                            markStale(s);
                        }
                    } else {
                        markStale(s);
                    }
                    writeTarget(t, s, row, at, src, p, n);
                }
                if (ok == 0) {
                    throw new StorageException(ErrorCode.WRITE_FAULT, "RStore " + rsdId + " (RAID1): both copies of"
                            + " mirrored pair " + col + " are lost; write at " + v + " failed");
                }
            } finally {
                lock.unlock();
            }
            v += n;
        }
    }

    /** Marks member {@code slot} stale durably (RSD generation + 1) unless it already is. */
    private void markStale(int slot) {
        synchronized (meta) {
            Layout cur = layout;
            if (cur.rsd.isStale(slot)) {
                return;
            }
            Rsd n = cur.rsd.withStale(cur.rsd.staleMask() | (1 << slot));
            host.persistRsd(n);
            layout = new Layout(n, cur.drv, cur.base);
        }
    }

    private void write5(long offset, ByteBuffer src, int pos0, int len) {
        long end = offset + len;
        int firstRow = (int) (offset / ROW_BYTES);
        int lastRow = (int) ((end - 1) / ROW_BYTES);
        for (int r = firstRow; r <= lastRow; r++) {
            long rowStart = (long) r * ROW_BYTES;
            int a = (int) (Math.max(offset, rowStart) - rowStart);
            int b = (int) (Math.min(end, rowStart + ROW_BYTES) - rowStart);
            int srcAt = pos0 + (int) (rowStart + a - offset);
            ReentrantLock lock = host.rowLock(rsdId, r);
            lock.lock();
            try {
                writeRow5(r, a, b, src, srcAt, pos0 + len);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Writes bytes [a, b) of RAID5 row r from src (src index srcAt holds byte a). Row lock held. */
    private void writeRow5(int r, int a, int b, ByteBuffer src, int srcAt, int srcEnd) {
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
            Layout l = layout;
            MemberMigration t = target;
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
                throw new StorageException(ErrorCode.WRITE_FAULT, "RStore " + rsdId + " (RAID5) row " + r
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
                    markStale(ps);
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
                            for (int c = c0; c <= c1; c++) {
                                int from = Math.max(a, c * UNIT) - c * UNIT;
                                int to = Math.min(b, (c + 1) * UNIT) - c * UNIT;
                                copy(s.img[c], from, src, srcAt + (c * UNIT + from - a), to - from);
                            }
                            copy(par, lo, s.img[0], lo, hi - lo);
                            for (int c = 1; c < COLUMNS; c++) {
                                xor(par, lo, s.img[c], lo, hi - lo);
                            }
                            writeData5(l, t, r, a, b, src, srcAt, false);
                            writeMember(ps, rowAt + lo, par, lo, hi - lo, t, r);
                            return;
                        }
                    }
                    writeData5(l, t, r, a, b, src, srcAt, false);
                    return;
                }
                if (a == 0 && b == ROW_BYTES) {
                    // full-stripe write: parity from the new data, no reads
                    if (src.hasArray()) {
                        parity4(s.parity.array(), src.array(), src.arrayOffset() + srcAt);
                    } else {
                        // bulk copy to long[] (memcpy), vectorisable XOR, bulk copy to a direct buffer
                        src.slice(srcAt, ROW_BYTES).order(ByteOrder.nativeOrder()).asLongBuffer().get(s.rowLongs);
                        parity4(s.parLongs, s.rowLongs);
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
                        xor(par, from, s.old, from, to - from);
                        xor(par, from, src, srcAt + (c * UNIT + from - a), to - from);
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
                    copy(lostImg, lo, par, lo, hi - lo);
                    for (int c = 0; c < COLUMNS; c++) {
                        if (c == lostCol) {
                            continue;
                        }
                        int slot = slotOf(l, c);
                        s.img[c].clear().position(lo).limit(hi);
                        l.drv[slot].read(l.base[slot] + rowAt + lo, s.img[c]);
                        xor(lostImg, lo, s.img[c], lo, hi - lo);
                    }
                    // overlay new data and recompute parity
                    for (int c = c0; c <= c1; c++) {
                        int from = Math.max(a, c * UNIT) - c * UNIT;
                        int to = Math.min(b, (c + 1) * UNIT) - c * UNIT;
                        copy(s.img[c], from, src, srcAt + (c * UNIT + from - a), to - from);
                    }
                    copy(par, lo, s.img[0], lo, hi - lo);
                    for (int c = 1; c < COLUMNS; c++) {
                        xor(par, lo, s.img[c], lo, hi - lo);
                    }
                    markStale(lostSlot);
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
                writeData5(l, t, r, a, b, src, srcAt, false);
                writeMember(ps, rowAt + plo, parOut, plo, phi - plo, t, r);
                return;
            }
            // degraded: a lost data member exists only as P ^ the others, so a crash between
            // the member writes below would corrupt it. Journal the writes first (write hole).
            RowJournal.Slot js = host.journal().claim();
            boolean committed = false;
            try {
                js.begin(rsdId, l.rsd.generation(), r);
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
                stats.journaledWrite();
                writeData5(l, t, r, a, b, src, srcAt, true);
                writeMember(ps, rowAt + plo, parOut, plo, phi - plo, t, r);
                degradedMemberWritten();
            } finally {
                if (committed) {
                    if (host.journal().fsyncs()) {
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
    public boolean replay(JournalDescriptor.Record rec) {
        if (level != RaidLevel.RAID5 || rec.rsdId() != rsdId || freed) {
            return false;
        }
        ReentrantLock lock = host.rowLock(rsdId, rec.row());
        lock.lock();
        try {
            Layout l = layout;
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
                    markStale(m);
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

    private void writeData5(Layout l, MemberMigration t, int r, int a, int b, ByteBuffer src, int srcAt, boolean degraded) {
        long rowAt = (long) r * UNIT;
        int c0 = a / UNIT;
        int c1 = (b - 1) / UNIT;
        for (int c = c0; c <= c1; c++) {
            int from = Math.max(a, c * UNIT) - c * UNIT;
            int to = Math.min(b, (c + 1) * UNIT) - c * UNIT;
            int slot = slotOf(l, c);
            boolean written = usable(l, slot);
            writeMember(slot, rowAt + from, src, srcAt + (c * UNIT + from - a), to - from, t, r);
            if (degraded && written) {
                degradedMemberWritten();
            }
        }
    }

    /** Writes to a member (if usable; otherwise marks it stale) and to its rebuild target. */
    private void writeMember(int slot, long at, ByteBuffer buf, int p, int n, MemberMigration t, int row) {
        Layout l = layout;
        if (usable(l, slot)) {
            try {
                buf.limit(p + n).position(p);
                l.drv[slot].write(l.base[slot] + at, buf);
            } catch (StorageException e) {
                if (!driveError(e)) {
                    throw e;
                }
                markStale(slot);
            }
        } else {
            markStale(slot);
        }
        writeTarget(t, slot, row, at, buf, p, n);
    }

    // --------------------------------------------------------------------------------- rebuild

    /** Progress callback of a rebuild (bytes written to the new member). */
    public interface Progress {
        void rowDone(int bytes);
    }

    /**
     * Re-creates the members in {@code mask} on the given locations (in place when a location
     * equals the current one), online: rows are copied/reconstructed under their row locks and
     * concurrent writes below the watermark also go to the new location. On success the RSD is
     * rewritten (generation + 1, members replaced, stale bits cleared) and the packed addresses
     * of PSEGs no longer used are returned; on failure (sources lost, target failed, freed) null.
     */
    public long[] rebuild(int mask, int[] newDrive, int[] newPseg, Progress progress) {
        Layout l0 = layout;
        int n = l0.drv.length;
        Drive[] td = new Drive[n];
        long[] tb = new long[n];
        for (int m = 0; m < n; m++) {
            if ((mask & (1 << m)) != 0) {
                td[m] = host.drive(newDrive[m]);
                tb[m] = td[m].psegOffset(newPseg[m]);
            }
        }
        MemberMigration t = new MemberMigration(this, mask, td, tb, newDrive.clone(), newPseg.clone());
        target = t;
        try {
            return t.run(progress);
        } finally {
            target = null;
        }
    }


    /**
     * Makes redundancy consistent after an unclean shutdown (a write in flight at the crash may
     * have reached some members only): RAID5 parity is recomputed from the data columns, the
     * odd copy of each RAID1 pair is rewritten from the even copy. Either value of an
     * unacknowledged write is acceptable; what matters is that members agree. Runs row by row
     * under the row locks, online. Returns false if rows had to be skipped (member unusable).
     */
    public boolean resync(Progress progress) {
        if (level == RaidLevel.RAID0) {
            return true;
        }
        boolean complete = true;
        Scratch s = SCRATCH.get();
        for (int r = 0; r < ROWS; r++) {
            ReentrantLock lock = host.rowLock(rsdId, r);
            lock.lock();
            try {
                if (freed) {
                    return true;
                }
                Layout l = layout;
                long rowAt = (long) r * UNIT;
                if (level == RaidLevel.RAID1) {
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
                        zero(par.clear(), 0, UNIT);
                        for (int c = 0; c < COLUMNS; c++) {
                            int slot = slotOf(l, c);
                            s.old.clear();
                            l.drv[slot].read(l.base[slot] + rowAt, s.old);
                            xor(par, 0, s.old, 0, UNIT);
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

    // ----------------------------------------------------------------------------- byte helpers

    /** dst[dp..dp+len) ^= src[sp..sp+len), absolute indices, positions untouched. */
    static void xor(ByteBuffer dst, int dp, ByteBuffer src, int sp, int len) {
        if (dst.hasArray()) {
            byte[] d = dst.array();
            int o = dst.arrayOffset() + dp;
            byte[] a;
            int so;
            if (src.hasArray()) {
                a = src.array();
                so = src.arrayOffset() + sp;
                xorArrays(d, o, a, so, len);
            } else {
                byte[] t = SCRATCH.get().tmp;
                for (int done = 0; done < len; done += t.length) {
                    int n = Math.min(t.length, len - done);
                    src.get(sp + done, t, 0, n);
                    xorArrays(d, o + done, t, 0, n);
                }
            }
            return;
        }
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            dst.putLong(dp + i, dst.getLong(dp + i) ^ src.getLong(sp + i));
        }
        for (; i < len; i++) {
            dst.put(dp + i, (byte) (dst.get(dp + i) ^ src.get(sp + i)));
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /** out[0..UNIT) = XOR of the four units in[off..off + 4 UNIT): one pass, eight bytes at a time. */
    private static void parity4(byte[] out, byte[] in, int off) {
        for (int i = 0; i < UNIT; i += 8) {
            int p = off + i;
            LONGS.set(out, i, (long) LONGS.get(in, p) ^ (long) LONGS.get(in, p + UNIT)
                    ^ (long) LONGS.get(in, p + 2 * UNIT) ^ (long) LONGS.get(in, p + 3 * UNIT));
        }
    }

    /** out = XOR of the four quarters of in (units of UNIT / 8 longs); a loop the JIT vectorises. */
    private static void parity4(long[] out, long[] in) {
        int u = UNIT / 8;
        for (int i = 0; i < u; i++) {
            out[i] = in[i] ^ in[i + u] ^ in[i + 2 * u] ^ in[i + 3 * u];
        }
    }

    private static final VarHandle BB_LONGS = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.nativeOrder());

    /** As {@link #parity4(byte[], byte[], int)} reading a direct (or read-only) buffer in place. */
    private static void parity4(byte[] out, ByteBuffer in, int off) {
        for (int i = 0; i < UNIT; i += 8) {
            int p = off + i;
            LONGS.set(out, i, (long) BB_LONGS.get(in, p) ^ (long) BB_LONGS.get(in, p + UNIT)
                    ^ (long) BB_LONGS.get(in, p + 2 * UNIT) ^ (long) BB_LONGS.get(in, p + 3 * UNIT));
        }
    }

    /** XOR eight bytes at a time (the JIT turns the view into plain 64-bit loads and stores). */
    private static void xorArrays(byte[] d, int dp, byte[] s, int sp, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            LONGS.set(d, dp + i, (long) LONGS.get(d, dp + i) ^ (long) LONGS.get(s, sp + i));
        }
        for (; i < len; i++) {
            d[dp + i] ^= s[sp + i];
        }
    }

    /** dst[dp..dp+len) = src[sp..sp+len), absolute, no allocation, positions untouched. */
    static void copy(ByteBuffer dst, int dp, ByteBuffer src, int sp, int len) {
        dst.put(dp, src, sp, len);
    }

    static void zero(ByteBuffer dst, int p, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            dst.putLong(p + i, 0L);
        }
        for (; i < len; i++) {
            dst.put(p + i, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return layout.rsd.toString();
    }
}
