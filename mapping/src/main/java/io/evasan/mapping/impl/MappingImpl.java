package io.evasan.mapping.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.LunInfo;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.MappingStats;
import io.evasan.mapping.SegmentLocks;
import io.evasan.mapping.l2map.L2Map;
import io.evasan.mapping.pldmc.PldmcLog;
import io.evasan.mapping.pldmc.Txn;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.rsd.RsdTable;
import io.evasan.mld.Mld;
import io.evasan.mld.MldOptions;
import io.evasan.mld.Mlds;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.QuorumArea;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The mapping layer of one pool: the facade, and the holder of the state its parts share (RSD tables,
 * in-memory maps, the PLDMC log and its {@code meta} lock, the disks by name and id).
 *
 * <p>Invariants: {@code meta} serialises every map mutation and its PLDMC log append, and the
 * in-memory change is applied only after the log record is durable; {@link LunCatalogue}'s monitor
 * serialises catalogue (MLD) changes and the name/id tables; lock order is segment lock, then catalogue,
 * then meta; the read path takes none. An RSD slot's used mask equals the RSEGs held by HOLDER
 * entries plus those reserved and not yet linked.
 *
 * <p>Parts: {@link MappingRecovery} (PLDMC replay and repair at open), {@link RsegAllocator} (RSEG
 * reservation and release), {@link LmapUpdates} (logged LMAP entry changes, HOLDER hand-offs, dropped
 * maps), {@link LunCatalogue} (the logical disks' MLD records). This class keeps the log helpers
 * (append, compaction, checkpoint, force), the RSD table per disk group and the RSEG I/O.
 */
public final class MappingImpl implements Mapping {
    static final Logger LOG = Logger.getLogger(MappingImpl.class.getName());
    static final int SEG_SHIFT = 20;
    static final long SEG_MASK = SEGMENT_BYTES - 1;

    final Pool pool;
    final Mld mld;
    final MappingOptions options;
    final SegmentLocks locks = new SegmentLocks();
    final ReentrantLock meta = new ReentrantLock();
    /** RSD table per disk group id; grows (copy on write, under {@link #tablesLock}) for groups created after open. */
    volatile RsdTable[] tables;
    private final Object tablesLock = new Object();
    final int firstGroupId;
    final PldmcLog log;
    final Txn txn = new Txn();
    /** Maps of every disk the log knows (guarded by meta). */
    final Map<Integer, L2Map> maps = new HashMap<>();
    final Set<Integer> materialized = new HashSet<>();
    final ConcurrentHashMap<String, LogicalDiskImpl> byName = new ConcurrentHashMap<>();
    final ConcurrentHashMap<Integer, LogicalDiskImpl> byId = new ConcurrentHashMap<>();
    int nextId;
    final MappingStats stats;
    /** RSEG reservation and release (RSD slot masks, new RStores). */
    final RsegAllocator allocator = new RsegAllocator(this);
    /** Logged changes of LMAP entries and the RSEG ownership they carry. */
    final LmapUpdates lmap = new LmapUpdates(this);
    /** The logical disks' records in the MLD and the name / id tables. */
    private final LunCatalogue catalogue = new LunCatalogue(this);
    private volatile boolean closed;

    private MappingImpl(Pool pool, Mld mld, Path stateDir, MappingOptions options, Map<Integer, TreeMap<Integer, Long>> replayRsd,
                        io.evasan.raid.io.ChannelOpener files) {
        this.pool = pool;
        this.mld = mld;
        this.options = options;
        int maxGroup = 0;
        for (DiskGroup g : pool.diskGroups()) {
            maxGroup = Math.max(maxGroup, g.id());
        }
        tables = new RsdTable[maxGroup + 1];
        int first = Integer.MAX_VALUE;
        for (DiskGroup g : pool.diskGroups()) {
            tables[g.id()] = new RsdTable(g.id(), g);
            first = Math.min(first, g.id());
        }
        firstGroupId = first;
        this.stats = new MappingStats(options.registry(), () -> (long) byId.size(), this::totalHeld,
                this::totalRstores, this::mappingBytes, () -> logSize());
        Txn.OpVisitor replay = MappingRecovery.replayVisitor(maps, materialized, replayRsd);
        this.log = PldmcLog.open(stateDir, options.fsync(), options.minCompactBytes(), replay, files);
    }

    public static MappingImpl open(Pool pool, Path stateDir, MappingOptions options) {
        return open(pool, stateDir, options, io.evasan.raid.io.ChannelOpener.DEFAULT);
    }

    /** As {@link #open(Pool, Path, MappingOptions)}, the PLDMC log files opened through {@code files} (test seam). */
    public static MappingImpl open(Pool pool, Path stateDir, MappingOptions options, io.evasan.raid.io.ChannelOpener files) {
        long t0 = System.nanoTime();
        if (pool.diskGroups().isEmpty()) {
            throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "pool has no disk group");
        }
        Mld mld = Mlds.open(spreadOverGroups(pool), MldOptions.defaults().withCopies(options.mldCopies())
                .withAcceptRollbackTo(options.mldAcceptRollbackTo()));
        Map<Integer, TreeMap<Integer, Long>> replayRsd = new HashMap<>();
        MappingImpl m = new MappingImpl(pool, mld, stateDir, options, replayRsd, files);
        try {
            new MappingRecovery(m).run(replayRsd);
        } catch (RuntimeException e) {
            m.log.close();
            throw e;
        }
        m.stats.openTimer().record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
        return m;
    }

    /**
     * The pool's quorum areas reordered round-robin over disk groups (drive 0 of group 0, drive 0
     * of group 1, drive 1 of group 0, ...), so the first N copies of the MLD land in different
     * groups. Areas whose group is unknown keep their place at the end.
     */
    public static List<QuorumArea> spreadOverGroups(Pool pool) {
        List<QuorumArea> all = pool.quorumAreas();
        Map<java.util.UUID, Integer> groupOf = new HashMap<>();
        for (DiskGroup g : pool.diskGroups()) {
            try {
                for (DriveInfo d : g.drives()) {
                    groupOf.put(d.driveId(), g.id());
                }
            } catch (UnsupportedOperationException e) {
                return all; // a pool that does not list its drives: keep its order
            }
        }
        TreeMap<Integer, List<QuorumArea>> byGroup = new TreeMap<>();
        List<QuorumArea> unknown = new ArrayList<>();
        for (QuorumArea a : all) {
            Integer g = groupOf.get(a.driveId());
            if (g == null) {
                unknown.add(a);
            } else {
                byGroup.computeIfAbsent(g, k -> new ArrayList<>()).add(a);
            }
        }
        List<QuorumArea> out = new ArrayList<>();
        for (int i = 0; out.size() + unknown.size() < all.size(); i++) {
            for (List<QuorumArea> l : byGroup.values()) {
                if (i < l.size()) {
                    out.add(l.get(i));
                }
            }
        }
        out.addAll(unknown);
        return out;
    }

    // ------------------------------------------------------------------ RSD tables and RStores

    /** Gives RStore {@code rsdId} back to its disk group (already gone: nothing to do; a failure is logged). */
    void freeRStore(DiskGroup g, long rsdId) {
        try {
            g.free(rsdId);
            stats.rstoreFreed();
        } catch (StorageException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                LOG.warning("freeing RStore " + rsdId + " failed (its PSEGs stay allocated): " + e);
            }
        }
    }

    RsdTable table(int group) {
        RsdTable[] ts = tables;
        RsdTable t = group >= 0 && group < ts.length ? ts[group] : null;
        if (t == null) {
            t = addedGroup(group);
        }
        return t;
    }

    /**
     * The RSD table of a disk group the pool created after this mapping opened (an empty table:
     * nothing of the mapping lives there yet).
     *
     * @throws StorageException NOT_FOUND when the pool has no such group
     */
    private RsdTable addedGroup(int group) {
        DiskGroup g = null;
        if (group >= 0) {
            for (DiskGroup x : pool.diskGroups()) {
                if (x.id() == group) {
                    g = x;
                }
            }
        }
        if (g == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "disk group " + group + " does not exist");
        }
        synchronized (tablesLock) {
            RsdTable[] ts = tables;
            if (group < ts.length && ts[group] != null) {
                return ts[group];
            }
            RsdTable[] grown = java.util.Arrays.copyOf(ts, Math.max(ts.length, group + 1));
            grown[group] = new RsdTable(group, g);
            tables = grown;
            return grown[group];
        }
    }

    // ------------------------------------------------------------------ log helpers (under meta)

    /**
     * Forces the PLDMC log (every map change made so far) to stable storage. A no-op cost-wise in
     * fsync mode beyond one fsync; in fsync-off mode this is the group commit behind FUA and
     * SYNCHRONIZE CACHE.
     */
    void forceMetadata() {
        meta.lock();
        try {
            log.force();
        } finally {
            meta.unlock();
        }
    }

    void appendLocked() {
        log.append(txn);
        stats.logRecord();
    }

    /**
     * Releases the metadata lock, first compacting the log when due. Called only after the
     * in-memory state has caught up with every appended record, so the checkpoint (a dump of the
     * in-memory state) contains them.
     */
    void unlockMeta() {
        try {
            if (log.compactionDue()) {
                checkpointLocked();
            }
        } catch (StorageException e) {
            LOG.warning("PLDMC checkpoint failed, the log keeps growing until the next try: " + e);
        } finally {
            meta.unlock();
        }
    }

    void checkpointLocked() {
        log.checkpoint(sink -> {
            for (RsdTable t : tables) {
                if (t != null) {
                    t.forEach((slot, rs) -> sink.rsdAdd(t.groupId(), slot, rs.rsdId()));
                }
            }
            for (Map.Entry<Integer, L2Map> e : maps.entrySet()) {
                int d = e.getKey();
                if (materialized.contains(d)) {
                    sink.created(d);
                }
                e.getValue().forEachNonZero((seg, entry) -> sink.set(d, (int) seg, entry));
            }
        });
        stats.checkpointed();
    }

    /** Forces a checkpoint (compaction) of the PLDMC log now. */
    public void checkpoint() {
        meta.lock();
        try {
            checkpointLocked();
        } finally {
            meta.unlock();
        }
    }

    /** The PLDMC log (tests, tools). */
    public PldmcLog pldmcLog() {
        return log;
    }

    private long logSize() {
        return log.sizeBytes();
    }

    // ------------------------------------------------------------------ segment primitives (RsegAllocator, LmapUpdates) and RSEG I/O

    @Override
    public boolean transferHolder(LogicalDisk fromDisk, long fromSeg, int fromExpect, int fromUpdate,
                                  LogicalDisk toDisk, long toSeg, int toExpect, int toUpdate) {
        return lmap.transferHolder(fromDisk, fromSeg, fromExpect, fromUpdate, toDisk, toSeg, toExpect, toUpdate);
    }

    @Override
    public boolean transferHolderAndLink(LogicalDisk fromDisk, long fromSeg, int fromExpect, long fresh, int fromUserBits,
                                         LogicalDisk toDisk, long toSeg, int toExpect, int toUpdate) {
        return lmap.transferHolderAndLink(fromDisk, fromSeg, fromExpect, fresh, fromUserBits, toDisk, toSeg, toExpect, toUpdate);
    }

    @Override
    public void releaseRseg(long addr) {
        allocator.releaseRseg(addr);
    }

    RStore rstoreOf(long addr, int offset, int length) {
        if (offset < 0 || offset % RStore.SECTOR != 0 || length % RStore.SECTOR != 0 || offset + (long) length > SEGMENT_BYTES) {
            throw new StorageException(ErrorCode.UNALIGNED_IO, "RSEG access at " + offset + " length " + length
                    + " is not 512-aligned inside 1 MB");
        }
        RStore rs = table(PhysicalAddress.group(addr)).rstore(PhysicalAddress.slot(addr));
        if (rs == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no RStore at " + PhysicalAddress.toString(addr));
        }
        return rs;
    }

    @Override
    public RStore rstore(long addr) {
        RStore rs = table(PhysicalAddress.group(addr)).rstore(PhysicalAddress.slot(addr));
        if (rs == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no RStore at " + PhysicalAddress.toString(addr));
        }
        return rs;
    }

    @Override
    public void readRseg(long addr, int offset, ByteBuffer dst) {
        RStore rs = rstoreOf(addr, offset, dst.remaining());
        rs.read(((long) PhysicalAddress.rsegIndex(addr) << SEG_SHIFT) + offset, dst);
    }

    @Override
    public void writeRseg(long addr, int offset, ByteBuffer src) {
        RStore rs = rstoreOf(addr, offset, src.remaining());
        rs.write(((long) PhysicalAddress.rsegIndex(addr) << SEG_SHIFT) + offset, src);
    }

    @Override
    public void forceRseg(long addr) {
        rstore(addr).force();   // its member drives (data and their RSD entries) and, RAID5, the group's journal
    }

    @Override
    public void forceMaps() {
        if (!options.fsync()) {   // fsync mode: every record was forced as it was appended
            forceMetadata();
        }
    }

    private static final ThreadLocal<ByteBuffer> COPY_BUF = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect((int) SEGMENT_BYTES));

    @Override
    public void copyRseg(long src, long dst) {
        ByteBuffer b = COPY_BUF.get();
        b.clear();
        readRseg(src, 0, b);
        b.flip();
        writeRseg(dst, 0, b);
    }

    // ------------------------------------------------------------------ catalogue (LunCatalogue)

    @Override
    public LogicalDisk create(String name, long sizeBytes, RaidLevel level) {
        return create(name, sizeBytes, level, firstGroupId);
    }

    @Override
    public LogicalDisk create(String name, long sizeBytes, RaidLevel level, int diskGroupId) {
        return catalogue.create(name, sizeBytes, level, diskGroupId);
    }

    @Override
    public LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits,
                                          int keepSourceBits) {
        return createSnapshotDisk(sourceName, newName, sourceUserBits, copyUserBits, keepSourceBits, -1);
    }

    @Override
    public LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits,
                                          int keepSourceBits, int diskGroup) {
        return catalogue.createSnapshotDisk(sourceName, newName, sourceUserBits, copyUserBits, keepSourceBits, diskGroup);
    }

    @Override
    public LogicalDisk disk(String name) {
        LogicalDiskImpl d = name == null ? null : byName.get(name);
        if (d == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "logical disk '" + name + "' does not exist");
        }
        return d;
    }

    @Override
    public LogicalDisk disk(int id) {
        LogicalDiskImpl d = byId.get(id);
        if (d == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "logical disk #" + id + " does not exist");
        }
        return d;
    }

    @Override
    public List<LunInfo> list() {
        List<LunInfo> l = new ArrayList<>();
        for (LogicalDiskImpl d : byId.values()) {
            l.add(d.info());
        }
        l.sort(Comparator.comparing(LunInfo::name));
        return l;
    }

    @Override
    public LunInfo info(String name) {
        return ((LogicalDiskImpl) disk(name)).info();
    }

    @Override
    public void delete(String name) {
        catalogue.delete(name);
    }

    @Override
    public void resize(String name, long newSize, boolean force) {
        catalogue.resize(name, newSize, force);
    }

    @Override
    public void setRaidLevel(String name, long first, long count, RaidLevel level) {
        catalogue.setRaidLevel(name, first, count, level);
    }

    @Override
    public void setLockDomain(String name, int lockDomain) {
        catalogue.setLockDomain(name, lockDomain);
    }

    @Override
    public void clearForeignGroup(String name) {
        catalogue.clearForeignGroup(name);
    }

    @Override
    public Mld mld() {
        return mld;
    }

    @Override
    public MappingStats stats() {
        return stats;
    }

    private long totalHeld() {
        long n = 0;
        for (LogicalDiskImpl d : byId.values()) {
            n += d.held;
        }
        return n;
    }

    private long totalRstores() {
        long n = 0;
        for (RsdTable t : tables) {
            if (t != null) {
                n += t.count();
            }
        }
        return n;
    }

    @Override
    public long mappingBytes() {
        long n = 0;
        for (LogicalDiskImpl d : byId.values()) {
            n += d.memoryBytes();
        }
        for (RsdTable t : tables) {
            if (t != null) {
                n += t.memoryBytes();
            }
        }
        return n;
    }

    /** Bytes of the RSD tables alone (benchmark breakdown). */
    public long rsdTableBytes() {
        long n = 0;
        for (RsdTable t : tables) {
            if (t != null) {
                n += t.memoryBytes();
            }
        }
        return n;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("mapping closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        meta.lock();
        try {
            log.close();
        } finally {
            meta.unlock();
        }
        mld.close();
    }
}
