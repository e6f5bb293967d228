package io.evasan.mapping.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.LunInfo;
import io.evasan.mapping.LunRecordDescriptor.LunRecord;
import io.evasan.mapping.l2map.L2Map;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.rsd.RsdTable;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * One logical disk. Invariants: {@code size} is a multiple of 1 MB and no entry at or beyond it
 * is non-zero once a shrink has completed; {@code held} counts this disk's HOLDER entries
 * (guarded by the mapping's metadata lock); the I/O path reads {@code map} without locks.
 */
final class LogicalDiskImpl implements LogicalDisk {
    private static final int SEG_SHIFT = 20;
    private static final long SEG_MASK = SEGMENT_BYTES - 1;
    private static final byte[] ZEROS = new byte[64 << 10];
    private static final int SHARED = LmapEntry.SP | LmapEntry.SS;

    final MappingImpl m;
    final int id;
    final String name;
    final int group;
    final L2Map map;
    final RsdTable table;
    /** RSD table of the foreign group (non-HOLDER entries resolve there), or null. */
    volatile RsdTable foreign;
    volatile long size;
    volatile LunRecord record;
    volatile int domain;
    volatile boolean deleted;
    volatile long held;
    private volatile long[] runStarts;
    private volatile RaidLevel[] runLevels;

    LogicalDiskImpl(MappingImpl m, LunRecord r, L2Map map, RsdTable table) {
        this(m, r, map, table, null);
    }

    LogicalDiskImpl(MappingImpl m, LunRecord r, L2Map map, RsdTable table, RsdTable foreign) {
        this.m = m;
        this.foreign = foreign;
        this.id = r.id();
        this.name = r.name();
        this.group = r.diskGroupId();
        this.map = map;
        this.table = table;
        this.size = r.sizeBytes();
        this.record = r;
        this.domain = r.lockDomain();
        setRuns(r.runStarts(), r.runLevels());
    }

    void setRuns(long[] starts, RaidLevel[] levels) {
        this.runLevels = levels;
        this.runStarts = starts;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int diskGroupId() {
        return group;
    }

    @Override
    public int foreignGroup() {
        return foreign == null ? -1 : foreign.groupId();
    }

    /** The RSD table entry {@code e} (ALLOCATED) points into. */
    RsdTable tableOf(int e) {
        RsdTable f = foreign;
        return f == null || LmapEntry.holder(e) ? table : f;
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public long heldSegments() {
        return held;
    }

    @Override
    public int lockDomain() {
        return domain;
    }

    @Override
    public RaidLevel raidLevelAt(long segment) {
        long[] s = runStarts;
        RaidLevel[] l = runLevels;
        int lo = 0;
        int hi = s.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (s[mid] <= segment) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return l[lo];
    }

    LunInfo info() {
        LunRecord r = record;
        return new LunInfo(id, name, size, group, r.runs(), r.createdMillis(), r.modifiedMillis(), domain, held);
    }

    void checkLive() {
        if (deleted) {
            throw new StorageException(ErrorCode.NOT_FOUND, "logical disk '" + name + "' was deleted");
        }
    }

    void checkSegment(long segment) {
        checkLive();
        if (segment < 0 || segment >= (size >>> SEG_SHIFT)) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "segment " + segment + " is beyond '" + name + "' ("
                    + (size >>> SEG_SHIFT) + " segments)");
        }
    }

    private void checkIo(long off, long len) {
        checkLive();
        if ((off & (RStore.SECTOR - 1)) != 0 || (len & (RStore.SECTOR - 1)) != 0) {
            throw new StorageException(ErrorCode.UNALIGNED_IO, "offset " + off + " / length " + len
                    + " not a multiple of 512 on '" + name + "'");
        }
        long s = size;
        if (off < 0 || len < 0 || off + len > s) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "bytes [" + off + ", " + (off + len) + ") beyond '"
                    + name + "' of " + s + " bytes (LBA " + (off / RStore.SECTOR) + ")");
        }
    }

    @Override
    public long translate(long off) {
        if (off < 0 || off >= size) {
            throw new StorageException(ErrorCode.OUT_OF_RANGE, "offset " + off + " beyond '" + name + "'");
        }
        long seg = off >>> SEG_SHIFT;
        int[][] l2 = map.regions();
        int r = (int) (seg >>> L2Map.LMAP_SHIFT);
        if (r >= l2.length) {
            return PhysicalAddress.UNMAPPED;
        }
        int[] lm = l2[r];
        if (lm == null) {
            return PhysicalAddress.UNMAPPED;
        }
        int e = lm[(int) seg & L2Map.LMAP_MASK];
        if ((e & LmapEntry.ALLOCATED) == 0) {
            return PhysicalAddress.UNMAPPED;
        }
        return PhysicalAddress.encode(tableOf(e).groupId(), e >>> LmapEntry.SLOT_SHIFT,
                ((long) (e & LmapEntry.RSEG_MASK) << SEG_SHIFT) | (off & SEG_MASK));
    }

    @Override
    public void read(long off, ByteBuffer dst) {
        checkIo(off, dst.remaining());
        while (dst.hasRemaining()) {
            long seg = off >>> SEG_SHIFT;
            int in = (int) (off & SEG_MASK);
            int n = (int) Math.min(dst.remaining(), SEGMENT_BYTES - in);
            int e = map.get(seg);
            if (!LmapEntry.allocated(e)) {
                int left = n;
                while (left > 0) {
                    int k = Math.min(left, ZEROS.length);
                    dst.put(ZEROS, 0, k);
                    left -= k;
                }
            } else {
                RStore rs = tableOf(e).rstore(LmapEntry.slot(e));
                int limit = dst.limit();
                dst.limit(dst.position() + n);
                try {
                    rs.read(((long) LmapEntry.rseg(e) << SEG_SHIFT) + in, dst);
                } finally {
                    dst.limit(limit);
                }
            }
            off += n;
        }
    }

    private void checkNotShared(long off, long len, String op) {
        long first = off >>> SEG_SHIFT;
        long last = (off + len - 1) >>> SEG_SHIFT;
        for (long s = first; s <= last; s++) {
            int e = map.get(s);
            if ((e & SHARED) != 0 || (LmapEntry.allocated(e) && !LmapEntry.holder(e))) {
                throw new StorageException(ErrorCode.INVALID_STATE, op + " of segment " + s + " of '" + name
                        + "' refused: the segment is shared (" + LmapEntry.toString(e) + "); go through the sharing tree");
            }
        }
    }

    @Override
    public void write(long off, ByteBuffer src) {
        checkIo(off, src.remaining());
        if (!src.hasRemaining()) {
            return;
        }
        checkNotShared(off, src.remaining(), "write");
        while (src.hasRemaining()) {
            long seg = off >>> SEG_SHIFT;
            int in = (int) (off & SEG_MASK);
            int n = (int) Math.min(src.remaining(), SEGMENT_BYTES - in);
            int e = map.get(seg);
            if (!LmapEntry.allocated(e)) {
                e = allocate(seg);
            }
            if ((e & SHARED) != 0 || !LmapEntry.holder(e)) {
                throw new StorageException(ErrorCode.INVALID_STATE, "write of segment " + seg + " of '" + name
                        + "' refused: the segment became shared");
            }
            RStore rs = table.rstore(LmapEntry.slot(e));
            int limit = src.limit();
            src.limit(src.position() + n);
            try {
                rs.write(((long) LmapEntry.rseg(e) << SEG_SHIFT) + in, src);
            } finally {
                src.limit(limit);
            }
            off += n;
        }
    }

    /** Thin allocation on first write: reserve + link under the segment lock; returns the entry. */
    private int allocate(long seg) {
        Lock l = segmentLock(seg);
        l.lock();
        try {
            int e = map.get(seg);
            if (LmapEntry.allocated(e)) {
                return e;
            }
            if ((e & SHARED) != 0) {
                throw new StorageException(ErrorCode.INVALID_STATE, "segment " + seg + " of '" + name + "' is shared");
            }
            long addr = m.allocator.reserve(this, seg);
            boolean linked = false;
            try {
                linked = m.lmap.link(this, seg, e, addr, LmapEntry.userBits(e));
            } finally {
                if (!linked) {
                    m.releaseRseg(addr);
                }
            }
            return map.get(seg);
        } finally {
            l.unlock();
        }
    }

    @Override
    public void unmap(long off, long len) {
        checkIo(off, len);
        if (len == 0) {
            return;
        }
        checkNotShared(off, len, "unmap");
        long end = off + len;
        while (off < end) {
            long seg = off >>> SEG_SHIFT;
            int in = (int) (off & SEG_MASK);
            int n = (int) Math.min(end - off, SEGMENT_BYTES - in);
            Lock l = segmentLock(seg);
            l.lock();
            try {
                int e = map.get(seg);
                if (LmapEntry.allocated(e)) {
                    if (n == SEGMENT_BYTES) {
                        m.lmap.unlink(this, seg, e, 0);
                    } else {
                        RStore rs = table.rstore(LmapEntry.slot(e));
                        long base = ((long) LmapEntry.rseg(e) << SEG_SHIFT) + in;
                        for (int done = 0; done < n; ) {
                            int k = Math.min(n - done, ZEROS.length);
                            rs.write(base + done, ByteBuffer.wrap(ZEROS, 0, k));
                            done += k;
                        }
                    }
                } else if (e != 0) {
                    m.lmap.cas(this, seg, e, 0);
                }
            } finally {
                l.unlock();
            }
            off += n;
        }
    }

    @Override
    public void flush() {
        checkLive();
        // data before the maps that point at it: after a power cut a forced map never points at
        // an RSEG whose contents were still only in the page cache
        table.diskGroup().flush();
        m.forceMetadata();
    }

    @Override
    public int entry(long segment) {
        checkSegment(segment);
        return map.get(segment);
    }

    @Override
    public long nextEntry(long fromSegment) {
        checkLive();
        long s = map.nextNonZero(Math.max(0, fromSegment));
        return s < (size >>> SEG_SHIFT) ? s : -1;
    }

    @Override
    public boolean compareAndSetEntry(long segment, int expect, int update) {
        checkSegment(segment);
        return m.lmap.cas(this, segment, expect, update);
    }

    @Override
    public long reserveRseg(long segment) {
        checkSegment(segment);
        return m.allocator.reserve(this, segment);
    }

    @Override
    public long[] reserveRsegs(long segment, int count) {
        checkSegment(segment);
        if (count < 1 || count > 8) {
            throw new IllegalArgumentException("count " + count + " is not 1..8");
        }
        return m.allocator.reserveRStore(this, segment, count);
    }

    @Override
    public boolean linkRseg(long segment, int expect, long rsegAddress, int userBits) {
        checkSegment(segment);
        return m.lmap.link(this, segment, expect, rsegAddress, userBits);
    }

    @Override
    public boolean unlinkRseg(long segment, int expect, int update) {
        checkSegment(segment);
        return m.lmap.unlink(this, segment, expect, update);
    }

    @Override
    public Lock segmentLock(long segment) {
        return m.locks.lock(domain, segment);
    }

    /** Accounted bytes: L2MAP + LMAPs + an estimate of this object, its name and RAID runs. */
    long memoryBytes() {
        long obj = 96 + 40 + 2L * name.length() + 2 * 16 + 9L * runStarts.length;
        return obj + map.memoryBytes();
    }

    @Override
    public String toString() {
        return "LogicalDisk[" + id + " '" + name + "' " + size + " B, group " + group + ", held " + held + "]";
    }
}
