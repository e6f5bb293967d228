package io.evasan.raid.drive;

/** Availability of a drive. Only {@link #AVAILABLE} drives accept I/O. */
public enum DriveState {
    /** Label valid, I/O accepted. */
    AVAILABLE,
    /** Failed by a drill or an I/O error: every I/O throws DRIVE_FAILED. */
    FAILED,
    /** Pulled or its backing file is gone: every I/O throws DRIVE_MISSING. */
    MISSING,
    /** Evacuated and removed from its disk group. */
    REMOVED
}
