package io.evasan.scsi.alua;

import io.evasan.scsi.lu.LogicalUnit;

import java.util.List;

/**
 * What the target asks about asymmetric logical unit access (ALUA, SPC-4 5.15): the target port
 * groups, the group of each relative target port, and per LU the state and preference of each group.
 * Implemented by whoever owns the LUs (the controller pair: the owning controller's group
 * active/optimized and preferred, the partner's active/non-optimized). Given to
 * {@code DiskTarget}, it turns on implicit ALUA (TPGS = 01b); without it the target has no ALUA.
 *
 * <p>The target reads the states and preferences of an LU once when it first sees the LU and then
 * again only in {@code DiskTarget.accessStatesChanged}: call that after every change, it also
 * raises the unit attention. The group of a port is read when an I_T nexus opens on it and kept
 * for the nexus' life. Calls come from target threads, {@link #state} and {@link #preferred} under
 * the target's lock of that LU's ALUA view: they must not block nor call back into the target.
 *
 * <p>Invariant (the implementation's): every relative target port the target opens nexuses on is
 * in exactly one of {@link #groups()}; group ids are distinct.
 */
public interface TargetPortGroups {
    /** The id of the group holding a relative target port, or -1 when none does (the port is then not restricted). */
    int groupOf(int relativeTargetPortId);

    /** Every target port group, in the order REPORT TARGET PORT GROUPS lists them. */
    List<TargetPortGroup> groups();

    /** The asymmetric access state of {@code lu} through the ports of group {@code groupId}. */
    AccessState state(LogicalUnit lu, int groupId);

    /** Whether group {@code groupId} is the preferred path to {@code lu} (the PREF bit; the owning controller). */
    boolean preferred(LogicalUnit lu, int groupId);

    /** IMPLICIT TRANSITION TIME (seconds, 0..255) for the extended RTPG header; 0 = not specified. */
    default int implicitTransitionSeconds() {
        return 0;
    }

    /**
     * Whether hosts may change the states with SET TARGET PORT GROUPS (explicit ALUA: INQUIRY TPGS = 11b). Default:
     * implicit only.
     */
    default boolean explicit() {
        return false;
    }

    /**
     * SET TARGET PORT GROUPS for {@code lu}: make each group in {@code requested} take its state (groups not named
     * keep theirs or follow from the others, as the implementation's states are tied). Called on a target thread
     * with no target lock held; it may block while the states change (e.g. the unit's cache drains to its new owner).
     * Returns 0 when done, else the sense code to answer: INVALID FIELD IN PARAMETER LIST for a group, state or
     * combination it does not support (then nothing changed), SET TARGET PORT GROUPS COMMAND FAILED when a supported
     * change could not be made. The target re-reads the states afterwards.
     */
    default int setStates(LogicalUnit lu, java.util.Map<Integer, AccessState> requested) {
        return io.evasan.scsi.sense.SenseCodes.INVALID_COMMAND_OPERATION_CODE;
    }
}
