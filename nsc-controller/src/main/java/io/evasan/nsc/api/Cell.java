package io.evasan.nsc.api;

/**
 * One cell as the management appliance, the launcher and the transports see it. Each area is a
 * sub-interface; the objects returned are the same for the life of the cell.
 */
public interface Cell {
    /** LUN and snapshot commands with storage-layer parameters (RAID level, allocation policy). */
    Luns luns();

    /** Disk groups and drives: pool views and drive drills. */
    Drives drives();

    /** Background jobs below the controller: snapclone BGCOPY progress and control, rebuilds. */
    Jobs jobs();

    /** The seed-003 snapshot-backup engine (backup sessions, LOP copy). */
    Backup backup();

    /** The controller's cache and its state (GET /api/controllers). */
    Controllers controllers();

    /** Sharing-tree facts about LUN disks (group, segment size, per-disk segment counts). */
    Trees trees();

    /** The cell's named records (hosts, snapshot schedules, the admin token hash), kept in the MLD. */
    Records records();

    /** The history of committed changes, one {@link CellRecord} each, that a partner controller applies. */
    CellLog log();

    /** LUNs, presentations, snapshots and snapclones, rollbacks, the quarantine, the snapshot backup session. */
    Volumes volumes();

    /** The health model (issue 17 item 1). */
    Health health();
}
