package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.PerfHistory.Resolution;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.TreeDiskView;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Capacity as the cell reports it now, and its history: per LUN the allocated bytes (segments of its sharing-tree
 * disk that hold data, i.e. not zero), per snapshot the private bytes (segments holding an RSEG of their own), per
 * disk group used / free / capacity, the provisioned bytes (sum of the sizes of its LUNs) and the thin overcommit
 * ratio provisioned / capacity, with the {@link CapacityForecast} from the group's 5 min capacity history (series
 * {@code group/<name>}, recorded by {@link #record} once per 5 min window). Invariant: every figure is read from the
 * cell at the call; nothing is cached between calls but the last window recorded.
 */
final class CapacityView {
    static final long PSEG_BYTES = 2L << 20;
    private final Cell cell;
    private long recorded = Long.MIN_VALUE;

    CapacityView(Cell cell) {
        this.cell = cell;
    }

    /** Records each disk group's capacity point of the 5 min window holding {@code now}, once per window. */
    synchronized int record(PerfHistory history, long now) {
        long start = Resolution.FIVE_MINUTES.floor(now);
        if (start == recorded) {
            return 0;
        }
        int n = 0;
        Map<Integer, Long> provisioned = provisioned();
        for (DiskGroupView g : cell.drives().diskGroups()) {
            n += history.putCapacity("group/" + g.name(), Resolution.FIVE_MINUTES, point(g, provisioned, start)) ? 1 : 0;
        }
        recorded = start;
        return n;
    }

    private static CapacityPoint point(DiskGroupView g, Map<Integer, Long> provisioned, long start) {
        return new CapacityPoint(start, (g.totalPsegs() - g.freePsegs()) * PSEG_BYTES, g.totalPsegs() * PSEG_BYTES,
                provisioned.getOrDefault(g.id(), 0L));
    }

    /** Sum of LUN sizes per disk group id. */
    private Map<Integer, Long> provisioned() {
        Map<Integer, Long> m = new HashMap<>();
        for (LunRecord l : cell.volumes().listLuns()) {
            if (l.kind() != LunRecord.Kind.PRIMARY) {
                continue;
            }
            try {
                m.merge(cell.trees().diskGroupOf(l.disk()), l.sizeBytes(), Long::sum);
            } catch (StorageException e) {
                // deleted concurrently
            }
        }
        return m;
    }

    /** The GET /api/capacity body at {@code now}. */
    JsonObject body(PerfHistory history, long now) {
        long seg = cell.trees().segmentBytes();
        Map<Long, TreeDiskView> disks = new HashMap<>();
        JsonArray luns = new JsonArray();
        Map<Integer, String> lunNames = new HashMap<>();
        for (LunRecord l : cell.volumes().listLuns()) {
            lunNames.put(l.id(), l.name());
            if (l.kind() != LunRecord.Kind.PRIMARY) {
                continue;
            }
            JsonObject o = new JsonObject().put("name", l.name()).put("sizeBytes", l.sizeBytes());
            try {
                for (TreeDiskView d : cell.trees().describe(l.disk())) {
                    disks.put(d.id(), d);
                }
                TreeDiskView d = disks.get(l.disk());
                o.put("allocatedBytes", d == null ? null : (d.segments() - d.zeroSegments()) * seg);
            } catch (StorageException e) {
                o.put("allocatedBytes", (Object) null); // deleted, or quarantined: no tree to read
            }
            luns.add(o);
        }
        JsonArray snaps = new JsonArray();
        for (SnapshotRecord s : cell.volumes().listSnapshots()) {
            TreeDiskView d = disks.get(s.disk());
            if (d == null) { // a snapclone detached into a tree of its own
                try {
                    for (TreeDiskView t : cell.trees().describe(s.disk())) {
                        disks.put(t.id(), t);
                    }
                } catch (StorageException e) {
                    // deleted concurrently
                }
                d = disks.get(s.disk());
            }
            snaps.add(new JsonObject().put("name", s.name()).put("lun", lunNames.get(s.lunId()))
                    .put("privateBytes", d == null ? null : d.privateSegments() * seg));
        }
        JsonArray groups = new JsonArray();
        Map<Integer, Long> provisioned = provisioned();
        for (DiskGroupView g : cell.drives().diskGroups()) {
            CapacityPoint p = point(g, provisioned, now);
            List<CapacityPoint> h = history.capacity("group/" + g.name(), Resolution.FIVE_MINUTES, 0, now + 1, now);
            CapacityForecast f = CapacityForecast.of(h);
            groups.add(new JsonObject().put("name", g.name()).put("capacityBytes", p.capacityBytes())
                    .put("usedBytes", p.usedBytes()).put("freeBytes", p.capacityBytes() - p.usedBytes())
                    .put("provisionedBytes", p.provisionedBytes())
                    .put("overcommitRatio", p.capacityBytes() == 0 ? 0.0 : (double) p.provisionedBytes() / p.capacityBytes())
                    .put("forecast", new JsonObject().put("growthBytesPerDay", f.growthBytesPerDay())
                            .put("daysUntilFull", f.daysUntilFull()).put("points", f.points()).put("text", f.text())));
        }
        return new JsonObject().put("luns", luns).put("snapshots", snaps).put("groups", groups);
    }
}
