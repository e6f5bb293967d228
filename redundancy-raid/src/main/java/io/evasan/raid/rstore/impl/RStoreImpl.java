package io.evasan.raid.rstore.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.RaidStats;
import io.evasan.raid.bitmap.impl.WriteIntentBitmap;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.journal.JournalDescriptor;
import io.evasan.raid.journal.impl.RowJournal;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

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
 *
 * <p>Parts: this class keeps the layout, the RAID0/RAID1 I/O and the per-level dispatch; {@link Raid5Io}
 * does the RAID5 reads and row writes with their journal and its replay, {@link Resync} the resync after
 * an unclean stop, {@link MemberMigration} the replacement of members (rebuild, drive removal) and
 * {@link ParityMath} the XOR arithmetic.
 */
public final class RStoreImpl implements RStore {
    /** Stripe unit: 64 KiB. */
    public static final int UNIT = 64 * 1024;
    /** Rows per PSEG. */
    public static final int ROWS = DriveLabelDescriptor.PSEG_BYTES / UNIT;
    static final int COLUMNS = 4;
    static final int ROW_BYTES = UNIT * COLUMNS;

    /** What an RStore needs from its disk group. */
    public interface Host {
        Drive drive(int index);

        /** Writes the RSD's entry on every available member drive; WRITE_FAULT if none took it. */
        void persistRsd(Rsd rsd);

        ReentrantLock rowLock(long rsdId, int row);

        RaidStats stats();

        /** The disk group's journal of degraded RAID5 row writes. */
        RowJournal journal();

        /** The disk group's write-intent bitmap: a RAID1/RAID5 write is announced to it first. */
        WriteIntentBitmap intent();
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
    final RaidStats stats;
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

    @Override
    public void force() {
        java.util.Set<Drive> forced = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        StorageException last = null;
        MemberMigration m = target;
        for (Drive[] drives : m == null ? new Drive[][]{layout.drv} : new Drive[][]{layout.drv, m.drv}) {
            for (Drive d : drives) {
                if (d != null && d.isAvailable() && forced.add(d)) {
                    try {
                        d.force();
                    } catch (StorageException e) {
                        last = e;
                    }
                }
            }
        }
        if (level == RaidLevel.RAID5) {
            try {
                host.journal().force();
            } catch (StorageException e) {
                last = e;
            }
        }
        if (last != null) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "force of RStore " + rsdId + " failed: " + last.getMessage(), last);
        }
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

    @Override
    public java.util.List<long[]> lostRanges() {
        Layout l = layout;
        return LostData.ranges(LostData.lostColumns(l.rsd, m -> usable(l, m)));
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
    static boolean tryRead(Layout l, int m, long at, ByteBuffer dst, int p) {
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

    StorageException unrecoverable(long v, int n, String why) {
        stats.unrecoverableRead();
        return new StorageException(ErrorCode.UNRECOVERABLE_READ, "RStore " + rsdId + " (" + level + ") bytes "
                + v + ".." + (v + n) + " unrecoverable: " + why);
    }

    static int slotOf(Layout l, int col) {
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
                    case RAID5 -> Raid5Io.read(this, col, row, in, dst, v, n, p);
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

    // ----------------------------------------------------------------------------------- write

    @Override
    public void write(long offset, ByteBuffer src) {
        int len = src.remaining();
        check(offset, len);
        live();
        stats.write(level, len);
        int lim = src.limit();
        int pos0 = src.position();
        if (level == RaidLevel.RAID0) {
            try {
                write0(offset, src, pos0, len);
            } finally {
                src.limit(lim);
            }
        } else {
            // the bit is durable before any member is touched: a crash from here on resyncs this RStore
            WriteIntentBitmap intent = host.intent();
            intent.begin(rsdId);
            try {
                if (level == RaidLevel.RAID1) {
                    write1(offset, src, pos0, len);
                } else {
                    Raid5Io.write(this, offset, src, pos0, len);
                }
            } finally {
                intent.end(rsdId);
                src.limit(lim);
            }
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
                boolean done = false;
                if (t == null) {
                    l = layout;
                    src.limit(p + n).position(p);
                    l.drv[col].write(l.base[col] + at, src);
                    done = target == null && layout == l;
                }
                if (!done) {
                    // under the row lock, also when a migration began or committed while the unlocked write above
                    // was in flight: its copy of this row may have missed that write, so write it again, mirrored
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

    void writeTarget(MemberMigration t, int slot, int row, long at, ByteBuffer src, int p, int n) {
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
    void markStale(int slot) {
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

    /**
     * Replays a RAID5 journal record at open (before resync and before any I/O); see
     * {@link Raid5Io#replay}. Returns whether the record was replayed.
     */
    public boolean replay(JournalDescriptor.Record rec) {
        return Raid5Io.replay(this, rec);
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
        synchronized (meta) {
            MemberMigration running = target;
            if (running != null) {
                running.fail(); // a leveling move gives way to redundancy repair; it abandons cleanly
            }
            target = t;
        }
        try {
            return t.run(progress);
        } finally {
            endMigration(t);
        }
    }

    /**
     * Starts a step-wise migration of the members in {@code mask} to the given drives and PSEGs (leveling):
     * from now on writes to copied rows are mirrored to the targets. The caller copies with
     * {@link MemberMigration#copyRow}, commits with {@link MemberMigration#commit(long)} and always calls
     * {@link #endMigration}. Null if another migration (a rebuild or another move) runs on this RStore.
     */
    public MemberMigration beginMigration(int mask, int[] newDrive, int[] newPseg) {
        Drive[] td = new Drive[newDrive.length];
        long[] tb = new long[newDrive.length];
        for (int m = 0; m < newDrive.length; m++) {
            if ((mask & (1 << m)) != 0) {
                td[m] = host.drive(newDrive[m]);
                tb[m] = td[m].psegOffset(newPseg[m]);
            }
        }
        MemberMigration t = new MemberMigration(this, mask, td, tb, newDrive.clone(), newPseg.clone());
        synchronized (meta) {
            if (target != null || freed) {
                return null;
            }
            target = t;
        }
        return t;
    }

    /** Stops mirroring writes to {@code t}'s targets if it is still this RStore's migration. */
    public void endMigration(MemberMigration t) {
        synchronized (meta) {
            if (target == t) {
                target = null;
            }
        }
    }


    /**
     * Makes redundancy consistent after an unclean shutdown ({@link Resync}): returns false if rows had to be
     * skipped (member unusable).
     */
    public boolean resync(Progress progress) {
        return Resync.run(this, progress);
    }

    @Override
    public String toString() {
        return layout.rsd.toString();
    }
}
