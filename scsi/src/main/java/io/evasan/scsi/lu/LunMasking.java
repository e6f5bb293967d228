package io.evasan.scsi.lu;

import java.util.Collection;

/**
 * LUN presentation (masking): which logical units an initiator sees and under which host LUN
 * numbers. May change at runtime; listeners are told so the target can raise
 * REPORTED LUNS DATA HAS CHANGED.
 *
 * <p>Invariant: {@link #lookup} returns null for every LUN not in {@link #visibleLuns} of the same
 * initiator; an unpresented LU is never returned.
 */
public interface LunMasking {
    /** The LU presented to {@code initiatorName} at {@code hostLun}, or null. */
    LogicalUnit lookup(String initiatorName, int hostLun);

    /** Host LUN numbers visible to the initiator, ascending. */
    int[] visibleLuns(String initiatorName);

    /**
     * Whether {@code lu} is presented to {@code initiatorName} at some host LUN: exactly the LUs that
     * REPORT LUNS lists for it ({@link #visibleLuns} then {@link #lookup}, compared by identity).
     * This is the one rule for "the initiator can see this LUN" wherever a command names a LUN other
     * than by its I_T_L nexus (seed 003 LOP START drives, EXTENDED COPY target descriptors).
     * False for {@code null}.
     */
    default boolean presents(String initiatorName, LogicalUnit lu) {
        if (lu == null) {
            return false;
        }
        for (int hostLun : visibleLuns(initiatorName)) {
            if (lookup(initiatorName, hostLun) == lu) {
                return true;
            }
        }
        return false;
    }

    /** Every LU presented to anyone (for statistics registration). */
    Collection<LogicalUnit> allUnits();

    void addListener(Listener listener);

    /** Told after a change; {@code initiatorName} null means "possibly every initiator". */
    @FunctionalInterface
    interface Listener {
        void presentationChanged(String initiatorName);
    }
}
