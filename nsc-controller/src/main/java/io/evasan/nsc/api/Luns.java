package io.evasan.nsc.api;

import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.marker.SnapshotMarker;

import java.util.List;

/**
 * LUN and snapshot commands whose parameters are names of the layers below (RAID level, snapshot
 * allocation policy). The rest of the LUN / snapshot / presentation calls are still
 * {@link io.evasan.nsc.Controller}'s ({@link Cell#controller()}) until they move here.
 */
public interface Luns {
    /** The RAID level of {@code lun}'s allocations (RAID0, RAID1, RAID5); null when it has none (a log LUN). */
    String raidLevel(LunRecord lun);

    /** The world wide name hosts see for {@code lun} (its NAA designator of VPD page 83h), as {@code naa.} and 32 hex digits. */
    String wwn(LunRecord lun);

    /** RAID level names a LUN can be created with (e.g. RAID0, RAID1, RAID5). */
    List<String> raidLevels();

    /** Snapshot allocation policy names. */
    List<String> allocationPolicies();

    /** The policy name a snapshot gets when none is named. */
    String defaultSnapshotPolicy();

    /**
     * Creates a LUN of {@code sizeBytes} with RAID level {@code raid} (null: the default) in disk group
     * {@code group} (negative: the default group).
     */
    LunRecord createLun(String name, long sizeBytes, String raid, int group);

    /**
     * Queues a snapshot (or snapclone into {@code group}, negative: the LUN's) of LUN {@code lun} named
     * {@code name} with allocation policy {@code policy}; the marker tells when it is taken.
     */
    SnapshotMarker snapshot(String lun, String name, boolean snapclone, String policy, int group);

    /** Snapclone mode names (seed 004: EAGER, Figs. 13-14; SCALING, Fig. 15). */
    default List<String> snapcloneModes() {
        return List.of("EAGER", "SCALING");
    }

    /**
     * As {@link #snapshot(String, String, boolean, String, int)}, a snapclone in mode {@code mode} (null: EAGER)
     * with quiesce threshold {@code quiesceThreshold} (Fig. 15d's M; 0: the configured one).
     */
    default SnapshotMarker snapshot(String lun, String name, boolean snapclone, String policy, int group,
                                    String mode, int quiesceThreshold) {
        if ((mode != null && !mode.equals("EAGER")) || quiesceThreshold != 0) {
            throw new UnsupportedOperationException("snapclone modes");
        }
        return snapshot(lun, name, snapclone, policy, group);
    }
}
