package io.evasan.raid.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.MemberMove;
import io.evasan.raid.RaidStats;
import io.evasan.raid.Rebuild;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.bitmap.BitmapDescriptor;
import io.evasan.raid.bitmap.impl.WriteIntentBitmap;
import io.evasan.raid.journal.JournalDescriptor;
import io.evasan.raid.journal.impl.RowJournal;
import io.evasan.raid.placement.Placement;
import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.pseg.PsegAllocator;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rsd.RsdDescriptor;
import io.evasan.raid.rss.Rss;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.MemberMigration;
import io.evasan.raid.rstore.impl.RStoreImpl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A disk group of file/block drives. Allocation, free, rebuild planning and membership
 * changes serialise on one allocation lock (metadata rate); the data path takes only per-row
 * stripe locks inside each RStore.
 *
 * <p>Invariants: every live RSD is written in the PSEG-table entry of each of its available
 * members before it is used (allocate returns after the pwrite); a PSEG is in use in its
 * drive's allocator iff a live RSD (or a running rebuild) claims it; no two members of an RSD
 * are on one drive; RAID1 pairs sit on RSS slots 2k/2k+1.
 *
 * <p>Parts: {@link RsdScan} restores the RSDs from the PSEG tables at open, {@link DriveMembership} adds and
 * removes drives, {@link Rebuilder} runs rebuild and resync, {@link Placement} chooses drives and PSEGs;
 * this class keeps the state they share, allocation and free, the PSEG-table writes and the RStore host.
 */
public final class DiskGroupImpl implements DiskGroup, RStoreImpl.Host {
    private static final int LOCKS = 4096;
    /** Drive index of a member that has no PSEG (found contradicted at open); always lost. */
    public static final int NO_DRIVE = 0xFFFF;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect((int) DriveLabelDescriptor.MIB);

    /** Callbacks into the pool (persisting the drive list, resolving paths). */
    public interface Owner {
        void membershipChanged();

        Path resolve(Path p);

        /** Checks a new drive path against every drive of the pool (DUPLICATE_DRIVE). */
        void checkNewDrive(Path resolved);

        /** The pool's I/O seams (drive and journal openers). */
        default io.evasan.raid.PoolIo io() {
            return io.evasan.raid.PoolIo.DEFAULT;
        }
    }

    final UUID poolId;
    final int id;
    final String name;
    final Owner owner;
    private final RaidStats stats;
    final Object allocLock = new Object();
    final ReentrantLock adminLock = new ReentrantLock();
    private final ReentrantLock[] locks = new ReentrantLock[LOCKS];
    final ConcurrentHashMap<Long, RStoreImpl> rstores = new ConcurrentHashMap<>();
    final List<Rss> rssList = new ArrayList<>();
    final Set<Integer> evacuating = new HashSet<>();
    final List<String> problems = new ArrayList<>();
    volatile Drive[] drives;
    PsegAllocator[] alloc;
    long nextRsdId = 1;
    private volatile boolean closed;
    private final RowJournal journal;
    private final WriteIntentBitmap intent;
    /** Chooses drives and PSEGs for new and moving members; used under allocLock. */
    private final Placement placement = Placement.balanced(new Placement.Drives() {
        @Override
        public int count() {
            return alloc.length;
        }

        @Override
        public boolean eligible(int drive) {
            return DiskGroupImpl.this.eligible(drive);
        }

        @Override
        public PsegAllocator allocator(int drive) {
            return drive < alloc.length ? alloc[drive] : null;
        }
    });

    /**
     * Builds the group from its drives (index = array position, null = removed) and the RSS
     * assignment in their labels, then scans every available drive's PSEG table to restore
     * the RSDs.
     */
    public DiskGroupImpl(UUID poolId, int id, String name, Drive[] drives, Owner owner, RaidStats stats) {
        this(poolId, id, name, drives, owner, stats, false);
    }

