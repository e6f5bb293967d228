package io.evasan.nsc.api;

import java.util.List;

/**
 * The cell's health model: the state of every drive, RSS, disk group, LUN, snapshot, controller and the
 * write cache, derived at the call from the layers below (drive states, each RStore's member usability,
 * sharing-tree validity, controller and mirror state). Reads only.
 */
public interface Health {
    /** Every object's health now, grouped by kind (drives, RSSs, disk groups, LUNs, snapshots, controllers, cache). */
    List<ObjectHealth> objects();

    /**
     * Names of the LUNs and snapshots of disk group {@code group} that read data from any of the RStores
     * {@code rsdIds} (what would lose data if those RStores lost their last redundancy), sorted.
     */
    List<String> unitsUsing(int group, List<Long> rsdIds);
}
