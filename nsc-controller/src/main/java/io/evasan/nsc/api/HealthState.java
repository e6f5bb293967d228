package io.evasan.nsc.api;

/** How an object of the array is doing: OK, DEGRADED (works, with less redundancy or capacity margin), FAILED (lost). */
public enum HealthState {
    OK, DEGRADED, FAILED;

    /** The worse of the two. */
    public HealthState worst(HealthState other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
