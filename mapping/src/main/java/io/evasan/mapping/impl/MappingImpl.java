package io.evasan.mapping.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.LunInfo;
import io.evasan.mapping.LunRecordDescriptor;
import io.evasan.mapping.LunRecordDescriptor.LunRecord;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.MappingStats;
import io.evasan.mapping.SegmentLocks;
import io.evasan.mapping.l2map.L2Map;
import io.evasan.mapping.lmap.LmapEntry;
import io.evasan.mapping.pldmc.PldmcLog;
import io.evasan.mapping.pldmc.Txn;
import io.evasan.mapping.rsd.PhysicalAddress;
import io.evasan.mapping.rsd.RsdTable;
import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
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
 * The mapping layer of one pool.
 *
 * <p>Invariants: {@code meta} serialises every map mutation and its PLDMC log append, and the
 * in-memory change is applied only after the log record is durable; {@code catalog} serialises
 * catalogue (MLD) changes and the name/id tables; lock order is segment lock, then catalog, then
 * meta; the read path takes none. An RSD slot's used mask equals the RSEGs held by HOLDER
 * entries plus those reserved and not yet linked.
 */
public final class MappingImpl implements Mapping {
    private static final Logger LOG = Logger.getLogger(MappingImpl.class.getName());
    static final int SEG_SHIFT = 20;
    static final long SEG_MASK = SEGMENT_BYTES - 1;

    final Pool pool;
    final Mld mld;
    final MappingOptions options;
    final SegmentLocks locks = new SegmentLocks();
    final ReentrantLock meta = new ReentrantLock();
    private final Object catalog = new Object();
    /** RSD table per disk group id; grows (copy on write, under {@link #tablesLock}) for groups created after open. */
    volatile RsdTable[] tables;
    private final Object tablesLock = new Object();
    private final int firstGroupId;
    private final PldmcLog log;
    private final Txn txn = new Txn();
    /** Maps of every disk the log knows (guarded by meta). */
    private final Map<Integer, L2Map> maps = new HashMap<>();
    private final Set<Integer> materialized = new HashSet<>();
    private final ConcurrentHashMap<String, LogicalDiskImpl> byName = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, LogicalDiskImpl> byId = new ConcurrentHashMap<>();
    private int nextId;
    final MappingStats stats;
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
        Txn.OpVisitor replay = new Txn.OpVisitor() {
            @Override
            public void set(int disk, int segment, int entry) {
                maps.computeIfAbsent(disk, d -> new L2Map()).set(segment, entry);
            }

            @Override
            public void rsdAdd(int group, int slot, long rsdId) {
                replayRsd.computeIfAbsent(group, g -> new TreeMap<>()).put(slot, rsdId);
            }

            @Override
            public void rsdFree(int group, int slot) {
                TreeMap<Integer, Long> m = replayRsd.get(group);
                if (m != null) {
                    m.remove(slot);
                }
            }

            @Override
            public void clone(int src, int dst, int srcBits, int dstBits) {
                L2Map s = maps.computeIfAbsent(src, d -> new L2Map());
                maps.computeIfAbsent(dst, d -> new L2Map()).cloneFrom(s, srcBits, dstBits);
                materialized.add(dst);
            }

            @Override
            public void drop(int disk) {
                maps.remove(disk);
                materialized.remove(disk);
            }

            @Override
            public void truncate(int disk, int fromSegment) {
                L2Map m = maps.get(disk);
                if (m != null) {
                    m.truncate(fromSegment);
                }
            }

            @Override
            public void created(int disk) {
                maps.computeIfAbsent(disk, d -> new L2Map());
                materialized.add(disk);
            }
        };
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
            m.recover(replayRsd);
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

    // ------------------------------------------------------------------ recovery

