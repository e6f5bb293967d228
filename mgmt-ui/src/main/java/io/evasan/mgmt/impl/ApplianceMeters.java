package io.evasan.mgmt.impl;

import io.evasan.nsc.Controller;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Meters the management layer adds, all created up front: free/total PSEGs per disk group, LUN count,
 * and API requests by status class. Invariant: nothing is looked up by name after construction.
 */
public final class ApplianceMeters {
    private final Counter[] requests = new Counter[6];
    private final MeterRegistry registry;

    public ApplianceMeters(MeterRegistry r, Pool pool, Controller controller) {
        this.registry = r;
        for (DiskGroup g : pool.diskGroups()) {
            groupAdded(g);
        }
        Gauge.builder("evasan.luns", controller, c -> c.listLuns().size()).description("LUNs in the controller's table").register(r);
        for (int i = 1; i <= 5; i++) {
            requests[i] = Counter.builder("evasan.mgmt.requests").tag("status", i + "xx")
                    .description("management API requests answered").register(r);
        }
    }

    /** Creates the PSEG gauges of a disk group (at start, and once when the API creates a group). */
    public void groupAdded(DiskGroup g) {
        Gauge.builder("evasan.pool.psegs.free", g, DiskGroup::freePsegs).tag("group", g.name())
                .description("free 2 MB PSEGs in the disk group").register(registry);
        Gauge.builder("evasan.pool.psegs.capacity", g, DiskGroup::totalPsegs).tag("group", g.name())
                .description("PSEGs in the disk group").register(registry);
    }

    /** Counts an answered request by status class. */
    public void answered(int status) {
        int c = status / 100;
        if (c >= 1 && c <= 5) {
            requests[c].increment();
        }
    }
}
