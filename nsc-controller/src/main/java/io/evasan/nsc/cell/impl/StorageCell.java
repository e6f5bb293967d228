package io.evasan.nsc.cell.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.Controller;
import io.evasan.nsc.api.Backup;
import io.evasan.nsc.api.BackupView;
import io.evasan.nsc.api.BgCopyView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.CellLog;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.Records;
import io.evasan.nsc.cell.CommandLog;
import io.evasan.mld.Mld;
import io.evasan.nsc.api.Controllers;
import io.evasan.nsc.api.CopyView;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DriveFile;
import io.evasan.nsc.api.DriveStatus;
import io.evasan.nsc.api.DriveView;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.Jobs;
import io.evasan.nsc.api.Luns;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.nsc.api.RebuildView;
import io.evasan.nsc.api.TreeDiskView;
import io.evasan.nsc.api.Trees;
import io.evasan.nsc.backup.impl.BackupLogicalUnit;
import io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.Rebuild;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.sharing.BgCopyProgress;
import io.evasan.sharing.DiskDescription;
import io.evasan.sharing.SharingTrees;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cell API ({@link Cell}) over one appliance's objects: the pool, the sharing trees, the controller and the
 * MLD (the launcher opens them and owns them: this object closes nothing). Each area delegates to the layer that
 * holds the state; views are taken at the call.
 *
 * <p>Invariant: every command that changes state appends its {@link CellRecord} to the controller's
 * {@link CommandLog} once it has succeeded, and a failed one appends nothing. Drive commands run one at a time,
 * and so do job controls, so the records of each kind are in the order they took effect.
 */
public final class StorageCell implements Cell, Luns, Drives, Jobs, Trees, Backup {
    private final Pool pool;
    private final SharingTrees trees;
    private final Controller controller;
    /** Rebuilds started through {@link #restoreDrive}, latest per disk group id. */
    private final Map<Integer, Rebuild> rebuilds = new ConcurrentHashMap<>();
    private final CellLeveling leveling = new CellLeveling();
    private final CommandLog log;
    /** The named records in the MLD, or null for a cell without one. */
    private final Records records;
    /** Drive and disk-group commands run under this lock, so their records are in effect order. */
    private final Object commands = new Object();
    /**
     * BGCOPY and LOP copy controls run under this one: a pause must not wait behind a drive evacuation, and the
     * records of the two kinds name different objects, so their relative order does not matter to a partner.
     */
    private final Object jobCommands = new Object();
    /** The controllers area (one controller or a pair). */
    private final Controllers controllers;
    private final CellHealth health;

    /** A cell without named records ({@link #records()} refuses): for stacks without an MLD. */
    public StorageCell(Pool pool, SharingTrees trees, Controller controller) {
        this(pool, trees, controller, null);
    }

    /** A cell whose named records live in {@code mld}. */
    public StorageCell(Pool pool, SharingTrees trees, Controller controller, Mld mld) {
        this(pool, trees, controller, mld == null ? null : new MldRecords(mld, controller.commandLog()), null);
    }

    /**
     * A cell of two controllers ({@code pair}, whose router is {@code controller}'s cache; null: one controller)
     * with named records in {@code records} (the same the pair keeps ownership in).
     */
    public StorageCell(Pool pool, SharingTrees trees, Controller controller, Records records,
                       io.evasan.nsc.cell.pair.ControllerPair pair) {
        this(pool, trees, controller, records, pair, null);
    }

