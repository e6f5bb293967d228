package io.evasan.nsc.cell.impl;

import io.evasan.error.StorageException;
import io.evasan.nsc.api.CacheView;
import io.evasan.nsc.api.Controllers;
import io.evasan.nsc.api.Health;
import io.evasan.nsc.api.HealthState;
import io.evasan.nsc.api.LbaRange;
import io.evasan.nsc.api.NscView;
import io.evasan.nsc.api.ObjectHealth;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.rsd.Rsd;
import io.evasan.sharing.DiskDescription;
import io.evasan.sharing.SharingTrees;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The cell's {@link Health}: each call derives every object's state from the layers below — drive states,
 * the members of each RStore (stale bits, drive availability: degraded when one is unusable, lost data when
 * {@link io.evasan.raid.rstore.RStore#lostRanges()} is not empty), the sharing tree (which RStores a LUN or
 * snapshot reads from, the lost byte ranges of its disk, snapshot validity), controller and cache-mirror state.
 *
 * <p>Invariant: reads only; a LUN is FAILED with its lost block ranges exactly when a read of those blocks
 * answers UNRECOVERABLE_READ (03/11/00) now, DEGRADED when it reads from an RStore running without full
 * redundancy; a disk group at or above {@link #FULL_PERCENT} % of its capacity is DEGRADED.
 */
final class CellHealth implements Health {
    /** Disk group fill level (per cent of PSEGs used) from which the group reports DEGRADED. */
    static final int FULL_PERCENT = 90;

    private final Pool pool;
    private final SharingTrees trees;
    private final Volumes volumes;
    private final Controllers controllers;

    CellHealth(Pool pool, SharingTrees trees, Volumes volumes, Controllers controllers) {
        this.pool = pool;
        this.trees = trees;
        this.volumes = volumes;
        this.controllers = controllers;
    }

    /** What the RStores of one disk group look like now. */
    private record GroupState(Set<Long> degraded, Set<Long> lost, Map<Integer, HealthState> rss,
                              Map<Integer, String> rssReason) {
    }

    @Override
    public List<ObjectHealth> objects() {
        List<ObjectHealth> out = new ArrayList<>();
        List<ObjectHealth> groups = new ArrayList<>();
        List<ObjectHealth> rsss = new ArrayList<>();
        Map<Integer, GroupState> states = new TreeMap<>();
        for (DiskGroup g : pool.diskGroups()) {
            GroupState gs = groupState(g);
            states.put(g.id(), gs);
            drives(g, out);
            for (Map.Entry<Integer, HealthState> e : gs.rss().entrySet()) {
                rsss.add(new ObjectHealth("rss", g.id() + "/" + e.getKey(), g.name() + " RSS " + e.getKey(), e.getValue(),
                        gs.rssReason().getOrDefault(e.getKey(), ""), List.of()));
            }
            groups.add(group(g, gs));
        }
        out.addAll(rsss);
        out.addAll(groups);
        units(states, out);
        controllers(out);
        return out;
    }

    @Override
    public List<String> unitsUsing(int group, List<Long> rsdIds) {
        Set<Long> wanted = new HashSet<>(rsdIds);
        Set<String> names = new java.util.TreeSet<>();
        for (LunRecord l : volumes.listLuns()) {
            if (reads(l.disk(), group, wanted)) {
                names.add(l.name());
            }
        }
        for (SnapshotRecord s : volumes.listSnapshots()) {
            if (reads(s.disk(), group, wanted)) {
                names.add(s.name());
            }
        }
        return List.copyOf(names);
    }

    private boolean reads(long disk, int group, Set<Long> rsdIds) {
        try {
            if (trees.diskGroup(disk) != group) {
                return false;
            }
            for (long id : trees.rstoreIds(disk)) {
                if (rsdIds.contains(id)) {
                    return true;
                }
            }
            return false;
        } catch (StorageException e) {
            return false;
        }
    }

    private static GroupState groupState(DiskGroup g) {
        Set<Integer> away = new HashSet<>();
        for (DriveInfo d : g.drives()) {
            if (d.state() != DriveState.AVAILABLE && d.state() != DriveState.REMOVED) {
                away.add(d.index());
            }
        }
        Set<Long> degraded = new HashSet<>();
        Set<Long> lost = new HashSet<>();
        Map<Integer, HealthState> rss = new TreeMap<>();
        Map<Integer, String> reason = new TreeMap<>();
        for (DriveInfo d : g.drives()) {
            if (d.state() != DriveState.REMOVED && d.rssId() >= 0) {
                rss.putIfAbsent(d.rssId(), HealthState.OK);
                if (away.contains(d.index())) {
                    rss.put(d.rssId(), HealthState.DEGRADED);
                    reason.putIfAbsent(d.rssId(), "drive " + d.index() + " is " + d.state());
                }
            }
        }
        for (long id : g.rsdIds()) {
            Rsd r;
            try {
                r = g.rsd(id);
            } catch (StorageException e) {
                continue;   // freed meanwhile
            }
            boolean down = false;
            for (int m = 0; m < r.members(); m++) {
                down |= r.isStale(m) || away.contains(r.drive(m));
            }
            if (!down) {
                continue;
            }
            degraded.add(id);
            if (!g.rstore(id).lostRanges().isEmpty()) {
                lost.add(id);
                rss.put(r.rssId(), HealthState.FAILED);
                reason.put(r.rssId(), "RStore " + id + " (" + r.level() + ") lost data");
            } else if (rss.getOrDefault(r.rssId(), HealthState.OK) == HealthState.OK) {
                rss.put(r.rssId(), HealthState.DEGRADED);
                reason.put(r.rssId(), "RStore " + id + " (" + r.level() + ") runs without full redundancy");
            }
        }
        return new GroupState(degraded, lost, rss, reason);
    }

    private static void drives(DiskGroup g, List<ObjectHealth> out) {
        for (DriveInfo d : g.drives()) {
            if (d.state() == DriveState.REMOVED) {
                continue;
            }
            HealthState s = d.state() == DriveState.AVAILABLE ? HealthState.OK : HealthState.FAILED;
            out.add(new ObjectHealth("drive", g.id() + "/" + d.index(), g.name() + " drive " + d.index(), s,
                    s == HealthState.OK ? "" : "drive is " + d.state(), List.of()));
        }
    }

    private static ObjectHealth group(DiskGroup g, GroupState gs) {
        HealthState s = HealthState.OK;
        List<String> why = new ArrayList<>();
        if (!gs.lost().isEmpty()) {
            s = HealthState.FAILED;
            why.add(gs.lost().size() + " RStore(s) lost data");
        }
        long away = g.drives().stream().filter(d -> d.state() != DriveState.AVAILABLE && d.state() != DriveState.REMOVED).count();
        if (away > 0) {
            s = s.worst(HealthState.DEGRADED);
            why.add(away + " drive(s) failed or missing");
        }
        int degradedOnly = gs.degraded().size() - gs.lost().size();
        if (degradedOnly > 0) {
            s = s.worst(HealthState.DEGRADED);
            why.add(degradedOnly + " RStore(s) without full redundancy");
        }
        if (g.rebuildInProgress()) {
            s = s.worst(HealthState.DEGRADED);
            why.add("rebuild in progress");
        }
        long total = g.totalPsegs();
        long percent = total == 0 ? 0 : (total - g.freePsegs()) * 100 / total;
        if (percent >= FULL_PERCENT) {
            s = s.worst(HealthState.DEGRADED);
            why.add(percent + " % full");
        }
        return new ObjectHealth("disk-group", String.valueOf(g.id()), g.name(), s, String.join("; ", why), List.of());
    }

    private void units(Map<Integer, GroupState> states, List<ObjectHealth> out) {
        Set<Long> lostIds = new HashSet<>();       // every group's, once for all units
        Set<Long> degradedIds = new HashSet<>();
        for (GroupState gs : states.values()) {
            lostIds.addAll(gs.lost());
            degradedIds.addAll(gs.degraded());
        }
        for (LunRecord l : volumes.listLuns()) {
            out.add(unit("lun", l.id(), l.name(), l.disk(), lostIds, degradedIds, true));
        }
        for (SnapshotRecord s : volumes.listSnapshots()) {
            out.add(unit("snapshot", s.id(), s.name(), s.disk(), lostIds, degradedIds, false));
        }
    }

    private ObjectHealth unit(String kind, int id, String name, long disk, Set<Long> lostIds, Set<Long> degradedIds,
                              boolean lun) {
        String sid = String.valueOf(id);
        if (volumes.isQuarantined(id)) {
            return new ObjectHealth(kind, sid, name, HealthState.FAILED, "quarantined (see the quarantine list)", List.of());
        }
        try {
            if (!lun) {
                String invalid = invalidation(disk);
                if (invalid != null) {
                    return new ObjectHealth(kind, sid, name, HealthState.FAILED, invalid, List.of());
                }
            }
            if (degradedIds.isEmpty()) {   // every RStore has full redundancy
                return new ObjectHealth(kind, sid, name, HealthState.OK, "", List.of());
            }
            List<LbaRange> lost = new ArrayList<>();
            long blocks = 0;
            if (!lostIds.isEmpty()) {
                for (long[] r : trees.lostRanges(disk)) {
                    LbaRange x = new LbaRange(r[0] / 512, (r[1] - r[0]) / 512);
                    lost.add(x);
                    blocks += x.blocks();
                }
            }
            if (!lost.isEmpty()) {
                return new ObjectHealth(kind, sid, name, HealthState.FAILED, "data lost: " + blocks + " blocks in "
                        + lost.size() + " range(s) read 03/11/00 (unrecovered read error)", lost);
            }
            for (long r : trees.rstoreIds(disk)) {
                if (degradedIds.contains(r)) {
                    return new ObjectHealth(kind, sid, name, HealthState.DEGRADED,
                            "reads from RStore " + r + ", which runs without full redundancy", List.of());
                }
            }
            return new ObjectHealth(kind, sid, name, HealthState.OK, "", List.of());
        } catch (StorageException e) {
            return new ObjectHealth(kind, sid, name, HealthState.FAILED, e.getMessage(), List.of());
        }
    }

    /** The reason a snapshot's disk is invalid (copy-before-write could not preserve it), or null when valid. */
    private String invalidation(long disk) {
        for (DiskDescription d : trees.describe(disk).disks()) {
            if (d.id() == disk && !d.valid()) {
                return "invalidated: its preserved data could not be kept";
            }
        }
        return null;
    }

    private void controllers(List<ObjectHealth> out) {
        for (NscView n : controllers.nscs()) {
            HealthState s;
            String why;
            switch (n.state()) {
                case ONLINE -> {
                    s = n.mirrorLost() == null ? HealthState.OK : HealthState.DEGRADED;
                    why = n.mirrorLost() == null ? "" : "cache unmirrored: " + n.mirrorLost();
                }
                case RESYNCHRONIZING -> {
                    s = HealthState.DEGRADED;
                    why = "resynchronizing its cache mirror";
                }
                default -> {
                    s = HealthState.FAILED;
                    why = "controller is " + n.state() + (n.takeovers() > 0 ? " (its LUNs were taken over)" : "");
                }
            }
            out.add(new ObjectHealth("controller", n.id().name(), "controller " + n.id().name(), s, why, List.of()));
        }
        CacheView c = controllers.cache();
        HealthState s = c.mirrorLost() == null ? HealthState.OK : HealthState.DEGRADED;
        out.add(new ObjectHealth("cache", "write-cache", "write cache", s,
                c.mirrorLost() == null ? "" : "cache unmirrored: " + c.mirrorLost(), List.of()));
    }
}
