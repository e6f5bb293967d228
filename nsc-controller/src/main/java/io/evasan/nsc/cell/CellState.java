package io.evasan.nsc.cell;

import io.evasan.nsc.api.BgCopyView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.CellRecord.*;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DriveView;
import io.evasan.nsc.api.TreeDiskView;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cell's command-path state as a partner controller holds it: the LUN table (LUNs, snapshots,
 * presentations), the named records, the disk groups and their drives, the paused BGCOPYs and the snapshot
 * backup session — built by applying committed {@link CellRecord}s in sequence order on top of a state taken
 * from a live cell ({@link #capture}), the way Ratis' {@code StateMachine.applyTransaction} applies committed
 * log entries over an installed snapshot.
 *
 * <p>Invariants: {@link #apply} is deterministic (no clock, no random draw, no I/O) and all-or-nothing: a
 * record that does not fit the state (a gap in the sequence, a LUN created twice, a presentation of an
 * unknown unit, ...) is refused with {@link IllegalStateException} naming the record, and the state is left
 * as it was — so a partner that diverged says so at the first record instead of drifting. Two states are equal
 * when their {@link #describe()} texts are equal; the text is canonical (sorted) and names every fact.
 */
public final class CellState {
    /** A LUN of the table. */
    public record Lun(int id, String name, LunKind kind, long uid, long disk, long sizeBytes, int group) {
    }

    /** A snapshot or snapclone of the table. */
    public record Snapshot(int id, String name, int lunId, long disk, long requestId, boolean snapclone,
                           long createdMillis, long uid, long sizeBytes, int group, String policy) {
    }

    /** A drive of a disk group. */
    public record Drive(int index, String path, long sizeBytes, String status) {
    }

    private final TreeMap<Integer, Lun> luns = new TreeMap<>();
    private final TreeMap<Integer, Snapshot> snapshots = new TreeMap<>();
    /** "initiator|hostLun" to unit id. */
    private final TreeMap<String, Integer> presentations = new TreeMap<>();
    /** kind to key to hex value. */
    private final TreeMap<String, TreeMap<String, String>> records = new TreeMap<>();
    private final TreeMap<Integer, String> groupNames = new TreeMap<>();
    private final TreeMap<Integer, TreeMap<Integer, Drive>> drives = new TreeMap<>();
    private final TreeSet<Long> pausedBgcopies = new TreeSet<>();
    private int backupLun = -1;
    private long lastSeq;

    /** The sequence number of the last record applied (that of the capture for a fresh capture). */
    public long lastSeq() {
        return lastSeq;
    }

    /**
     * The state of a live cell now, as of its log's {@code lastSeq}; the named records of the given kinds only
     * (the record store lists keys by kind). The caller makes sure no command runs meanwhile.
     */
    public static CellState capture(Cell cell, Collection<String> recordKinds) {
        CellState s = new CellState();
        s.lastSeq = cell.log().lastSeq();
        var ctl = cell.volumes();
        for (LunRecord r : ctl.listLuns()) {
            int group = r.kind() == LunRecord.Kind.PRIMARY ? cell.trees().diskGroupOf(r.disk()) : -1;
            s.luns.put(r.id(), new Lun(r.id(), r.name(), LunKind.valueOf(r.kind().name()), r.uid(), r.disk(),
                    r.sizeBytes(), group));
        }
        for (SnapshotRecord r : ctl.listSnapshots()) {
            String policy = null;
            for (TreeDiskView d : cell.trees().describe(r.disk())) {
                if (d.id() == r.disk()) {
                    policy = d.policy();
                }
            }
            s.snapshots.put(r.id(), new Snapshot(r.id(), r.name(), r.lunId(), r.disk(), r.requestId(), r.snapclone(),
                    r.createdMillis(), r.uid(), r.sizeBytes(), cell.trees().diskGroupOf(r.disk()), policy));
            if (r.snapclone()) {
                BgCopyView b = cell.jobs().bgcopy(r.disk());
                if (b != null && b.state() == BgCopyView.State.PAUSED) {
                    s.pausedBgcopies.add(r.disk());
                }
            }
        }
        for (Presentation p : ctl.listPresentations()) {
            s.presentations.put(p.initiator() + "|" + p.hostLun(), p.lunId());
        }
        for (String kind : recordKinds) {
            for (String key : cell.records().keys(kind)) {
                cell.records().get(kind, key).ifPresent(v ->
                        s.records.computeIfAbsent(kind, k -> new TreeMap<>()).put(key, HexFormat.of().formatHex(v)));
            }
        }
        for (DiskGroupView g : cell.drives().diskGroups()) {
            s.groupNames.put(g.id(), g.name());
            TreeMap<Integer, Drive> ds = s.drives.computeIfAbsent(g.id(), k -> new TreeMap<>());
            for (DriveView d : g.drives()) {
                ds.put(d.index(), new Drive(d.index(), d.path().toString(), d.capacity(), d.state().name()));
            }
        }
        s.backupLun = cell.backup().state().activePrimary();
        return s;
    }

    /**
     * What a restart of the controller does to the command-path state, with no record: it ends an active seed-003
     * snapshot backup (the controller deletes the backup snapshot at open). Everything else persists.
     */
    public void restarted() {
        backupLun = -1;
    }

    /** A copy of this state (to apply records to without touching this one). */
    public CellState copy() {
        CellState c = new CellState();
        c.assign(this);
        return c;
    }

    /** Makes this state a deep copy of {@code from}. */
    private void assign(CellState from) {
        luns.clear();
        luns.putAll(from.luns);
        snapshots.clear();
        snapshots.putAll(from.snapshots);
        presentations.clear();
        presentations.putAll(from.presentations);
        records.clear();
        from.records.forEach((k, v) -> records.put(k, new TreeMap<>(v)));
        groupNames.clear();
        groupNames.putAll(from.groupNames);
        drives.clear();
        from.drives.forEach((k, v) -> drives.put(k, new TreeMap<>(v)));
        pausedBgcopies.clear();
        pausedBgcopies.addAll(from.pausedBgcopies);
        backupLun = from.backupLun;
        lastSeq = from.lastSeq;
    }

    /**
     * Applies committed record {@code c}, which must be the next in sequence.
     *
     * @throws IllegalStateException when it is not the next or does not fit the state (nothing changed)
     */
    public void apply(CellRecord.Committed c) {
        if (c.seq() != lastSeq + 1) {
            throw new IllegalStateException("record " + c.seq() + " applied after " + lastSeq + ": a gap or a repeat");
        }
        CellState next = copy();
        try {
            next.change(c.record());
        } catch (IllegalStateException e) {
            throw new IllegalStateException("record " + c.seq() + " " + c.record() + " does not apply: " + e.getMessage(), e);
        }
        next.lastSeq = c.seq();
        assign(next);
    }

    private void change(CellRecord record) {
        switch (record.type()) {
            case LUN_CREATED -> {
                LunCreated r = (LunCreated) record;
                check(!luns.containsKey(r.id()) && !snapshots.containsKey(r.id()), "unit id " + r.id() + " is taken");
                check(lunNamed(r.name()) == null && snapshotNamed(r.name()) == null, "name " + r.name() + " is taken");
                luns.put(r.id(), new Lun(r.id(), r.name(), r.kind(), r.uid(), r.disk(), r.sizeBytes(), r.group()));
            }
            case LUN_DELETED -> {
                LunDeleted r = (LunDeleted) record;
                lun(r.id(), r.name());
                removeLun(r.id());
            }
            case LUN_RESIZED -> {
                LunResized r = (LunResized) record;
                Lun l = lun(r.id(), r.name());
                luns.put(l.id(), new Lun(l.id(), l.name(), l.kind(), l.uid(), l.disk(), r.sizeBytes(), l.group()));
            }
            case PRESENTED -> {
                Presented r = (Presented) record;
                check(luns.containsKey(r.unitId()) || snapshots.containsKey(r.unitId()), "no unit " + r.unitId());
                Integer was = presentations.putIfAbsent(r.initiator() + "|" + r.hostLun(), r.unitId());
                check(was == null, r.initiator() + " host LUN " + r.hostLun() + " already presents unit " + was);
            }
            case UNPRESENTED -> {
                Unpresented r = (Unpresented) record;
                Integer was = presentations.remove(r.initiator() + "|" + r.hostLun());
                check(was != null && was == r.unitId(), r.initiator() + " host LUN " + r.hostLun() + " presents " + was
                        + ", not unit " + r.unitId());
            }
            case SNAPSHOT_TAKEN -> {
                SnapshotTaken r = (SnapshotTaken) record;
                check(luns.containsKey(r.lunId()), "no LUN " + r.lunId());
                check(!luns.containsKey(r.id()) && !snapshots.containsKey(r.id()), "unit id " + r.id() + " is taken");
                check(snapshotNamed(r.name()) == null, "snapshot name " + r.name() + " is taken");
                snapshots.put(r.id(), new Snapshot(r.id(), r.name(), r.lunId(), r.disk(), r.requestId(), r.snapclone(),
                        r.createdMillis(), r.uid(), r.sizeBytes(), r.group(), r.policy()));
            }
            case SNAPSHOT_DELETED -> {
                SnapshotDeleted r = (SnapshotDeleted) record;
                snapshot(r.id(), r.name());
                removeSnapshot(r.id());
            }
            case SNAPCLONE_PROMOTED -> {
                SnapclonePromoted r = (SnapclonePromoted) record;
                Snapshot s = snapshot(r.id(), r.snapshot());
                check(s.snapclone(), r.snapshot() + " is not a snapclone");
                check(lunNamed(r.lun()) == null, "LUN name " + r.lun() + " is taken");
                snapshots.remove(s.id());
                pausedBgcopies.remove(s.disk());
                luns.put(s.id(), new Lun(s.id(), r.lun(), LunKind.PRIMARY, s.uid(), s.disk(), s.sizeBytes(), s.group()));
            }
            case QUARANTINE_REPAIRED -> {
                QuarantineRepaired r = (QuarantineRepaired) record;
                switch (r.kind()) {
                    case LUN -> removeLun(r.unitId());
                    case SNAPSHOT -> removeSnapshot(r.unitId());
                    case DISK -> { }
                }
            }
            case LUN_ROLLED_BACK -> {
                LunRolledBack r = (LunRolledBack) record;
                lun(r.lunId(), r.lun());
                check(snapshot(r.snapshotId(), r.snapshot()).lunId() == r.lunId(), r.snapshot() + " is not of " + r.lun());
            }
            case RECORD_PUT -> {
                RecordPut r = (RecordPut) record;
                records.computeIfAbsent(r.kind(), k -> new TreeMap<>()).put(r.key(), HexFormat.of().formatHex(r.value()));
            }
            case RECORD_REMOVED -> {
                RecordRemoved r = (RecordRemoved) record;
                TreeMap<String, String> kind = records.get(r.kind());
                check(kind != null && kind.remove(r.key()) != null, "no record " + r.kind() + "/" + r.key());
                if (kind.isEmpty()) {
                    records.remove(r.kind());
                }
            }
            case DISK_GROUP_CREATED -> {
                DiskGroupCreated r = (DiskGroupCreated) record;
                check(!groupNames.containsKey(r.id()), "disk group " + r.id() + " exists");
                groupNames.put(r.id(), r.name());
                TreeMap<Integer, Drive> ds = new TreeMap<>();
                for (DriveEntry d : r.drives()) {
                    ds.put(d.index(), new Drive(d.index(), d.path(), d.sizeBytes(), "AVAILABLE"));
                }
                drives.put(r.id(), ds);
            }
            case DRIVE_ADDED -> {
                DriveAdded r = (DriveAdded) record;
                TreeMap<Integer, Drive> ds = group(r.group());
                check(!ds.containsKey(r.drive().index()), "drive " + r.drive().index() + " exists");
                ds.put(r.drive().index(), new Drive(r.drive().index(), r.drive().path(), r.drive().sizeBytes(), "AVAILABLE"));
            }
            case DRIVE_REMOVED -> {
                DriveRemoved r = (DriveRemoved) record;
                check(group(r.group()).remove(r.index()) != null, "no drive " + r.index());
            }
            case DRIVE_FAILED -> setDrive((DriveFailed) record);
            case DRIVE_PULLED -> {
                DrivePulled r = (DrivePulled) record;
                Drive d = group(r.group()).get(r.index());
                check(d != null, "no drive " + r.index());
                group(r.group()).put(r.index(), new Drive(d.index(), d.path(), d.sizeBytes(), "MISSING"));
            }
            case DRIVE_RESTORED -> {
                DriveRestored r = (DriveRestored) record;
                Drive d = group(r.group()).get(r.index());
                check(d != null, "no drive " + r.index());
                group(r.group()).put(r.index(), new Drive(d.index(), d.path(), d.sizeBytes(), "AVAILABLE"));
            }
            case BGCOPY_PAUSED -> {
                BgcopyPaused r = (BgcopyPaused) record;
                check(cloneOnDisk(r.disk()), "no snapclone on disk " + r.disk());
                pausedBgcopies.add(r.disk());
            }
            case BGCOPY_RESUMED -> {
                BgcopyResumed r = (BgcopyResumed) record;
                check(cloneOnDisk(r.disk()), "no snapclone on disk " + r.disk());
                pausedBgcopies.remove(r.disk());
            }
            case BACKUP_INITIATED -> {
                BackupInitiated r = (BackupInitiated) record;
                check(backupLun < 0, "a backup of unit " + backupLun + " is active");
                lun(r.lunId(), r.lun());
                backupLun = r.lunId();
            }
            case BACKUP_TERMINATED -> {
                check(backupLun >= 0, "no backup is active");
                backupLun = -1;
            }
            case BACKUP_COPY_STARTED, BACKUP_COPY_PAUSED, BACKUP_COPY_RESUMED, BACKUP_COPY_CANCELLED ->
                    check(record.type() != CellRecord.Type.BACKUP_COPY_STARTED || backupLun >= 0, "no backup is active");
        }
    }

    private void setDrive(DriveFailed r) {
        Drive d = group(r.group()).get(r.index());
        check(d != null, "no drive " + r.index());
        group(r.group()).put(r.index(), new Drive(d.index(), d.path(), d.sizeBytes(), "FAILED"));
    }

    private boolean cloneOnDisk(long disk) {
        return snapshots.values().stream().anyMatch(s -> s.snapclone() && s.disk() == disk);
    }

    private void removeLun(int id) {
        Lun l = luns.remove(id);
        check(l != null, "no LUN " + id);
        presentations.values().removeIf(u -> u == id);
        List<Integer> gone = new ArrayList<>();
        for (Snapshot s : snapshots.values()) {
            if (s.lunId() == id) {
                gone.add(s.id());
            }
        }
        for (int s : gone) {
            removeSnapshot(s);
        }
        if (backupLun == id) {
            backupLun = -1;   // the engine ends the session of a deleted LUN
        }
    }

    private void removeSnapshot(int id) {
        Snapshot s = snapshots.remove(id);
        check(s != null, "no snapshot " + id);
        presentations.values().removeIf(u -> u == id);
        pausedBgcopies.remove(s.disk());
    }

    private Lun lun(int id, String name) {
        Lun l = luns.get(id);
        check(l != null && l.name().equals(name), "no LUN " + id + " named " + name + " (have " + l + ")");
        return l;
    }

    private Snapshot snapshot(int id, String name) {
        Snapshot s = snapshots.get(id);
        check(s != null && s.name().equals(name), "no snapshot " + id + " named " + name + " (have " + s + ")");
        return s;
    }

    private Lun lunNamed(String name) {
        return luns.values().stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
    }

    private Snapshot snapshotNamed(String name) {
        return snapshots.values().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    private TreeMap<Integer, Drive> group(int id) {
        TreeMap<Integer, Drive> ds = drives.get(id);
        check(ds != null, "no disk group " + id);
        return ds;
    }

    private static void check(boolean ok, String why) {
        if (!ok) {
            throw new IllegalStateException(why);
        }
    }

    /** Every fact of the state, one per line, sorted: equal texts, equal states (the sequence number aside). */
    public String describe() {
        StringBuilder b = new StringBuilder();
        luns.values().forEach(l -> b.append(l).append('\n'));
        snapshots.values().forEach(s -> b.append(s).append('\n'));
        presentations.forEach((k, v) -> b.append("Presentation[").append(k).append(" -> ").append(v).append("]\n"));
        records.forEach((k, m) -> m.forEach((key, v) -> b.append("Record[").append(k).append('/').append(key)
                .append(" = ").append(v).append("]\n")));
        groupNames.forEach((id, name) -> b.append("DiskGroup[").append(id).append(' ').append(name).append("]\n"));
        drives.forEach((g, ds) -> ds.values().forEach(d -> b.append("Group ").append(g).append(' ').append(d).append('\n')));
        pausedBgcopies.forEach(d -> b.append("PausedBgcopy[").append(d).append("]\n"));
        b.append("Backup[").append(backupLun).append("]\n");
        return b.toString();
    }

    /** The LUNs by id (a view). */
    public Map<Integer, Lun> luns() {
        return java.util.Collections.unmodifiableMap(luns);
    }

    /** The snapshots by id (a view). */
    public Map<Integer, Snapshot> snapshots() {
        return java.util.Collections.unmodifiableMap(snapshots);
    }

    @Override
    public String toString() {
        return "CellState@" + lastSeq + "\n" + describe();
    }
}
