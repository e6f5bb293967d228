package io.evasan.sharing.spi.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.sharebits.ShareEntry;
import io.evasan.sharing.spi.SegmentMaps;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory {@link SegmentMaps} for tests and the model: entries in {@code long[]} per disk,
 * RSEGs as byte arrays, a fixed capacity in segments. Checks the holder invariant on every
 * ownership change (an RSEG held twice or freed while held throws {@link IllegalStateException}).
 *
 * <p>Invariant: {@code used + free + reserved == capacity} counted in RSEGs; RSEG contents are
 * zero when handed out by {@link #allocate}.
 */
public final class MemorySegmentMaps implements SegmentMaps {
    private final int segmentBytes;
    private final long capacity;
    private final ConcurrentHashMap<Long, long[]> disks = new ConcurrentHashMap<>();
    private final Object allocLock = new Object();
    private final ArrayList<byte[]> rsegs = new ArrayList<>();
    /** Owner of each RSEG: 0 = free, -1 = allocated not linked, else (disk << 32 | segment) + 1. */
    private long[] owner = new long[1024];
    private int slots = 1;
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private long inUse;
    private long reserved;
    private long nextDisk = 1;
    private byte[] catalog;

    public MemorySegmentMaps(int segmentBytes, long capacitySegments) {
        if (segmentBytes < 512 || segmentBytes % 512 != 0) {
            throw new IllegalArgumentException("segmentBytes " + segmentBytes);
        }
        this.segmentBytes = segmentBytes;
        this.capacity = capacitySegments;
        rsegs.add(null);
    }

    @Override
    public int segmentBytes() {
        return segmentBytes;
    }

    @Override
    public long createDisk(int segments) {
        synchronized (allocLock) {
            long id = nextDisk++;
            disks.put(id, new long[segments]);
            return id;
        }
    }

    @Override
    public long createPredecessor(long successor, boolean exactSp) {
        long[] s = map(successor);
        long[] p = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            long e = s[i];
            long ptr = ShareEntry.pointer(e);
            if (ptr != 0) {
                p[i] = ShareEntry.encode(ptr, false, ShareEntry.sp(e), true);
                s[i] = e | ShareEntry.SP;
            }
        }
        synchronized (allocLock) {
            long id = nextDisk++;
            disks.put(id, p);
            return id;
        }
    }

    @Override
    public void grow(long disk, int segments) {
        long[] m = map(disk);
        if (segments < m.length) {
            throw new IllegalArgumentException("grow to fewer segments");
        }
        disks.put(disk, Arrays.copyOf(m, segments));
    }

    @Override
    public void deleteDisk(long disk) {
        long[] m = disks.remove(disk);
        if (m == null) {
            throw new IllegalArgumentException("no disk " + disk);
        }
        synchronized (allocLock) {
            for (int i = 0; i < m.length; i++) {
                if (ShareEntry.holder(m[i])) {
                    freeSlot(ShareEntry.pointer(m[i]), owner(disk, i));
                }
            }
        }
    }

    @Override
    public long[] disks() {
        return disks.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }

    @Override
    public int segments(long disk) {
        return map(disk).length;
    }

    @Override
    public long entry(long disk, int segment) {
        return map(disk)[segment];
    }

    @Override
    public void setEntry(long disk, int segment, long expect, long update) {
        long[] m = map(disk);
        check(m, segment, expect);
        if (ShareEntry.holder(expect) != ShareEntry.holder(update)
                || (ShareEntry.holder(expect) && ShareEntry.pointer(expect) != ShareEntry.pointer(update))) {
            throw new IllegalStateException("setEntry may not change ownership: " + ShareEntry.toString(expect)
                    + " -> " + ShareEntry.toString(update));
        }
        m[segment] = update;
    }

    @Override
    public long allocate(long disk, int segment, boolean fromReservation) {
        synchronized (allocLock) {
            if (fromReservation) {
                if (reserved <= 0) {
                    throw new IllegalStateException("allocation from an empty reservation");
                }
                reserved--;
            } else if (inUse + reserved >= capacity) {
                throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED,
                        "no free segment (capacity " + capacity + " segments)");
            }
            inUse++;
            int slot;
            if (!freeSlots.isEmpty()) {
                slot = freeSlots.pop();
                byte[] b = rsegs.get(slot);
                if (b != null) {
                    Arrays.fill(b, (byte) 0);
                }
            } else {
                slot = slots++;
                rsegs.add(null);                  // data array created on first access: reads zeros
                if (slot == owner.length) {
                    owner = Arrays.copyOf(owner, slot * 2);
                }
            }
            owner[slot] = -1L;
            return slot;
        }
    }

    @Override
    public void release(long rseg) {
        synchronized (allocLock) {
            freeSlot(rseg, -1L);
        }
    }

    @Override
    public void link(long disk, int segment, long expect, long rseg, boolean sp, boolean ss) {
        long[] m = map(disk);
        check(m, segment, expect);
        if (ShareEntry.holder(expect)) {
            throw new IllegalStateException("link over a holder entry " + ShareEntry.toString(expect));
        }
        synchronized (allocLock) {
            if (owner[(int) rseg] != -1L) {
                throw new IllegalStateException("link of RSEG " + rseg + " not freshly allocated");
            }
            owner[(int) rseg] = owner(disk, segment);
        }
        m[segment] = ShareEntry.encode(rseg, true, sp, ss);
    }

    @Override
    public void unlink(long disk, int segment, long expect, long update) {
        long[] m = map(disk);
        check(m, segment, expect);
        if (!ShareEntry.holder(expect) || ShareEntry.holder(update)) {
            throw new IllegalStateException("unlink needs holder -> non-holder");
        }
        synchronized (allocLock) {
            freeSlot(ShareEntry.pointer(expect), owner(disk, segment));
        }
        m[segment] = update;
    }

    @Override
    public void transferHolder(long from, int segment, long fromExpect, long fromUpdate,
                               long to, long toExpect, long toUpdate) {
        long[] f = map(from);
        long[] t = map(to);
        check(f, segment, fromExpect);
        check(t, segment, toExpect);
        long ptr = ShareEntry.pointer(fromExpect);
        if (!ShareEntry.holder(fromExpect) || ShareEntry.holder(fromUpdate) || ShareEntry.holder(toExpect)
                || !ShareEntry.holder(toUpdate) || ShareEntry.pointer(toUpdate) != ptr) {
            throw new IllegalStateException("bad transfer " + ShareEntry.toString(fromExpect) + " -> "
                    + ShareEntry.toString(toUpdate));
        }
        synchronized (allocLock) {
            if (owner[(int) ptr] != owner(from, segment)) {
                throw new IllegalStateException("transfer of RSEG " + ptr + " not held by the source");
            }
            owner[(int) ptr] = owner(to, segment);
        }
        f[segment] = fromUpdate;
        t[segment] = toUpdate;
    }

    @Override
    public void copy(long srcRseg, long dstRseg) {
        System.arraycopy(data(srcRseg), 0, data(dstRseg), 0, segmentBytes);
    }

    /** Memory has no members to lose: every RSEG stays readable. */
    @Override
    public java.util.List<long[]> lostRanges(long rseg) {
        data(rseg);
        return java.util.List.of();
    }

    /** Memory keeps no RSDs. */
    @Override
    public long rstoreId(long rseg) {
        data(rseg);
        return -1;
    }

    @Override
    public void read(long rseg, int offset, byte[] dst, int dstOffset, int length) {
        System.arraycopy(data(rseg), offset, dst, dstOffset, length);
    }

    @Override
    public void read(long rseg, int offset, java.nio.ByteBuffer dst) {
        dst.put(data(rseg), offset, dst.remaining());
    }

    @Override
    public void write(long rseg, int offset, byte[] src, int srcOffset, int length) {
        System.arraycopy(src, srcOffset, data(rseg), offset, length);
    }

    @Override
    public void write(long rseg, int offset, java.nio.ByteBuffer src) {
        src.get(data(rseg), offset, src.remaining());
    }

    @Override
    public boolean reserveCapacity(long segments) {
        synchronized (allocLock) {
            if (inUse + reserved + segments > capacity) {
                return false;
            }
            reserved += segments;
            return true;
        }
    }

    @Override
    public void releaseCapacity(long segments) {
        synchronized (allocLock) {
            if (segments > reserved) {
                throw new IllegalStateException("release " + segments + " > reserved " + reserved);
            }
            reserved -= segments;
        }
    }

    @Override
    public long freeSegments() {
        synchronized (allocLock) {
            return capacity - inUse - reserved;
        }
    }

    /** RSEGs allocated (linked or not). */
    public long usedSegments() {
        synchronized (allocLock) {
            return inUse;
        }
    }

    public long reservedSegments() {
        synchronized (allocLock) {
            return reserved;
        }
    }

    @Override
    public byte[] loadCatalog() {
        synchronized (allocLock) {
            return catalog == null ? null : catalog.clone();
        }
    }

    @Override
    public void storeCatalog(byte[] c) {
        synchronized (allocLock) {
            catalog = c.clone();
        }
    }

    @Override
    public void close() {
    }

    private long[] map(long disk) {
        long[] m = disks.get(disk);
        if (m == null) {
            throw new IllegalArgumentException("no disk " + disk);
        }
        return m;
    }

    private byte[] data(long rseg) {
        byte[] b;
        synchronized (allocLock) {
            if (rseg <= 0 || rseg >= slots || owner[(int) rseg] == 0L) {
                throw new IllegalStateException("RSEG " + rseg + " is not allocated");
            }
            b = rsegs.get((int) rseg);
            if (b == null) {
                b = new byte[segmentBytes];
                rsegs.set((int) rseg, b);
            }
        }
        return b;
    }

    private static long owner(long disk, int segment) {
        return ((disk << 32) | segment) + 1;
    }

    private void freeSlot(long ptr, long expectedOwner) {
        int slot = (int) ptr;
        for (java.util.Map.Entry<Long, long[]> en : disks.entrySet()) {
            long[] m = en.getValue();
            for (int i = 0; i < m.length; i++) {
                if (!ShareEntry.holder(m[i]) && ShareEntry.pointer(m[i]) == ptr) {
                    throw new IllegalStateException("RSEG " + ptr + " freed while disk " + en.getKey() + " segment " + i
                            + " still names it: " + ShareEntry.toString(m[i]));
                }
            }
        }
        if (owner[slot] != expectedOwner) {
            throw new IllegalStateException("free of RSEG " + ptr + " owned by " + owner[slot]
                    + ", expected " + expectedOwner);
        }
        owner[slot] = 0L;
        freeSlots.push(slot);
        inUse--;
    }

    private static void check(long[] m, int segment, long expect) {
        if (m[segment] != expect) {
            throw new IllegalStateException("entry of segment " + segment + " is " + ShareEntry.toString(m[segment])
                    + ", expected " + ShareEntry.toString(expect));
        }
    }
}
