package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;
import io.evasan.nsc.api.Volumes;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.api.BgCopyView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.Drives;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Meters the management layer adds, all created up front: free/total PSEGs per disk group, LUN count,
 * and API requests by status class; and one gauge pair per snapclone, {@code evasan.bgcopy.done.segments} /
 * {@code evasan.bgcopy.total.segments} tagged {@code snapshot=<name>}, kept in line with the controller's snapshot table by
 * {@link #syncBgcopy} (run before each /metrics scrape): a snapclone's pair is registered the first time it is seen
 * and removed once its snapshot record is gone. Invariant: nothing is looked up by name; a gauge reads only the
 * {@link AtomicLong}s of its own {@link BgcopyGauges}, which {@link #syncBgcopy} fills from one
 * {@link io.evasan.nsc.api.Jobs#bgcopy} call per snapclone (never on the I/O path).
 * ("total" sits inside the name: the Prometheus registry strips a trailing {@code .total} from gauge names.)
 * Rebuild progress per group is already given by the RAID layer's gauges {@code evasan.raid.rebuild.done} and
 * {@code evasan.raid.rebuild.total.rows} (64 KiB rows, tag {@code group}).
 */
public final class ApplianceMeters {
    private final Counter[] requests = new Counter[6];
    private final MeterRegistry registry;
    private final Drives drives;
    private final Map<String, BgcopyGauges> bgcopies = new HashMap<>();

    /** The done/total gauges of one snapclone and the values they report. */
    private record BgcopyGauges(long disk, AtomicLong done, AtomicLong total, Gauge doneGauge, Gauge totalGauge) {
    }

    public ApplianceMeters(MeterRegistry r, Cell cell) {
        this.registry = r;
        this.drives = cell.drives();
        for (DiskGroupView g : drives.diskGroups()) {
            groupAdded(g);
        }
        Gauge.builder("evasan.luns", cell.volumes(), c -> c.listLuns().size()).description("LUNs in the controller's table").register(r);
        for (int i = 1; i <= 5; i++) {
            requests[i] = Counter.builder("evasan.mgmt.requests").tag("status", i + "xx")
                    .description("management API requests answered").register(r);
        }
    }

    /** Creates the PSEG gauges of a disk group (at start, and once when the API creates a group). */
    public void groupAdded(DiskGroupView g) {
        int id = g.id();
        Gauge.builder("evasan.pool.psegs.free", drives, d -> d.diskGroup(id).map(DiskGroupView::freePsegs).orElse(0L))
                .strongReference(true).tag("group", g.name())
                .description("free 2 MB PSEGs in the disk group").register(registry);
        Gauge.builder("evasan.pool.psegs.capacity", drives, d -> d.diskGroup(id).map(DiskGroupView::totalPsegs).orElse(0L))
                .strongReference(true).tag("group", g.name())
                .description("PSEGs in the disk group").register(registry);
    }

    /** The registry these meters (and the layers' meters the history samples) live in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Counts an answered request by status class. */
    public void answered(int status) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            requests[c].increment();
        }
    }

    /**
     * Registers the BGCOPY gauge pair of every snapclone in the snapshot table that has none yet, refreshes the
     * values of all pairs from {@code cell.jobs().bgcopy}, and removes the pairs of snapclones no longer in the
     * table (deleted, or deleted with their LUN). A snapclone whose copy finished and which left the tree keeps
     * reporting done == total until it is deleted.
     *
     * @return the number of snapclone gauge pairs registered after the call
     */
    public synchronized int syncBgcopy(Cell cell) {
        Volumes controller = cell.volumes();
        Set<String> seen = new HashSet<>();
        for (SnapshotRecord s : controller.listSnapshots()) {
            if (!s.snapclone()) {
                continue;
            }
            BgCopyView p;
            try {
                p = cell.jobs().bgcopy(s.disk());
            } catch (StorageException e) {
                continue; // the clone's disk is gone: the record is being deleted
            }
            seen.add(s.name());
            BgcopyGauges g = bgcopies.get(s.name());
            if (g != null && g.disk() != s.disk()) {
                remove(g); // the name was reused by a newer snapclone
                g = null;
            }
            if (g == null) {
                AtomicLong done = new AtomicLong(p.done());
                AtomicLong total = new AtomicLong(p.total());
                Gauge dg = Gauge.builder("evasan.bgcopy.done.segments", done, AtomicLong::get).strongReference(true)
                        .tag("snapshot", s.name()).description("segments copied by the snapclone's BGCOPY")
                        .register(registry);
                Gauge tg = Gauge.builder("evasan.bgcopy.total.segments", total, AtomicLong::get).strongReference(true)
                        .tag("snapshot", s.name()).description("segments the snapclone's BGCOPY has to copy")
                        .register(registry);
                g = new BgcopyGauges(s.disk(), done, total, dg, tg);
                bgcopies.put(s.name(), g);
            }
            g.done().set(p.done());
            g.total().set(p.total());
        }
        for (Iterator<Map.Entry<String, BgcopyGauges>> it = bgcopies.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, BgcopyGauges> e = it.next();
            if (!seen.contains(e.getKey())) {
                remove(e.getValue());
                it.remove();
            }
        }
        return bgcopies.size();
    }

    private void remove(BgcopyGauges g) {
        registry.remove(g.doneGauge());
        registry.remove(g.totalGauge());
    }
}