    /**
     * A cell of two controllers whose drills act through {@code faults} (null: on {@code pair} itself; the clustered
     * cell's leader passes the one acting on the controller processes).
     */
    public StorageCell(Pool pool, SharingTrees trees, Controller controller, Records records,
                       io.evasan.nsc.cell.pair.ControllerPair pair, io.evasan.nsc.cell.drill.ControllerFaults faults) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.trees = Objects.requireNonNull(trees, "trees");
        this.controller = Objects.requireNonNull(controller, "controller");
        this.log = controller.commandLog();
        this.records = records;
        this.controllers = new CellControllers(controller, pair, faults, records, this);
        this.health = new CellHealth(pool, trees, controller, controllers);
    }

    @Override public Luns luns() { return this; }
    @Override public Drives drives() { return this; }
    @Override public Jobs jobs() { return this; }
    @Override public Backup backup() { return this; }
    @Override public Controllers controllers() { return controllers; }
    @Override public Trees trees() { return this; }
    @Override public io.evasan.nsc.api.Volumes volumes() { return controller; }
    @Override public CellLog log() { return log; }
    @Override public io.evasan.nsc.api.Health health() { return health; }

    @Override
    public Records records() {
        if (records == null) {
            throw new IllegalStateException("this cell was opened without an MLD: it keeps no named records");
        }
        return records;
    }

    // ---- Luns ----

    @Override
    public String raidLevel(LunRecord lun) {
        if (lun.kind() != LunRecord.Kind.PRIMARY || lun.disk() < 0) {
            return null;
        }
        RaidLevel l = trees.raidLevel(lun.disk());
        return l == null ? null : l.name();
    }

    @Override
    public String wwn(LunRecord lun) {
        return "naa." + java.util.HexFormat.of().formatHex(lun.naa(controller.poolIdentity()));
    }

    @Override
    public List<String> raidLevels() {
        return java.util.Arrays.stream(RaidLevel.values()).map(Enum::name).toList();
    }

    @Override
    public List<String> allocationPolicies() {
        return java.util.Arrays.stream(AllocationPolicy.values()).map(Enum::name).toList();
    }

    @Override
    public String defaultSnapshotPolicy() {
        return controller.defaultSnapshotPolicy().name();
    }

    @Override
    public LunRecord createLun(String name, long sizeBytes, String raid, int group) {
        return controller.createLun(name, sizeBytes, raid == null ? null : RaidLevel.valueOf(raid), group);
    }

    @Override
    public SnapshotMarker snapshot(String lun, String name, boolean snapclone, String policy, int group) {
        return controller.snapshot(lun, name, snapclone, AllocationPolicy.valueOf(policy), group);
    }

    @Override
    public SnapshotMarker snapshot(String lun, String name, boolean snapclone, String policy, int group,
                                   String mode, int quiesceThreshold) {
        return controller.snapshot(lun, name, snapclone, AllocationPolicy.valueOf(policy), group,
                mode == null ? null : io.evasan.sharing.SnapcloneMode.valueOf(mode), quiesceThreshold);
    }

    // ---- Drives ----

    @Override
    public String poolId() {
        return pool.id().toString();
    }

    @Override
    public Path poolDirectory() {
        return pool.directory();
    }

    @Override
    public List<DiskGroupView> diskGroups() {
        List<DiskGroupView> out = new ArrayList<>();
        for (DiskGroup g : pool.diskGroups()) {
            out.add(view(g));
        }
        return out;
    }

    @Override
    public Optional<DiskGroupView> diskGroup(int id) {
        DiskGroup g = find(id);
        return g == null ? Optional.empty() : Optional.of(view(g));
    }

    private DiskGroup find(int id) {
        for (DiskGroup g : pool.diskGroups()) {
            if (g.id() == id) {
                return g;
            }
        }
        return null;
    }

    private DiskGroup group(int id) {
        DiskGroup g = find(id);
        if (g == null) {
            throw new StorageException(ErrorCode.NOT_FOUND, "no disk group with id " + id);
        }
        return g;
    }

    private static DiskGroupView view(DiskGroup g) {
        List<DriveView> drives = new ArrayList<>();
        for (DriveInfo d : g.drives()) {
            drives.add(view(d));
        }
        return new DiskGroupView(g.id(), g.name(), g.totalPsegs(), g.freePsegs(), g.rebuildInProgress(),
                g.resyncInProgress(), drives);
    }

    static DriveView view(DriveInfo d) {
        return new DriveView(d.index(), d.driveId(), d.path(), DriveStatus.valueOf(d.state().name()), d.capacity(),
                d.psegCount(), d.usedPsegs(), d.rssId(), d.rssSlot());
    }

    private static DriveView current(DiskGroup g, int index) {
        for (DriveInfo d : g.drives()) {
            if (d.index() == index) {
                return view(d);
            }
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "drive " + index + " left disk group " + g.name());
    }

    @Override
    public DriveView addDrive(int group, DriveFile drive) {
        synchronized (commands) {
            DiskGroup g = group(group);
            int index = g.addDrive(DriveSpec.file(drive.path(), drive.sizeBytes()));
            DriveView v = current(g, index);
            log.append(new CellRecord.DriveAdded(g.id(), entry(v)));
            leveling.driveAdded(g);   // the new drive's share of the data moves to it
            return v;
        }
    }

    private static CellRecord.DriveEntry entry(DriveView v) {
        return new CellRecord.DriveEntry(v.index(), v.path().toString(), v.capacity());
    }

    @Override
    public DiskGroupView createDiskGroup(String name, List<DriveFile> drives) {
        List<DriveSpec> specs = new ArrayList<>();
        for (DriveFile f : drives) {
            specs.add(DriveSpec.file(f.path(), f.sizeBytes()));
        }
        synchronized (commands) {
            DiskGroupView g = view(pool.createDiskGroup(new GroupSpec(name, specs)));
            log.append(new CellRecord.DiskGroupCreated(g.id(), g.name(), g.drives().stream().map(StorageCell::entry).toList()));
            return g;
        }
    }

    @Override
    public void removeDrive(int group, int index) {
        synchronized (commands) {
            DiskGroup g = group(group);
            g.removeDrive(index);
            log.append(new CellRecord.DriveRemoved(g.id(), index));
        }
    }

    @Override
    public void failDrive(int group, int index) {
        synchronized (commands) {
            DiskGroup g = group(group);
            g.failDrive(index);
            log.append(new CellRecord.DriveFailed(g.id(), index));
        }
    }

    @Override
    public void pullDrive(int group, int index, boolean force) {
        synchronized (commands) {
            DiskGroup g = pullable(group, index, force);
            g.pullDrive(index);
            log.append(new CellRecord.DrivePulled(g.id(), index));
        }
    }

    @Override
    public void checkPull(int group, int index, boolean force) {
        synchronized (commands) {
            pullable(group, index, force);
        }
    }

    /** The group of drive {@code index} if it may be pulled now, else the refusal. */
    private DiskGroup pullable(int group, int index, boolean force) {
        DiskGroup g = group(group);
        DriveView now = current(g, index);
        if (now.state() != DriveStatus.AVAILABLE) {
            throw new StorageException(ErrorCode.INVALID_STATE, "drive " + index + " of disk group " + g.name()
                    + " is " + now.state() + ": only an AVAILABLE drive can be pulled");
        }
        List<Long> last = io.evasan.nsc.cell.drill.LastRedundancy.onDrive(g, index);
        if (!last.isEmpty() && !force) {
            List<String> units = health.unitsUsing(g.id(), last);
            throw new StorageException(ErrorCode.INVALID_STATE, "drive " + index + " of disk group " + g.name()
                    + " holds the last redundancy of " + last.size() + " RStore(s) (e.g. RSD " + last.get(0)
                    + "): pulling it would lose data of " + (units.isEmpty() ? "no LUN (unused space only)"
                    : "LUN(s) " + String.join(", ", units)) + "; force to pull it anyway");
        }
        return g;
    }

    @Override
    public RebuildView restoreDrive(int group, int index) {
        synchronized (commands) {
            DiskGroup g = group(group);
            Rebuild r = g.restoreDrive(index);
            rebuilds.put(g.id(), r);
            log.append(new CellRecord.DriveRestored(g.id(), index));
            return view(g, r);
        }
    }

    @Override
    public Optional<RebuildView> rebuild(int group) {
        Rebuild r = rebuilds.get(group);
        DiskGroup g = find(group);
        return r == null || g == null ? Optional.empty() : Optional.of(view(g, r));
    }

    @Override
    public Optional<io.evasan.nsc.api.LevelingView> leveling(int group) {
        DiskGroup g = find(group);
        return g == null ? Optional.empty() : leveling.view(g);
    }

    @Override
    public io.evasan.nsc.api.LevelingView startLeveling(int group) {
        return leveling.start(group(group));
    }

    @Override
    public io.evasan.nsc.api.LevelingView controlLeveling(int group, String action) {
        return leveling.control(group(group), action);
    }

    private static RebuildView view(DiskGroup g, Rebuild r) {
        boolean finished = r.isDone();   // read first: a finished rebuild's counters are final
        return new RebuildView(g.id(), g.name(), r.done(), r.total(), r.membersRebuilt(), finished, r.unrecoverable(),
                r.failure());
    }

    // ---- Jobs ----

    @Override
    public BgCopyView bgcopy(long disk) {
        return view(trees.bgcopyProgress(disk));
    }

    static BgCopyView view(BgCopyProgress p) {
        return p == null ? null : new BgCopyView(p.disk(), p.done(), p.total(), BgCopyView.State.valueOf(p.state().name()));
    }

    @Override
    public void pauseBgcopy(long disk) {
        synchronized (jobCommands) {
            trees.pauseBgcopy(disk);
            log.append(new CellRecord.BgcopyPaused(disk));
        }
    }

    @Override
    public void resumeBgcopy(long disk) {
        synchronized (jobCommands) {
            trees.resumeBgcopy(disk);
            log.append(new CellRecord.BgcopyResumed(disk));
        }
    }

    // ---- Trees ----

    @Override
    public int segmentBytes() {
        return trees.segmentBytes();
    }

    @Override
    public int diskGroupOf(long disk) {
        return trees.diskGroup(disk);
    }

    @Override
    public List<TreeDiskView> describe(long disk) {
        List<TreeDiskView> out = new ArrayList<>();
        for (DiskDescription d : trees.describe(disk).disks()) {
            out.add(new TreeDiskView(d.id(), d.kind().name(), d.policy() == null ? null : d.policy().name(), d.position(),
                    d.segments(), d.sharedWithPredecessor(), d.sharedWithSuccessor(), d.privateSegments(),
                    d.zeroSegments(), d.valid(), view(d.bgcopy())));
        }
        return out;
    }

    // ---- Backup ----

    @Override
    public BackupView state() {
        SnapshotBackupEngineImpl e = controller.backupEngine();
        BackupLogicalUnit log = e.logUnit();
        SnapshotBackupEngineImpl.CopyProgress p = e.copyProgress();
        CopyView copy = p == null ? null : new CopyView(p.destinationLunId(), p.done(), p.total(), p.copied(),
                p.running(), p.paused(), p.status(), p.incremental(), p.status() == DcmdCodes.LOP_STATUS_COMPLETED,
                p.status() == DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND);
        return new BackupView(e.state().name(), e.activePrimary(), e.activeSnapshotDisk(),
                log == null ? null : log.record().name(), log == null ? -1 : log.record().sizeBytes(),
                e.logUsedSegments(), e.logCapacitySegments(), e.lastCopiedSegments(), copy);
    }

    @Override
    public Optional<String> logLun() {
        BackupLogicalUnit log = controller.backupEngine().logUnit();
        return log == null ? Optional.empty() : Optional.of(log.record().name());
    }

    @Override
    public void pauseCopy() {
        synchronized (jobCommands) {
            controller.backupEngine().pauseCopy();
            log.append(new CellRecord.BackupCopyPaused());
        }
    }

    @Override
    public void resumeCopy() {
        synchronized (jobCommands) {
            controller.backupEngine().resumeCopy();
            log.append(new CellRecord.BackupCopyResumed());
        }
    }

    @Override
    public boolean cancelCopy() {
        synchronized (jobCommands) {
            boolean cancelled = controller.backupEngine().cancelCopy();
            if (cancelled) {
                log.append(new CellRecord.BackupCopyCancelled());
            }
            return cancelled;
        }
    }

}