    /**
     * As above; {@code unclean}: the pool was not stopped cleanly, so the write-intent bitmap's
     * marks are kept until the resync ({@link #resync}) has run over them.
     */
    public DiskGroupImpl(UUID poolId, int id, String name, Drive[] drives, Owner owner, RaidStats stats,
            boolean unclean) {
        this.poolId = poolId;
        this.id = id;
        this.name = name;
        this.owner = owner;
        this.stats = stats;
        this.drives = drives.clone();
        this.alloc = new PsegAllocator[drives.length];
        for (int i = 0; i < LOCKS; i++) {
            locks[i] = new ReentrantLock();
        }
        for (Drive d : drives) {
            if (d == null || d.label() == null) {
                continue;
            }
            DriveLabel l = d.label();
            if (l.rssId() >= 0) {
                rss(l.rssId(), true).set(l.rssSlot(), d.index());
            }
        }
        new RsdScan(this).run();
        journal = RowJournal.open(owner.io().files(), owner.resolve(Path.of(JournalDescriptor.fileName(id))), poolId, id);
        try {
            replayJournal();
            intent = WriteIntentBitmap.open(owner.io().files(), owner.resolve(Path.of(BitmapDescriptor.fileName(id))),
                    poolId, id, unclean, this::forceDrives);
        } catch (RuntimeException e) {
            journal.close();
            throw e;
        }
        intent.startClearing(name, WriteIntentBitmap.quietMillis());
    }

    /** Forces every available drive; false if one failed (the bitmap then keeps its bits). */
    private boolean forceDrives() {
        return forceAll() == null;
    }

    /** Forces every available drive; returns the last failure, or null. */
    private StorageException forceAll() {
        StorageException last = null;
        for (Drive d : drives) {
            if (d != null && d.isAvailable()) {
                try {
                    d.force();
                } catch (StorageException e) {
                    last = e;
                }
            }
        }
        return last;
    }

    /**
     * Replays the degraded RAID5 row writes a crash interrupted ({@link RowJournal}): every
     * valid record of this pool and group, oldest first, is written again where its RStore
     * still has the recorded members; then the touched drives are fsynced and every record is
     * retired. Runs in the constructor, before resync and before anything reads the RStores.
     */
    private void replayJournal() {
        int[] ignored = new int[1];
        List<JournalDescriptor.Record> recs = journal.pending(ignored);
        int discarded = ignored[0];
        if (discarded > 0) {
            problems.add("write journal " + journal.path() + ": " + discarded + " torn, corrupt or foreign records"
                    + " ignored");
        }
        for (JournalDescriptor.Record r : recs) {
            RStoreImpl s = rstores.get(r.rsdId());
            if (s != null && s.replay(r)) {
                stats.journalReplay();
            } else {
                discarded++;
                problems.add("write journal: record " + r.sequence() + " for RSD " + r.rsdId() + " row " + r.row()
                        + " matches no current RStore; not replayed");
            }
        }
        if (discarded > 0) {
            stats.journalDiscard(discarded);
        }
        if (recs.isEmpty() && discarded == 0) {
            return;
        }
        for (Drive d : drives) {
            if (d != null && d.isAvailable()) {
                try {
                    d.force();
                } catch (StorageException e) {
                    // the drive failed: its members are lost anyway
                }
            }
        }
        journal.retireAll();
    }

    Rss rss(int rssId, boolean create) {
        for (Rss r : rssList) {
            if (r.id() == rssId) {
                return r;
            }
        }
        if (!create) {
            return null;
        }
        Rss r = new Rss(rssId);
        rssList.add(r);
        rssList.sort((x, y) -> Integer.compare(x.id(), y.id()));
        return r;
    }

    // ------------------------------------------------------------------------ Host

    @Override
    public Drive drive(int index) {
        Drive[] ds = drives;
        return index >= 0 && index < ds.length ? ds[index] : null;
    }

