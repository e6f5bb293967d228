package io.evasan.sharing.spi.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.LunInfo;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mld.MldBatch;
import io.evasan.raid.Pool;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.sharebits.ShareEntry;
import io.evasan.sharing.spi.SegmentMaps;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link SegmentMaps} over the real mapping layer (L2MAP -> LMAP -> RSD on a redundancy-raid pool).
 * Disks it creates are mapping logical disks named {@code <prefix><hex>}; only those are reported
 * by {@link #disks()} (other LUNs of the mapping are never touched). The catalog is an MLD record
 * (kind {@code sharing.tree}).
 *
 * <p>Entry translation (ShareEntry long &lt;-&gt; {@link LmapEntry} int): the pointer token is
 * {@code ((group << 27) | (slot << 3) | rseg) + 1}; HOLDER, Sp and Ss map one to one. An entry
 * without a pointer carries no bits in the mapping (the sharing tree never gives readers to a
 * disk that holds zeros, so such bits are only hints; they read back as clear).
 *
 * <p>Disk groups: a disk allocates only in its mapping logical disk's disk group (persisted in
 * the mapping's LUN record; snapshot disks inherit their source's). {@link #createDisk(int, RaidLevel, int)}
 * accepts any group the pool has, also one created after the mapping opened. The constructor's
 * group is the default for disks created without one. A predecessor created in another group
 * ({@link #createPredecessor(long, boolean, int)}) is a mapping disk with a foreign group: its
 * non-holder entries translate with the successor's group, its holder entries with its own.
 *
 * <p>Capacity reservations are RSEGs reserved from the mapping up front and kept here, per disk
 * group, until used; they are not persisted (the mapping frees unlinked RSEGs when it reopens) and
 * the sharing tree re-reserves on open.
 */
public final class MappingSegmentMaps implements SegmentMaps {
    public static final String CATALOG_KIND = "sharing.tree";
    public static final String CATALOG_KEY = "catalog";
    private static final int SEG = (int) Mapping.SEGMENT_BYTES;

    private final Mapping mapping;
    private final Pool pool;
    private final String prefix;
    private final RaidLevel level;
    private final int group;
    private final ConcurrentHashMap<Long, LogicalDisk> byId = new ConcurrentHashMap<>();
    /** Reserved RSEG tokens by disk group (each deque guarded by itself). */
    private final ConcurrentHashMap<Integer, ArrayDeque<Long>> reserved = new ConcurrentHashMap<>();

    /**
     * @param pool   used only to estimate free space (may be null: unlimited estimate)
     * @param prefix name prefix of the logical disks this adapter creates and owns
     */
    public MappingSegmentMaps(Mapping mapping, Pool pool, int diskGroup, RaidLevel level, String prefix) {
        this.mapping = mapping;
        this.pool = pool;
        this.group = diskGroup;
        this.level = level;
        this.prefix = prefix;
        for (LunInfo i : mapping.list()) {
            if (i.name().startsWith(prefix)) {
                byId.put((long) i.id(), mapping.disk(i.id()));
            }
        }
    }

    public Mapping mapping() {
        return mapping;
    }

    /** Mapping's logical disk behind a sharing-tree disk id. */
    public LogicalDisk logicalDisk(long id) {
        return disk(id);
    }

    private LogicalDisk disk(long id) {
        LogicalDisk d = byId.get(id);
        if (d == null) {
            throw new IllegalArgumentException("no disk " + id + " owned by this adapter");
        }
        return d;
    }

    private String newName() {
        return prefix + Long.toHexString(System.currentTimeMillis()) + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt() & 0x7fffffff);
    }

    // ---- translation -----------------------------------------------------------------------

    static long token(int group, int slot, int rseg) {
        return (((long) group << 27) | ((long) slot << 3) | rseg) + 1;
    }

    static long address(long token) {
        long t = token - 1;
        return PhysicalAddress.rseg((int) (t >>> 27), (int) ((t >>> 3) & 0xFFFFFF), (int) (t & 7));
    }

    static long token(long address) {
        return token(PhysicalAddress.group(address), PhysicalAddress.slot(address), PhysicalAddress.rsegIndex(address));
    }

    private long toLong(LogicalDisk d, int e) {
        if (!LmapEntry.allocated(e)) {
            return 0;
        }
        return ShareEntry.encode(token(groupOf(d, LmapEntry.holder(e)), LmapEntry.slot(e), LmapEntry.rseg(e)),
                LmapEntry.holder(e), LmapEntry.sp(e), LmapEntry.ss(e));
    }

    /** Group a (holder or non-holder) entry of {@code d} points into. */
    private static int groupOf(LogicalDisk d, boolean holder) {
        int f = d.foreignGroup();
        return holder || f < 0 ? d.diskGroupId() : f;
    }

    /** {@link #toInt(long)} for an entry of {@code d}: its pointer must lie in the group the entry resolves in. */
    private static int toInt(LogicalDisk d, long e) {
        long ptr = ShareEntry.pointer(e);
        if (ptr != 0 && (int) ((ptr - 1) >>> 27) != groupOf(d, ShareEntry.holder(e))) {
            throw new IllegalStateException("entry " + ShareEntry.toString(e) + " of disk " + d.id()
                    + " points outside disk group " + groupOf(d, ShareEntry.holder(e)));
        }
        return toInt(e);
    }

    private static int toInt(long e) {
        long ptr = ShareEntry.pointer(e);
        if (ptr == 0) {
            return 0;
        }
        long t = ptr - 1;
        int bits = (ShareEntry.sp(e) ? LmapEntry.SP : 0) | (ShareEntry.ss(e) ? LmapEntry.SS : 0);
        return LmapEntry.encode((int) ((t >>> 3) & 0xFFFFFF), (int) (t & 7), ShareEntry.holder(e), bits);
    }

    // ---- SPI ---------------------------------------------------------------------------------

    @Override
    public int segmentBytes() {
        return SEG;
    }

    @Override
    public long createDisk(int segments) {
        return createDisk(segments, level);
    }

    @Override
    public long createDisk(int segments, RaidLevel raidLevel) {
        LogicalDisk d = mapping.create(newName(), (long) segments * SEG, raidLevel == null ? level : raidLevel, group);
        byId.put((long) d.id(), d);
        return d.id();
    }

    @Override
    public long createDisk(int segments, RaidLevel raidLevel, int diskGroup) {
        LogicalDisk d = mapping.create(newName(), (long) segments * SEG, raidLevel == null ? level : raidLevel,
                diskGroup < 0 ? group : diskGroup);
        byId.put((long) d.id(), d);
        return d.id();
    }

    @Override
    public int diskGroup(long disk) {
        return disk(disk).diskGroupId();
    }

    @Override
    public RaidLevel raidLevel(long disk) {
        return disk(disk).raidLevelAt(0);
    }

    private ArrayDeque<Long> reservedIn(int diskGroup) {
        return reserved.computeIfAbsent(diskGroup, g -> new ArrayDeque<>());
    }

    @Override
    public void flush(long disk) {
        disk(disk).flush();
    }

    @Override
    public long createPredecessor(long successor, boolean exactSp) {
        return createPredecessor(successor, exactSp, -1);
    }

    @Override
    public void settleGroup(long disk) {
        mapping.clearForeignGroup(disk(disk).name());
    }

    /**
     * The new disk's Sp is always the successor's old Sp (seed 004 [0090]-[0092], Figs. 10-15: the
     * oldest disk's Sp is clear, a snapshot taken after a Fig. 11 write has Sp clear where its
     * predecessor holds): one atomic mapping step that ORs Sp into the successor, sets Ss in the copy and
     * keeps the successor's old Sp in it. {@code exactSp} is ignored (always exact).
     */
    @Override
    public long createPredecessor(long successor, boolean exactSp, int diskGroup) {
        LogicalDisk s = disk(successor);
        LogicalDisk p = mapping.createSnapshotDisk(s.name(), newName(), LmapEntry.SP, LmapEntry.SS, LmapEntry.SP, diskGroup);
        byId.put((long) p.id(), p);
        return p.id();
    }

    @Override
    public void grow(long disk, int segments) {
        LogicalDisk d = disk(disk);
        mapping.resize(d.name(), (long) segments * SEG, false);
    }

    @Override
    public void deleteDisk(long disk) {
        LogicalDisk d = disk(disk);
        mapping.delete(d.name());
        byId.remove(disk);
    }

    @Override
    public long[] disks() {
        return byId.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }

    @Override
    public int segments(long disk) {
        return (int) disk(disk).segments();
    }

    @Override
    public long entry(long disk, int segment) {
        LogicalDisk d = disk(disk);
        return toLong(d, d.entry(segment));
    }

    @Override
    public int nextEntry(long disk, int from) {
        return (int) disk(disk).nextEntry(from);
    }

    @Override
    public void setEntry(long disk, int segment, long expect, long update) {
        LogicalDisk d = disk(disk);
        if (!d.compareAndSetEntry(segment, toInt(d, expect), toInt(d, update))) {
            throw new IllegalStateException("entry " + segment + " of disk " + disk + " is not " + ShareEntry.toString(expect));
        }
    }

    @Override
    public long allocate(long disk, int segment, boolean fromReservation) {
        if (fromReservation) {
            Long t;
            ArrayDeque<Long> q = reservedIn(disk(disk).diskGroupId());
            synchronized (q) {
                t = q.poll();
            }
            if (t == null) {
                throw new IllegalStateException("allocation from an empty reservation");
            }
            // the reserved RSEG itself: reservations are packed eight to an RStore (consecutive
            // reservations drain one RStore), and taking a fresh RSEG instead would start a new
            // RStore while the reserved one stays pinned by its seven siblings
            return t;
        }
        return token(disk(disk).reserveRseg(segment));
    }

    @Override
    public void release(long rseg) {
        mapping.releaseRseg(address(rseg));
    }

    @Override
    public void link(long disk, int segment, long expect, long rseg, boolean sp, boolean ss) {
        int bits = (sp ? LmapEntry.SP : 0) | (ss ? LmapEntry.SS : 0);
        LogicalDisk d = disk(disk);
        if (!d.linkRseg(segment, toInt(d, expect), address(rseg), bits)) {
            throw new IllegalStateException("link lost a race on segment " + segment + " of disk " + disk);
        }
    }

    @Override
    public void unlink(long disk, int segment, long expect, long update) {
        LogicalDisk d = disk(disk);
        if (!d.unlinkRseg(segment, toInt(d, expect), toInt(d, update))) {
            throw new IllegalStateException("unlink lost a race on segment " + segment + " of disk " + disk);
        }
    }

    @Override
    public void transferHolder(long from, int segment, long fromExpect, long fromUpdate,
                               long to, long toExpect, long toUpdate) {
        LogicalDisk f = disk(from);
        LogicalDisk t = disk(to);
        if (!mapping.transferHolder(f, segment, toInt(f, fromExpect), toInt(f, fromUpdate),
                t, segment, toInt(t, toExpect), toInt(t, toUpdate))) {
            throw new IllegalStateException("transfer lost a race on segment " + segment);
        }
    }

    @Override
    public void copy(long srcRseg, long dstRseg) {
        mapping.copyRseg(address(srcRseg), address(dstRseg));
    }

    @Override
    public void force(long rseg) {
        mapping.forceRseg(address(rseg));
    }

    @Override
    public void force(long[] rsegs, int count) {
        // one force per disk group (the mapping's force of an RSEG is its group's)
        for (int i = 0; i < count; i++) {
            int g = (int) ((rsegs[i] - 1) >>> 27);
            boolean seen = false;
            for (int j = 0; j < i && !seen; j++) {
                seen = (int) ((rsegs[j] - 1) >>> 27) == g;
            }
            if (!seen) {
                mapping.forceRseg(address(rsegs[i]));
            }
        }
    }

    @Override
    public void forceMaps() {
        mapping.forceMaps();
    }

    @Override
    public void read(long rseg, int offset, byte[] dst, int dstOffset, int length) {
        mapping.readRseg(address(rseg), offset, ByteBuffer.wrap(dst, dstOffset, length));
    }

    @Override
    public java.util.List<long[]> lostRanges(long rseg) {
        long addr = address(rseg);
        long from = PhysicalAddress.offset(addr);
        long to = from + SEG;
        java.util.List<long[]> out = new java.util.ArrayList<>();
        for (long[] r : mapping.rstore(addr).lostRanges()) {
            long a = Math.max(r[0], from);
            long b = Math.min(r[1], to);
            if (a < b) {
                out.add(new long[]{a - from, b - from});
            }
        }
        return out;
    }

    @Override
    public long rstoreId(long rseg) {
        return mapping.rstore(address(rseg)).rsdId();
    }

    @Override
    public void read(long rseg, int offset, ByteBuffer dst) {
        mapping.readRseg(address(rseg), offset, dst);
    }

    @Override
    public void write(long rseg, int offset, byte[] src, int srcOffset, int length) {
        mapping.writeRseg(address(rseg), offset, ByteBuffer.wrap(src, srcOffset, length));
    }

    @Override
    public void write(long rseg, int offset, ByteBuffer src) {
        int end = src.limit();
        mapping.writeRseg(address(rseg), offset, src);   // direct buffers reach the drives' FileChannels as they are
        src.position(end);
    }

    @Override
    public boolean reserveCapacity(long segments) {
        if (byId.isEmpty()) {
            return segments == 0;
        }
        for (LogicalDisk d : byId.values()) {
            if (d.diskGroupId() == group) {
                return reserveCapacity(d.id(), segments);
            }
        }
        return segments == 0;
    }

    @Override
    public boolean reserveCapacity(long disk, long segments) {
        LogicalDisk any = disk(disk);
        int n = (int) any.segments();
        List<Long> got = new ArrayList<>();
        try {
            // eight RSEGs per new RStore: reserving one at a time would start an RStore for each
            for (long i = 0; i < segments; i += 8) {
                for (long a : any.reserveRsegs(i % n, (int) Math.min(8, segments - i))) {
                    got.add(token(a));
                }
            }
        } catch (StorageException ex) {
            if (ex.code() != ErrorCode.SPACE_ALLOCATION_FAILED) {
                throw ex;
            }
            for (long t : got) {
                release(t);
            }
            return false;
        }
        ArrayDeque<Long> q = reservedIn(any.diskGroupId());
        synchronized (q) {
            q.addAll(got);
        }
        return true;
    }

    @Override
    public void releaseCapacity(long segments) {
        releaseIn(group, segments);
    }

    @Override
    public void releaseCapacity(long disk, long segments) {
        releaseIn(disk(disk).diskGroupId(), segments);
    }

    private void releaseIn(int diskGroup, long segments) {
        ArrayDeque<Long> q = reservedIn(diskGroup);
        for (long i = 0; i < segments; i++) {
            Long t;
            synchronized (q) {
                t = q.poll();
            }
            if (t == null) {
                throw new IllegalStateException("release beyond the reservation of disk group " + diskGroup);
            }
            release(t);
        }
    }

    @Override
    public long freeSegments() {
        return freeIn(group);
    }

    @Override
    public long freeSegments(long disk) {
        return freeIn(disk(disk).diskGroupId());
    }

    private long freeIn(int diskGroup) {
        if (pool == null) {
            return Long.MAX_VALUE / 4;
        }
        // one RSEG per free PSEG is the RAID1 figure, a lower bound for RAID0 and RAID5
        return pool.diskGroup(diskGroup).freePsegs();
    }

    @Override
    public byte[] loadCatalog() {
        Optional<byte[]> b = mapping.mld().get(CATALOG_KIND, CATALOG_KEY);
        return b.orElse(null);
    }

    @Override
    public void storeCatalog(byte[] catalog) {
        mapping.mld().commit(new MldBatch().put(CATALOG_KIND, CATALOG_KEY, catalog));
    }

    @Override
    public void close() {
        for (ArrayDeque<Long> q : reserved.values()) {
            synchronized (q) {
                while (!q.isEmpty()) {
                    release(q.poll());
                }
            }
        }
    }
}
