package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventRecordDescriptor.Event;

/**
 * The alert rules an operator can turn on; each decides from one event of the {@link EventLog} (as
 * {@link EventWatcher} words them: "{@code <was> -> <now>: <reason>}", "{@code N % full: crossed T %}") whether it
 * alerts. Stored by ordinal in {@link AlertConfigDescriptor}: append new rules at the end only.
 */
public enum AlertRule {
    /** A disk group crossed 80 % of its capacity. */
    CAPACITY_80,
    /** A disk group crossed 90 % of its capacity. */
    CAPACITY_90,
    /** Any object became DEGRADED. */
    DEGRADED,
    /** Any object became FAILED. */
    FAILED,
    /** A LUN or snapshot lost data. */
    DATA_LOST,
    /** The write cache runs unmirrored. */
    CACHE_UNMIRRORED;

    /** Whether {@code e} raises this alert. */
    public boolean matches(Event e) {
        String m = e.message();
        switch (this) {
            case CAPACITY_80:
                return e.category().equals("capacity") && m.endsWith("crossed 80 %");
            case CAPACITY_90:
                return e.category().equals("capacity") && m.endsWith("crossed 90 %");
            case DEGRADED:
                return m.contains("-> DEGRADED");
            case FAILED:
                return m.contains("-> FAILED");
            case DATA_LOST:
                return m.contains("-> FAILED: data lost");
            default:
                return e.category().equals("cache") && m.contains("cache unmirrored");
        }
    }
}