    @Override
    public void persistRsd(Rsd rsd) {
        ByteBuffer b = ByteBuffer.allocate(RsdDescriptor.ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int ok = 0;
        StorageException last = null;
        for (int m = 0; m < rsd.members(); m++) {
            Drive d = drive(rsd.drive(m));
            if (d == null || !d.isAvailable()) {
                continue;
            }
            RsdDescriptor.encodeUsed(rsd, m, b, 0);
            b.clear();
            try {
                d.write(DriveLabelDescriptor.PSEG_TABLE_OFFSET + RsdDescriptor.entryOffset(rsd.pseg(m)), b);
                ok++;
            } catch (StorageException e) {
                last = e;
            }
        }
        if (ok == 0) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "RSD " + rsd.rsdId() + " could not be written to any"
                    + " member drive", last);
        }
    }

    void writeTombstone(Drive d, int pseg, int kind, long rsdId, long gen) {
        if (d == null || !d.isAvailable()) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(RsdDescriptor.ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        RsdDescriptor.encodeTombstone(kind, rsdId, gen, b, 0);
        b.clear();
        try {
            d.write(DriveLabelDescriptor.PSEG_TABLE_OFFSET + RsdDescriptor.entryOffset(pseg), b);
        } catch (StorageException e) {
            // the drive just failed; its stale entry is superseded by generation at the next open
        }
    }

    @Override
    public ReentrantLock rowLock(long rsdId, int row) {
        long h = (rsdId * RStoreImpl.ROWS + row) * 0x9E3779B97F4A7C15L;
        return locks[(int) (h >>> 52)];
    }

    @Override
    public RaidStats stats() {
        return stats;
    }

    @Override
    public RowJournal journal() {
        return journal;
    }

    @Override
    public WriteIntentBitmap intent() {
        return intent;
    }

    // ------------------------------------------------------------------------ DiskGroup

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }

    void checkOpen() {
        if (closed) {
            throw new StorageException(ErrorCode.INVALID_STATE, "disk group " + name + " is closed");
        }
    }

    boolean eligible(int drive) {
        Drive d = drive(drive);
        return d != null && d.isAvailable() && !evacuating.contains(drive) && drive < alloc.length
                && alloc[drive] != null;
    }

    @Override
    public RStore allocate(RaidLevel level) {
        if (level == null) {
            throw new IllegalArgumentException("level");
        }
        synchronized (allocLock) {
            checkOpen();
            int n = level.totalPsegs();
            Placement.Choice choice = placement.forNewRStore(rssList, level);
            int[] bestDrives = choice.drives();
            Rss bestRss = choice.rss();
            boolean bigEnough = choice.rssBigEnough();
            if (bestDrives == null) {
                if (bigEnough) {
                    throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "disk group " + name + ": no RSS has "
                            + n + " free PSEGs on distinct drives for a " + level + " RStore (" + freePsegs()
                            + " PSEGs free)");
                }
                throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "disk group " + name + ": " + level + " needs "
                        + (level == RaidLevel.RAID1 ? "4 complete drive pairs" : n + " available drives")
                        + " in one RSS of at least " + Rss.MIN_DRIVES + " drives");
            }
            long rsdId = nextRsdId++;
            int[] psegs = new int[n];
            for (int m = 0; m < n; m++) {
                psegs[m] = alloc[bestDrives[m]].allocate();
            }
            try {
                for (int m = 0; m < n; m++) {
                    Drive d = drive(bestDrives[m]);
                    if (alloc[bestDrives[m]].isDirty(psegs[m])) {
                        zeroPseg(d, psegs[m]);
                        alloc[bestDrives[m]].clearDirty(psegs[m]);
                    }
                }
                Rsd rsd = new Rsd(rsdId, bestRss.id(), level, 1, placement.parityRotation(level, rsdId), 0,
                        bestDrives, psegs);
                ByteBuffer b = ByteBuffer.allocate(RsdDescriptor.ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (int m = 0; m < n; m++) {
                    RsdDescriptor.encodeUsed(rsd, m, b, 0);
                    b.clear();
                    drive(bestDrives[m]).write(DriveLabelDescriptor.PSEG_TABLE_OFFSET
                            + RsdDescriptor.entryOffset(psegs[m]), b);
                }
                RStoreImpl s = new RStoreImpl(rsd, this);
                rstores.put(rsdId, s);
                return s;
            } catch (StorageException e) {
                for (int m = 0; m < n; m++) {
                    alloc[bestDrives[m]].release(psegs[m]);
                    writeTombstone(drive(bestDrives[m]), psegs[m], RsdDescriptor.KIND_FREED, rsdId, 2);
                }
                throw new StorageException(ErrorCode.WRITE_FAULT, "allocating a " + level + " RStore failed: "
                        + e.getMessage() + "; nothing allocated", e);
            }
        }
    }

    private static void zeroPseg(Drive d, int pseg) {
        long base = d.psegOffset(pseg);
        for (long off = 0; off < DriveLabelDescriptor.PSEG_BYTES; off += ZEROS.capacity()) {
            ByteBuffer z = ZEROS.duplicate();
            d.write(base + off, z);
        }
    }

    @Override
    public RStore rstore(long rsdId) {
        RStoreImpl s = rstores.get(rsdId);
        if (s == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "disk group " + name + " has no RStore " + rsdId);
        }
        return s;
    }

    @Override
    public Rsd rsd(long rsdId) {
        return ((RStoreImpl) rstore(rsdId)).rsd();
    }

    @Override
    public List<Long> rsdIds() {
        List<Long> l = new ArrayList<>(rstores.keySet());
        l.sort(null);
        return l;
    }

    @Override
    public void free(long rsdId) {
        synchronized (allocLock) {
            checkOpen();
            RStoreImpl s = rstores.remove(rsdId);
            if (s == null) {
                throw new StorageException(ErrorCode.NOT_FOUND, "disk group " + name + " has no RStore " + rsdId);
            }
            Rsd r = s.markFreedAndGet();
            for (int m = 0; m < r.members(); m++) {
                writeTombstone(drive(r.drive(m)), r.pseg(m), RsdDescriptor.KIND_FREED, rsdId, r.generation() + 1);
            }
            for (int m = 0; m < r.members(); m++) {
                releaseLocked(r.address(m), 0, 0);
            }
        }
    }

    /** Returns a PSEG to its allocator; kind != 0 also writes that tombstone. allocLock held. */
    void releaseLocked(long addr, int kind, long rsdId) {
        int d = PsegAddress.drive(addr);
        int p = PsegAddress.pseg(addr);
        if (d < alloc.length && alloc[d] != null && p < alloc[d].count()) {
            alloc[d].release(p);
        }
        if (kind != 0) {
            writeTombstone(drive(d), p, kind, rsdId, 0);
        }
    }

    @Override
    public void flush() {
        checkOpen();
        StorageException last = forceAll();
        try {
            journal.force();
        } catch (StorageException e) {
            last = e;
        }
        if (last != null) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "flush of disk group " + name + " failed: "
                    + last.getMessage(), last);
        }
    }

    @Override
    public long freePsegs() {
        synchronized (allocLock) {
            long n = 0;
            for (int i = 0; i < alloc.length; i++) {
                if (alloc[i] != null && eligible(i)) {
                    n += alloc[i].free();
                }
            }
            return n;
        }
    }

    @Override
    public long totalPsegs() {
        synchronized (allocLock) {
            long n = 0;
            for (int i = 0; i < alloc.length; i++) {
                if (alloc[i] != null && eligible(i)) {
                    n += alloc[i].count();
                }
            }
            return n;
        }
    }

    @Override
    public List<DriveInfo> drives() {
        synchronized (allocLock) {
            List<DriveInfo> out = new ArrayList<>();
            for (Drive d : drives) {
                if (d == null || d.state() == DriveState.REMOVED) {
                    continue;
                }
                DriveLabel l = d.label();
                PsegAllocator a = d.index() < alloc.length ? alloc[d.index()] : null;
                int rssId = -1;
                int slot = -1;
                for (Rss r : rssList) {
                    if (r.slotOf(d.index()) >= 0) {
                        rssId = r.id();
                        slot = r.slotOf(d.index());
                    }
                }
                out.add(new DriveInfo(d.index(), l == null ? null : l.driveId(), d.path(), d.state(),
                        l == null ? 0 : l.capacity(), l == null ? 0 : l.psegCount(), a == null ? 0 : a.used(), rssId,
                        slot));
            }
            return out;
        }
    }

    @Override
    public List<int[]> rssSlots() {
        synchronized (allocLock) {
            List<int[]> out = new ArrayList<>();
            for (Rss r : rssList) {
                out.add(r.slots());
            }
            return out;
        }
    }

    Drive member(int index) {
        Drive d = drive(index);
        if (d == null || d.state() == DriveState.REMOVED) {
            throw new StorageException(ErrorCode.NOT_FOUND, "disk group " + name + " has no drive " + index);
        }
        return d;
    }

    @Override
    public void failDrive(int index) {
        member(index).fail();
    }

    @Override
    public void pullDrive(int index) {
        member(index).pull();
    }

    @Override
    public Rebuild restoreDrive(int index) {
        adminLock.lock();
        try {
            checkOpen();
            Drive d = member(index);
            if (!d.isAvailable()) {
                DriveLabel l = d.restore(poolId);
                if (l.groupId() != id || l.memberIndex() != index) {
                    d.pull();
                    throw new StorageException(ErrorCode.INVALID_STATE, "cannot re-add " + d.path() + ": its label says"
                            + " group " + l.groupId() + " drive " + l.memberIndex() + ", expected group " + id
                            + " drive " + index);
                }
                synchronized (allocLock) {
                    Map<Long, Long> claimed = new HashMap<>();
                    for (RStoreImpl s : rstores.values()) {
                        Rsd r = s.rsd();
                        for (int m = 0; m < r.members(); m++) {
                            claimed.put(r.address(m), r.rsdId());
                        }
                    }
                    ByteBuffer t = RsdScan.readTable(d);
                    alloc[index] = new RsdScan(this).buildAllocator(d, t, claimed);
                    for (RStoreImpl s : rstores.values()) {
                        if (s.rsd().memberOnDrive(index) >= 0) {
                            s.refreshLayout();
                        }
                    }
                }
            }
        } finally {
            adminLock.unlock();
        }
        return rebuild();
    }

    // ------------------------------------------------------------------------ rebuild

    private final Rebuilder rebuilder = new Rebuilder(this);

    @Override
    public boolean rebuildInProgress() {
        return rebuilder.rebuildInProgress();
    }

    @Override
    public boolean resyncInProgress() {
        return rebuilder.resyncInProgress();
    }

    @Override
    public Rebuild rebuild() {
        return rebuilder.rebuild();
    }

    /** Starts the redundancy resync after an unclean shutdown; see {@link Rebuilder#resync}. */
    public Rebuild resync() {
        return rebuilder.resync();
    }

    /** The last resync started after an unclean shutdown (running or done), or null. */
    public Rebuild lastResync() {
        return rebuilder.lastResync();
    }

    /** True while a resync after an unclean shutdown has not completed. */
    public boolean resyncPending() {
        return rebuilder.resyncPending();
    }

    /** Chooses target locations for the members in mask (see {@link Placement#replacements}); allocLock held. */
    int[][] plan(Rsd r, int mask, int inPlace) {
        return placement.replacements(r, rss(r.rssId(), false), mask, inPlace);
    }

    // package-private support for the Rebuilder

    boolean isClosed() {
        return closed;
    }

    Object allocLock() {
        return allocLock;
    }

    /** A snapshot of the live RStores. */
    List<RStoreImpl> rstoreList() {
        return new ArrayList<>(rstores.values());
    }

    /** allocLock held. */
    boolean isEvacuating(int drive) {
        return evacuating.contains(drive);
    }

    // ------------------------------------------------------------------------ member moves (leveling)

    @Override
    public MemberMove beginMove(long rsdId, int mask, int[] targetDrives) {
        RStoreImpl s = (RStoreImpl) rstore(rsdId);
        synchronized (allocLock) {
            checkOpen();
            Rsd r = s.rsd();
            int n = r.members();
            if (mask <= 0 || (mask >>> n) != 0) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "move of RSD " + rsdId + ": mask "
                        + Integer.toBinaryString(mask) + " names no member or members outside 0.." + (n - 1));
            }
            if (targetDrives == null || targetDrives.length != Integer.bitCount(mask)) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "move of RSD " + rsdId + ": targetDrives needs "
                        + Integer.bitCount(mask) + " drives, one per moving member");
            }
            Rss rss = rss(r.rssId(), false);
            int[] nd = r.drives();
            int[] np = r.psegs();
            Set<Integer> used = new HashSet<>();
            for (int m = 0; m < n; m++) {
                if ((mask & (1 << m)) == 0) {
                    used.add(r.drive(m));
                }
            }
            int k = 0;
            for (int m = 0; m < n; m++) {
                if ((mask & (1 << m)) == 0) {
                    continue;
                }
                int t = targetDrives[k++];
                String why = null;
                if (rss == null || rss.slotOf(t) < 0) {
                    why = "is not in RSS " + r.rssId();
                } else if (r.memberOnDrive(t) >= 0 || !used.add(t)) {
                    why = "already holds a member of the RStore";
                } else if (!eligible(t)) {
                    why = "is unavailable or being evacuated";
                } else if (alloc[t].free() == 0) {
                    throw new StorageException(ErrorCode.SPACE_ALLOCATION_FAILED, "move of RSD " + rsdId
                            + ": target drive " + t + " has no free PSEG");
                }
                if (why != null) {
                    throw new StorageException(ErrorCode.INVALID_ARGUMENT, "move of RSD " + rsdId + ": targetDrives["
                            + (k - 1) + "] = drive " + t + " " + why);
                }
                nd[m] = t;
            }
            for (int m = 0; m < n; m++) {
                if ((mask & (1 << m)) != 0) {
                    np[m] = alloc[nd[m]].allocate();
                }
            }
            MemberMigration mig = s.beginMigration(mask, nd, np);
            if (mig == null) {
                for (int m = 0; m < n; m++) {
                    if ((mask & (1 << m)) != 0) {
                        releaseLocked(PsegAddress.encode(nd[m], np[m]), 0, 0);
                    }
                }
                throw new StorageException(ErrorCode.BUSY, "move of RSD " + rsdId + ": a rebuild or another move"
                        + " is running on it (or it was freed)");
            }
            return new MemberMoveImpl(this, s, mig, r, mask, nd, np);
        }
    }

    // ------------------------------------------------------------------------ membership (DriveMembership)

    private final DriveMembership membership = new DriveMembership(this);

    @Override
    public int addDrive(DriveSpec spec) {
        return membership.addDrive(spec);
    }

    @Override
    public void removeDrive(int index) {
        membership.removeDrive(index);
    }

    void driveError(Drive d, Throwable cause) {
        stats.driveError();
    }

    // ------------------------------------------------------------------------ pool support

    /** Drives of this group in index order (removed ones included as REMOVED or null). */
    public Drive[] driveArray() {
        return drives.clone();
    }

    public List<String> problems() {
        synchronized (allocLock) {
            return new ArrayList<>(problems);
        }
    }

    /** Rss id and slot of drive {@code index}, or {-1,-1}. */
    public int[] rssOf(int index) {
        synchronized (allocLock) {
            for (Rss r : rssList) {
                int s = r.slotOf(index);
                if (s >= 0) {
                    return new int[] {r.id(), s};
                }
            }
            return new int[] {-1, -1};
        }
    }

    public String describe() {
        StringBuilder b = new StringBuilder();
        int[] perLevel = new int[RaidLevel.values().length];
        int degraded = 0;
        for (RStoreImpl s : rstores.values()) {
            perLevel[s.level().ordinal()]++;
            if (s.isDegraded()) {
                degraded++;
            }
        }
        b.append(String.format("disk group %d \"%s\": %d drives, PSEGs %d free of %d, RStores RAID0=%d RAID1=%d RAID5=%d"
                        + " (%d degraded)%n", id, name, drives().size(), freePsegs(), totalPsegs(), perLevel[0],
                perLevel[1], perLevel[2], degraded));
        for (int[] slots : rssSlots()) {
            b.append("  RSS slots (pairs 0/1, 2/3, ...): ").append(Arrays.toString(slots)).append('\n');
        }
        for (DriveInfo d : drives()) {
            b.append(String.format("  drive %2d %-9s %6d MiB  PSEGs %5d used of %5d  rss %d slot %2d  %s  %s%n", d.index(),
                    d.state(), d.capacity() >> 20, d.usedPsegs(), d.psegCount(), d.rssId(), d.rssSlot(), d.driveId(),
                    d.path()));
        }
        rebuilder.describe(b);
        for (String p : problems()) {
            b.append("  problem: ").append(p).append('\n');
        }
        return b.toString();
    }

    public void close() {
        closed = true;
        rebuilder.close();
        if (!rebuilder.resyncPending()) {
            intent.clearAll(); // a clean stop leaves the bitmap empty
        }
        intent.close();
        for (Drive d : drives) {
            if (d != null) {
                d.close();
            }
        }
        journal.close();
    }
}
