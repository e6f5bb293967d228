package io.evasan.nsc.backup;

/** State of the controller's seed 003 snapshot backup (one at a time per controller, as in the seed). */
public enum BackupState {
    /** No snapshot: the backup LUN answers NOT READY. */
    INACTIVE,
    /** Initiate accepted, the cache marker has not yet left the cache. */
    INITIATING,
    /** Snapshot active: the backup LUN reads it. */
    ACTIVE,
    /** Being ended (copy stopping, snapshot being deleted). */
    ENDING
}