    private void recover(Map<Integer, TreeMap<Integer, Long>> replayRsd) {
        // 1. RSD slots -> RStores
        for (Map.Entry<Integer, TreeMap<Integer, Long>> g : replayRsd.entrySet()) {
            RsdTable t = g.getKey() < tables.length ? tables[g.getKey()] : null;
            if (t == null) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA, "PLDMC names disk group " + g.getKey()
                        + " which the pool does not have");
            }
            for (Map.Entry<Integer, Long> s : g.getValue().entrySet()) {
                RStore rs;
                try {
                    rs = t.diskGroup().rstore(s.getValue());
                } catch (StorageException e) {
                    throw new StorageException(ErrorCode.CORRUPT_METADATA, "PLDMC RSD slot " + s.getKey() + " of group "
                            + g.getKey() + " names RStore " + s.getValue() + " which the disk group does not have", e);
                }
                t.put(s.getKey(), rs);
            }
        }
        // 2. catalogue
        Map<Integer, LunRecord> recs = new TreeMap<>();
        for (String k : mld.keys(LunRecordDescriptor.KIND)) {
            LunRecord r = LunRecordDescriptor.decode(mld.get(LunRecordDescriptor.KIND, k).orElseThrow());
            recs.put(r.id(), r);
        }
        nextId = mld.get(LunRecordDescriptor.META_KIND, LunRecordDescriptor.NEXT_ID_KEY)
                .map(LunRecordDescriptor::decodeInt).orElse(1);
        // 3. reconcile maps with catalogue
        txn.reset();
        for (Integer d : new ArrayList<>(maps.keySet())) {
            if (!recs.containsKey(d)) {
                txn.drop(d);
                maps.remove(d);
                materialized.remove(d);
                LOG.info("PLDMC: dropping maps of disk " + d + " (not in the catalogue: delete interrupted)");
            }
        }
        for (LunRecord r : recs.values()) {
            if (r.cloneSource() >= 0 && !materialized.contains(r.id())) {
                L2Map src = recs.containsKey(r.cloneSource()) ? maps.get(r.cloneSource()) : null;
                L2Map dst = maps.computeIfAbsent(r.id(), d -> new L2Map());
                if (src != null) {
                    txn.clone(r.cloneSource(), r.id(), r.cloneSourceBits(), r.cloneCopyBits());
                    dst.cloneFrom(src, r.cloneSourceBits(), r.cloneCopyBits());
                    LOG.info("PLDMC: redoing the interrupted pointer copy " + r.cloneSource() + " -> " + r.id());
                } else {
                    txn.created(r.id());
                }
                materialized.add(r.id());
            }
        }
        for (LunRecord r : recs.values()) {
            L2Map m = maps.get(r.id());
            long segs = r.sizeBytes() >>> SEG_SHIFT;
            if (m != null && hasEntryFrom(m, segs)) {
                txn.truncate(r.id(), (int) segs);
                m.truncate(segs);
            }
        }
        // 4. used masks from HOLDER entries
        Map<Integer, Long> held = new HashMap<>();
        for (LunRecord r : recs.values()) {
            L2Map m = maps.get(r.id());
            if (m == null) {
                continue;
            }
            RsdTable t = table(r.diskGroupId());
            RsdTable ft = r.foreignGroup() >= 0 ? table(r.foreignGroup()) : t;
            long[] count = {0};
            m.forEachNonZero((seg, e) -> {
                if (LmapEntry.allocated(e) && (LmapEntry.holder(e) ? t : ft).rstore(LmapEntry.slot(e)) == null) {
                    throw new StorageException(ErrorCode.CORRUPT_METADATA, "disk " + r.name() + " segment " + seg
                            + " points at empty RSD slot " + LmapEntry.slot(e));
                }
                if (LmapEntry.holder(e)) {
                    int bit = 1 << LmapEntry.rseg(e);
                    int u = t.used(LmapEntry.slot(e));
                    if ((u & bit) != 0) {
                        LOG.warning("RSEG " + LmapEntry.toString(e) + " has two holders (second: disk " + r.name() + ")");
                    }
                    t.setUsed(LmapEntry.slot(e), u | bit);
                    count[0]++;
                }
            });
            held.put(r.id(), count[0]);
        }
        // after a restart, any free RSEG of a live RStore may hold old data
        for (RsdTable t : tables) {
            if (t != null) {
                t.forEach((slot, rs) -> t.setDirty(slot, ~t.used(slot) & 0xFF));
            }
        }
        // 5. RStores no entry holds (reserved and never linked, or crash mid-free): free
        List<long[]> toFree = new ArrayList<>();
        for (RsdTable t : tables) {
            if (t == null) {
                continue;
            }
            t.forEach((slot, rs) -> {
                if (t.used(slot) == 0) {
                    txn.rsdFree(t.groupId(), slot);
                    toFree.add(new long[] {t.groupId(), slot, rs.rsdId()});
                }
            });
        }
        if (txn.opCount() > 0) {
            log.append(txn);
        }
        for (long[] f : toFree) {
            RsdTable t = tables[(int) f[0]];
            t.remove((int) f[1]);
            freeRStore(t.diskGroup(), f[2]);
        }
        // 5b. RStores the disk group has but no RSD slot names: a kill between the disk group's
        // allocate (RSD persisted on the drives) and the PLDMC rsdAdd record, or between the PLDMC
        // rsdFree record and the disk group's free. Nothing was ever acknowledged in them (an RSEG is
        // handed out only after rsdAdd is durable, and rsdFree is logged only once nothing holds
        // one), so they are free space. Not done on a newly created log: a lost or misplaced state
        // directory must not wipe the pool.
        if (!log.created()) {
            reclaimOrphanRStores();
        }
        // 6. disks
        for (LunRecord r : recs.values()) {
            L2Map m = maps.computeIfAbsent(r.id(), d -> new L2Map());
            LogicalDiskImpl d = new LogicalDiskImpl(this, r, m, table(r.diskGroupId()),
                    r.foreignGroup() >= 0 ? table(r.foreignGroup()) : null);
            d.held = held.getOrDefault(r.id(), 0L);
            byName.put(r.name(), d);
            byId.put(r.id(), d);
            nextId = Math.max(nextId, r.id() + 1);
        }
        if (log.repairNeeded() || log.compactionDue()) {
            checkpointLocked();
        }
    }

    private void reclaimOrphanRStores() {
        for (RsdTable t : tables) {
            if (t == null) {
                continue;
            }
            Set<Long> named = new HashSet<>();
            t.forEach((slot, rs) -> named.add(rs.rsdId()));
            int n = 0;
            for (long id : t.diskGroup().rsdIds()) {
                if (!named.contains(id)) {
                    freeRStore(t.diskGroup(), id);
                    n++;
                }
            }
            if (n > 0) {
                LOG.info("PLDMC: freed " + n + " RStore(s) of disk group " + t.groupId()
                        + " that no RSD slot names (allocate or free interrupted by a crash)");
            }
        }
    }

    private static boolean hasEntryFrom(L2Map m, long fromSeg) {
        boolean[] any = {false};
        m.forEachNonZero((seg, e) -> {
            if (seg >= fromSeg) {
                any[0] = true;
            }
        });
        return any[0];
    }

    private void freeRStore(DiskGroup g, long rsdId) {
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

    private void appendLocked() {
        log.append(txn);
        stats.logRecord();
    }

    /**
     * Releases the metadata lock, first compacting the log when due. Called only after the
     * in-memory state has caught up with every appended record, so the checkpoint (a dump of the
     * in-memory state) contains them.
     */
    private void unlockMeta() {
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

    private void checkpointLocked() {
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

    // ------------------------------------------------------------------ segment primitives

    long reserve(LogicalDiskImpl d, long seg) {
        RaidLevel level = d.raidLevelAt(seg);
        RsdTable t = d.table;
        int want = (int) (seg & 7);
        long addr;
        boolean needZero;
        meta.lock();
        try {
            d.checkLive();
            int slot = -1;
            int idx = -1;
            long base = seg & ~7L;
            for (long s = base; s < base + 8 && slot < 0; s++) {
                int e = d.map.get(s);
                if (LmapEntry.holder(e)) {
                    int sl = LmapEntry.slot(e);
                    RStore rs = t.rstore(sl);
                    int u = t.used(sl);
                    if (rs != null && rs.level() == level && u != 0xFF) {
                        slot = sl;
                        idx = (u & (1 << want)) == 0 ? want : Integer.numberOfTrailingZeros(~u);
                    }
                }
            }
            if (slot >= 0) {
                t.setUsed(slot, t.used(slot) | (1 << idx));
                needZero = (t.dirty(slot) & (1 << idx)) != 0;
                t.setDirty(slot, t.dirty(slot) & ~(1 << idx));
            } else {
                slot = newRStoreLocked(t, level);
                idx = want;
                t.setUsed(slot, 1 << idx);
                needZero = false;
            }
            addr = PhysicalAddress.rseg(t.groupId(), slot, idx);
        } finally {
            unlockMeta();
        }
        if (needZero) {
            try {
                zeroRseg(t, addr);
            } catch (RuntimeException e) {
                releaseRseg(addr);
                throw e;
            }
        }
        return addr;
    }

    /**
     * Allocates an RStore of {@code level} in {@code t}'s disk group into a free RSD slot, logged
     * ({@code rsdAdd}) before it is used; its used bits are the caller's to set. Caller holds meta.
     *
     * @return the slot
     * @throws StorageException SPACE_ALLOCATION_FAILED (no free slot or PSEGs; nothing changed)
     */
    private int newRStoreLocked(RsdTable t, RaidLevel level) {
        int slot = t.freeSlot();
        if (slot > LmapEntry.MAX_SLOT) {
            stats.spaceAllocationFailed();
            throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "disk group " + t.groupId()
                    + " has no free RSD slot");
        }
        RStore rs;
        try {
            rs = t.diskGroup().allocate(level);
        } catch (StorageException e) {
            if (e.code() == ErrorCode.SPACE_ALLOCATION_FAILED) {
                stats.spaceAllocationFailed();
            }
            throw e;
        }
        txn.reset().rsdAdd(t.groupId(), slot, rs.rsdId());
        try {
            appendLocked();
        } catch (RuntimeException e) {
            freeRStore(t.diskGroup(), rs.rsdId());
            throw e;
        }
        stats.rstoreAllocated();
        t.put(slot, rs);
        return slot;
    }

    /** {@code count} RSEGs of one new RStore at the level of {@code seg} (see {@link LogicalDisk#reserveRsegs}). */
    long[] reserveRStore(LogicalDiskImpl d, long seg, int count) {
        RaidLevel level = d.raidLevelAt(seg);
        RsdTable t = d.table;
        long[] out = new long[count];
        meta.lock();
        try {
            d.checkLive();
            int slot = newRStoreLocked(t, level);
            t.setUsed(slot, (1 << count) - 1);
            for (int i = 0; i < count; i++) {
                out[i] = PhysicalAddress.rseg(t.groupId(), slot, i);
            }
        } finally {
            unlockMeta();
        }
        return out;
    }

    private static final ByteBuffer ZERO_MB = ByteBuffer.allocateDirect((int) SEGMENT_BYTES).asReadOnlyBuffer();

    private static void zeroRseg(RsdTable t, long addr) {
        RStore rs = t.rstore(PhysicalAddress.slot(addr));
        rs.write(PhysicalAddress.offset(addr), ZERO_MB.duplicate());
    }

    boolean link(LogicalDiskImpl d, long seg, int expect, long addr, int userBits) {
        if (LmapEntry.holder(expect)) {
            throw new IllegalArgumentException("linkRseg over a HOLDER entry " + LmapEntry.toString(expect)
                    + "; unlink it first");
        }
        if (PhysicalAddress.group(addr) != d.table.groupId()) {
            throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(addr) + " is not in disk group "
                    + d.table.groupId());
        }
        int slot = PhysicalAddress.slot(addr);
        int idx = PhysicalAddress.rsegIndex(addr);
        int e = LmapEntry.encode(slot, idx, true, userBits);
        meta.lock();
        try {
            d.checkLive();
            if (d.table.rstore(slot) == null || (d.table.used(slot) & (1 << idx)) == 0) {
                throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(addr) + " is not reserved");
            }
            if (d.map.get(seg) != expect) {
                return false;
            }
            txn.reset().set(d.id, (int) seg, e);
            appendLocked();
            d.map.set(seg, e);
            d.held++;
            stats.rsegAllocated();
            return true;
        } finally {
            unlockMeta();
        }
    }

    boolean unlink(LogicalDiskImpl d, long seg, int expect, int update) {
        if (!LmapEntry.holder(expect) || LmapEntry.holder(update)) {
            throw new IllegalArgumentException("unlinkRseg needs a HOLDER expect and a non-holder update: "
                    + LmapEntry.toString(expect) + " -> " + LmapEntry.toString(update));
        }
        long freeId = -1;
        meta.lock();
        try {
            d.checkLive();
            if (d.map.get(seg) != expect) {
                return false;
            }
            RsdTable t = d.table;
            int slot = LmapEntry.slot(expect);
            int u = t.used(slot) & ~(1 << LmapEntry.rseg(expect));
            txn.reset().set(d.id, (int) seg, update);
            if (u == 0) {
                txn.rsdFree(t.groupId(), slot);
            }
            appendLocked();
            d.map.set(seg, update);
            d.held--;
            stats.rsegFreed();
            if (u == 0) {
                freeId = t.rstore(slot).rsdId();
                t.remove(slot);
            } else {
                t.setUsed(slot, u);
                t.setDirty(slot, t.dirty(slot) | (1 << LmapEntry.rseg(expect)));
            }
        } finally {
            unlockMeta();
        }
        if (freeId >= 0) {
            freeRStore(d.table.diskGroup(), freeId);
        }
        return true;
    }

    boolean cas(LogicalDiskImpl d, long seg, int expect, int update) {
        if (LmapEntry.holder(expect) != LmapEntry.holder(update)
                || (LmapEntry.holder(expect) && !LmapEntry.samePointer(expect, update))) {
            throw new IllegalArgumentException("compareAndSetEntry cannot move ownership: " + LmapEntry.toString(expect)
                    + " -> " + LmapEntry.toString(update) + " (use link/unlink/transferHolder)");
        }
        if (LmapEntry.allocated(update) && d.tableOf(update).rstore(LmapEntry.slot(update)) == null) {
            throw new IllegalArgumentException("entry points at empty RSD slot: " + LmapEntry.toString(update));
        }
        meta.lock();
        try {
            d.checkLive();
            if (d.map.get(seg) != expect) {
                return false;
            }
            if (expect == update) {
                return true;
            }
            txn.reset().set(d.id, (int) seg, update);
            appendLocked();
            d.map.set(seg, update);
            return true;
        } finally {
            unlockMeta();
        }
    }

    @Override
    public boolean transferHolder(LogicalDisk fromDisk, long fromSeg, int fromExpect, int fromUpdate,
                                  LogicalDisk toDisk, long toSeg, int toExpect, int toUpdate) {
        LogicalDiskImpl from = (LogicalDiskImpl) fromDisk;
        LogicalDiskImpl to = (LogicalDiskImpl) toDisk;
        from.checkSegment(fromSeg);
        to.checkSegment(toSeg);
        if (from.table != to.table) {
            throw new IllegalArgumentException("transferHolder across disk groups");
        }
        if (!LmapEntry.holder(fromExpect) || LmapEntry.holder(fromUpdate) || LmapEntry.holder(toExpect)
                || !LmapEntry.holder(toUpdate) || !LmapEntry.samePointer(fromExpect, toUpdate)) {
            throw new IllegalArgumentException("transferHolder needs from: HOLDER -> non-holder and to: non-holder -> "
                    + "HOLDER of the same RSEG");
        }
        if (from == to && fromSeg == toSeg) {
            throw new IllegalArgumentException("transferHolder to the same entry");
        }
        meta.lock();
        try {
            from.checkLive();
            to.checkLive();
            if (from.map.get(fromSeg) != fromExpect || to.map.get(toSeg) != toExpect) {
                return false;
            }
            txn.reset().set(from.id, (int) fromSeg, fromUpdate).set(to.id, (int) toSeg, toUpdate);
            appendLocked();
            from.map.set(fromSeg, fromUpdate);
            to.map.set(toSeg, toUpdate);
            from.held--;
            to.held++;
            return true;
        } finally {
            unlockMeta();
        }
    }

    @Override
    public boolean transferHolderAndLink(LogicalDisk fromDisk, long fromSeg, int fromExpect, long fresh, int fromUserBits,
                                         LogicalDisk toDisk, long toSeg, int toExpect, int toUpdate) {
        LogicalDiskImpl from = (LogicalDiskImpl) fromDisk;
        LogicalDiskImpl to = (LogicalDiskImpl) toDisk;
        from.checkSegment(fromSeg);
        to.checkSegment(toSeg);
        if (from.table != to.table || PhysicalAddress.group(fresh) != from.table.groupId()) {
            throw new IllegalArgumentException("transferHolderAndLink across disk groups");
        }
        if (!LmapEntry.holder(fromExpect) || LmapEntry.holder(toExpect) || !LmapEntry.holder(toUpdate)
                || !LmapEntry.samePointer(fromExpect, toUpdate)) {
            throw new IllegalArgumentException("transferHolderAndLink needs from: HOLDER, to: non-holder -> HOLDER of "
                    + "the same RSEG");
        }
        if (from == to && fromSeg == toSeg) {
            throw new IllegalArgumentException("transferHolderAndLink to the same entry");
        }
        int slot = PhysicalAddress.slot(fresh);
        int idx = PhysicalAddress.rsegIndex(fresh);
        int fromUpdate = LmapEntry.encode(slot, idx, true, fromUserBits);
        meta.lock();
        try {
            from.checkLive();
            to.checkLive();
            if (from.table.rstore(slot) == null || (from.table.used(slot) & (1 << idx)) == 0) {
                throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(fresh) + " is not reserved");
            }
            if (from.map.get(fromSeg) != fromExpect || to.map.get(toSeg) != toExpect) {
                return false;
            }
            txn.reset().set(to.id, (int) toSeg, toUpdate).set(from.id, (int) fromSeg, fromUpdate);
            appendLocked();
            to.map.set(toSeg, toUpdate);
            from.map.set(fromSeg, fromUpdate);
            to.held++;
            stats.rsegAllocated();
            return true;
        } finally {
            unlockMeta();
        }
    }

    @Override
    public void releaseRseg(long addr) {
        RsdTable t = table(PhysicalAddress.group(addr));
        int slot = PhysicalAddress.slot(addr);
        int bit = 1 << PhysicalAddress.rsegIndex(addr);
        long freeId = -1;
        meta.lock();
        try {
            if (t.rstore(slot) == null || (t.used(slot) & bit) == 0) {
                throw new IllegalArgumentException("RSEG " + PhysicalAddress.toString(addr) + " is not reserved");
            }
            int u = t.used(slot) & ~bit;
            if (u == 0) {
                txn.reset().rsdFree(t.groupId(), slot);
                appendLocked();
                freeId = t.rstore(slot).rsdId();
                t.remove(slot);
            } else {
                t.setUsed(slot, u);
                t.setDirty(slot, t.dirty(slot) | bit);
            }
        } finally {
            unlockMeta();
        }
        if (freeId >= 0) {
            freeRStore(t.diskGroup(), freeId);
        }
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

    // ------------------------------------------------------------------ catalogue

    static void validateSize(long size) {
        if (size <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "size must be at least 1 MB, got " + size);
        }
        if (size > MAX_LUN_BYTES) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "size " + size + " exceeds the 2 TB maximum");
        }
        if (size % SEGMENT_BYTES != 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "size " + size + " is not a multiple of 1 MB");
        }
    }

    private static void validateName(String name) {
        if (name == null || name.isEmpty() || name.length() > 128) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "name must be 1..128 characters");
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "name contains a control character");
            }
        }
    }

    @Override
    public LogicalDisk create(String name, long sizeBytes, RaidLevel level) {
        return create(name, sizeBytes, level, firstGroupId);
    }

    @Override
    public LogicalDisk create(String name, long sizeBytes, RaidLevel level, int diskGroupId) {
        if (level == null) {
            throw new IllegalArgumentException("level is null");
        }
        checkOpen();
        validateName(name);
        validateSize(sizeBytes);
        RsdTable t = table(diskGroupId);
        synchronized (catalog) {
            if (byName.containsKey(name)) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "logical disk '" + name + "' already exists");
            }
            int id = nextId;
            long now = System.currentTimeMillis();
            LunRecord r = new LunRecord(id, name, sizeBytes, diskGroupId, id, now, now, -1, 0, 0,
                    new long[] {0}, new RaidLevel[] {level});
            mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(id), LunRecordDescriptor.encode(r))
                    .put(LunRecordDescriptor.META_KIND, LunRecordDescriptor.NEXT_ID_KEY, LunRecordDescriptor.encodeInt(id + 1)));
            nextId = id + 1;
            L2Map m;
            meta.lock();
            try {
                m = maps.computeIfAbsent(id, x -> new L2Map());
            } finally {
                unlockMeta();
            }
            LogicalDiskImpl d = new LogicalDiskImpl(this, r, m, t);
            byId.put(id, d);
            byName.put(name, d);
            return d;
        }
    }

    @Override
    public LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits,
                                          int keepSourceBits) {
        return createSnapshotDisk(sourceName, newName, sourceUserBits, copyUserBits, keepSourceBits, -1);
    }

    @Override
    public LogicalDisk createSnapshotDisk(String sourceName, String newName, int sourceUserBits, int copyUserBits,
                                          int keepSourceBits, int diskGroup) {
        if ((sourceUserBits & ~LmapEntry.USER_BITS) != 0 || (copyUserBits & ~LmapEntry.USER_BITS) != 0
                || (keepSourceBits & ~LmapEntry.USER_BITS) != 0) {
            throw new IllegalArgumentException("bits must be within LmapEntry.USER_BITS");
        }
        // the log record and the catalogue carry "bits to set" in bits 0..7 and "source bits to
        // keep" in bits 8..15 of one int (see PldmcLogDescriptor CLONE)
        copyUserBits |= keepSourceBits << 8;
        checkOpen();
        validateName(newName);
        synchronized (catalog) {
            LogicalDiskImpl src = (LogicalDiskImpl) disk(sourceName);
            if (byName.containsKey(newName)) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "logical disk '" + newName + "' already exists");
            }
            int id = nextId;
            long now = System.currentTimeMillis();
            LunRecord sr = src.record;
            if (src.foreign != null) {
                // its HOLDER and non-HOLDER entries resolve in two groups; a pointer copy could not tell them apart
                throw new StorageException(ErrorCode.INVALID_STATE, "logical disk '" + sourceName
                        + "' points into disk group " + src.foreign.groupId() + "; no pointer copy of it");
            }
            boolean away = diskGroup >= 0 && diskGroup != sr.diskGroupId();
            RsdTable own = away ? table(diskGroup) : src.table;
            RsdTable foreign = away ? src.table : null;
            LunRecord r = new LunRecord(id, newName, src.sizeBytes(), own.groupId(), src.lockDomain(), now, now,
                    src.id, sourceUserBits, copyUserBits, sr.runStarts(), sr.runLevels(),
                    foreign == null ? -1 : foreign.groupId());
            mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(id), LunRecordDescriptor.encode(r))
                    .put(LunRecordDescriptor.META_KIND, LunRecordDescriptor.NEXT_ID_KEY, LunRecordDescriptor.encodeInt(id + 1)));
            nextId = id + 1;
            L2Map m;
            meta.lock();
            try {
                txn.reset().clone(src.id, id, sourceUserBits, copyUserBits);
                appendLocked();
                m = maps.computeIfAbsent(id, x -> new L2Map());
                m.cloneFrom(src.map, sourceUserBits, copyUserBits);
                materialized.add(id);
            } finally {
                unlockMeta();
            }
            stats.snapshotCreated();
            LogicalDiskImpl d = new LogicalDiskImpl(this, r, m, own, foreign);
            byId.put(id, d);
            byName.put(newName, d);
            return d;
        }
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
        checkOpen();
        LogicalDiskImpl d;
        synchronized (catalog) {
            d = (LogicalDiskImpl) disk(name);
            mld.commit(new MldBatch().remove(LunRecordDescriptor.KIND, LunRecordDescriptor.key(d.id)));
            byName.remove(name);
            byId.remove(d.id);
            d.deleted = true;
        }
        dropMaps(d, 0, true);
    }

    /** Frees every RSEG {@code d} holds at segments >= from, and drops (all) or truncates its maps. */
    private void dropMaps(LogicalDiskImpl d, long from, boolean drop) {
        List<Long> toFree = new ArrayList<>();
        meta.lock();
        try {
            RsdTable t = d.table;
            Map<Integer, Integer> masks = new HashMap<>();
            long[] freed = {0};
            d.map.forEachNonZero((seg, e) -> {
                if (seg >= from && LmapEntry.holder(e)) {
                    int slot = LmapEntry.slot(e);
                    int u = masks.getOrDefault(slot, t.used(slot));
                    masks.put(slot, u & ~(1 << LmapEntry.rseg(e)));
                    freed[0]++;
                }
            });
            txn.reset();
            if (drop) {
                txn.drop(d.id);
            } else {
                txn.truncate(d.id, (int) from);
            }
            for (Map.Entry<Integer, Integer> m : masks.entrySet()) {
                if (m.getValue() == 0) {
                    txn.rsdFree(t.groupId(), m.getKey());
                }
            }
            appendLocked();
            if (drop) {
                maps.remove(d.id);
                materialized.remove(d.id);
            }
            d.map.truncate(from);
            d.held -= freed[0];
            for (int i = 0; i < freed[0]; i++) {
                stats.rsegFreed();
            }
            for (Map.Entry<Integer, Integer> m : masks.entrySet()) {
                if (m.getValue() == 0) {
                    toFree.add(t.rstore(m.getKey()).rsdId());
                    t.remove(m.getKey());
                } else {
                    t.setDirty(m.getKey(), t.dirty(m.getKey()) | (t.used(m.getKey()) & ~m.getValue()));
                    t.setUsed(m.getKey(), m.getValue());
                }
            }
        } finally {
            unlockMeta();
        }
        for (long id : toFree) {
            freeRStore(d.table.diskGroup(), id);
        }
    }

    @Override
    public void resize(String name, long newSize, boolean force) {
        checkOpen();
        validateSize(newSize);
        LogicalDiskImpl d;
        boolean shrink;
        synchronized (catalog) {
            d = (LogicalDiskImpl) disk(name);
            long newSegs = newSize >>> SEG_SHIFT;
            shrink = newSize < d.sizeBytes();
            if (shrink) {
                int[] worst = {0};
                d.map.forEachNonZero((seg, e) -> {
                    if (seg >= newSegs) {
                        if ((e & (LmapEntry.SP | LmapEntry.SS)) != 0) {
                            worst[0] = 2;
                        } else if (LmapEntry.allocated(e) && worst[0] == 0) {
                            worst[0] = 1;
                        }
                    }
                });
                if (worst[0] == 2) {
                    throw new StorageException(ErrorCode.INVALID_STATE, "cannot shrink '" + name
                            + "': segments beyond the new end are shared with a snapshot");
                }
                if (worst[0] == 1 && !force) {
                    throw new StorageException(ErrorCode.INVALID_STATE, "cannot shrink '" + name + "' to " + newSize
                            + " bytes: data is allocated beyond the new end (use force)");
                }
            }
            LunRecord r = d.record.withSize(newSize, System.currentTimeMillis());
            mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(d.id), LunRecordDescriptor.encode(r)));
            d.record = r;
            d.size = newSize;
        }
        if (shrink) {
            dropMaps(d, newSize >>> SEG_SHIFT, false);
        }
    }

    @Override
    public void setRaidLevel(String name, long first, long count, RaidLevel level) {
        if (level == null) {
            throw new IllegalArgumentException("level is null");
        }
        checkOpen();
        synchronized (catalog) {
            LogicalDiskImpl d = (LogicalDiskImpl) disk(name);
            if (first < 0 || count <= 0 || first + count > d.segments()) {
                throw new StorageException(ErrorCode.OUT_OF_RANGE, "segments [" + first + ", " + (first + count)
                        + ") are not inside '" + name + "' (" + d.segments() + " segments)");
            }
            TreeMap<Long, RaidLevel> runs = new TreeMap<>();
            LunRecord r = d.record;
            for (int i = 0; i < r.runStarts().length; i++) {
                runs.put(r.runStarts()[i], r.runLevels()[i]);
            }
            RaidLevel after = runs.floorEntry(first + count).getValue();
            runs.subMap(first, true, first + count, true).clear();
            runs.put(first, level);
            if (!runs.containsKey(first + count)) {
                runs.put(first + count, after);
            }
            List<Long> starts = new ArrayList<>();
            List<RaidLevel> levels = new ArrayList<>();
            for (Map.Entry<Long, RaidLevel> e : runs.entrySet()) {
                if (levels.isEmpty() || levels.get(levels.size() - 1) != e.getValue()) {
                    starts.add(e.getKey());
                    levels.add(e.getValue());
                }
            }
            long[] s = starts.stream().mapToLong(Long::longValue).toArray();
            RaidLevel[] l = levels.toArray(new RaidLevel[0]);
            LunRecord nr = r.withRuns(s, l, System.currentTimeMillis());
            mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(d.id), LunRecordDescriptor.encode(nr)));
            d.record = nr;
            d.setRuns(s, l);
        }
    }

    @Override
    public void setLockDomain(String name, int lockDomain) {
        checkOpen();
        synchronized (catalog) {
            LogicalDiskImpl d = (LogicalDiskImpl) disk(name);
            LunRecord nr = d.record.withLockDomain(lockDomain, System.currentTimeMillis());
            mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(d.id), LunRecordDescriptor.encode(nr)));
            d.record = nr;
            d.domain = lockDomain;
        }
    }

    @Override
    public void clearForeignGroup(String name) {
        checkOpen();
        synchronized (catalog) {
            LogicalDiskImpl d = (LogicalDiskImpl) disk(name);
            if (d.foreign == null) {
                return;
            }
            boolean[] foreignEntry = {false};
            d.map.forEachNonZero((seg, e) -> {
                if (LmapEntry.allocated(e) && !LmapEntry.holder(e)) {
                    foreignEntry[0] = true;
                }
            });
            if (foreignEntry[0]) {
                throw new StorageException(ErrorCode.INVALID_STATE, "logical disk '" + name
                        + "' still points into disk group " + d.foreign.groupId());
            }
            LunRecord r = d.record;
            LunRecord nr = new LunRecord(r.id(), r.name(), r.sizeBytes(), r.diskGroupId(), r.lockDomain(),
                    r.createdMillis(), System.currentTimeMillis(), r.cloneSource(), r.cloneSourceBits(),
                    r.cloneCopyBits(), r.runStarts(), r.runLevels(), -1);
            mld.commit(new MldBatch().put(LunRecordDescriptor.KIND, LunRecordDescriptor.key(d.id), LunRecordDescriptor.encode(nr)));
            d.record = nr;
            d.foreign = null;
        }
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

    private void checkOpen() {
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
