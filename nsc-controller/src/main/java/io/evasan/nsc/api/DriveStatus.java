package io.evasan.nsc.api;

/** A drive's state; the names are the RAID layer's drive states (they appear in the JSON API). */
public enum DriveStatus {
    AVAILABLE,
    FAILED,
    MISSING,
    REMOVED
}
