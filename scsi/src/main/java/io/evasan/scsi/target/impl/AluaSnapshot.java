package io.evasan.scsi.target.impl;

import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.alua.TargetPortGroup;
import io.evasan.scsi.alua.TargetPortGroups;
import io.evasan.scsi.cdb.ReportTargetPortGroupsDescriptor;
import io.evasan.scsi.lu.LogicalUnit;

import java.util.List;

/**
 * The target's view of one LU's asymmetric access (ALUA): for every target port group its ports,
 * access state, PREF bit and STATUS CODE, read from the {@link TargetPortGroups} provider when the
 * LU's context is created and again at each {@link DiskTarget#accessStatesChanged}. Both the state
 * enforcement and REPORT TARGET PORT GROUPS read the same snapshot, so a host never sees a state
 * the target does not enforce.
 *
 * <p>Invariant: immutable; a group's status is 01h (altered by SET TARGET PORT GROUPS) or 02h (altered by implicit
 * behavior) after its state last changed by that cause, 00h while it never changed.
 */
final class AluaSnapshot {
    /** One group's row; {@code ports} is never changed after construction. */
    record Group(int id, int[] ports, AccessState state, boolean preferred, int status) {
    }

    final List<Group> groups;

    private AluaSnapshot(List<Group> groups) {
        this.groups = groups;
    }

    /**
     * Reads the provider's current view of {@code lu}; {@code previous} (or null) gives the status codes;
     * {@code explicit}: the change is a SET TARGET PORT GROUPS' (status 01h, else 02h).
     */
    static AluaSnapshot read(TargetPortGroups provider, LogicalUnit lu, AluaSnapshot previous, boolean explicit) {
        List<TargetPortGroup> tpgs = provider.groups();
        Group[] rows = new Group[tpgs.size()];
        for (int i = 0; i < rows.length; i++) {
            TargetPortGroup g = tpgs.get(i);
            AccessState state = java.util.Objects.requireNonNull(provider.state(lu, g.id()), "state");
            Group before = previous == null ? null : previous.group(g.id());
            int status = before == null ? ReportTargetPortGroupsDescriptor.STATUS_NONE
                    : before.state != state ? (explicit ? ReportTargetPortGroupsDescriptor.STATUS_ALTERED_BY_SET_TARGET_PORT_GROUPS
                    : ReportTargetPortGroupsDescriptor.STATUS_ALTERED_BY_IMPLICIT_BEHAVIOR)
                    : before.status;
            int[] ports = g.relativeTargetPorts().stream().mapToInt(Integer::intValue).toArray();
            rows[i] = new Group(g.id(), ports, state, provider.preferred(lu, g.id()), status);
        }
        return new AluaSnapshot(List.of(rows));
    }

    /**
     * This snapshot with STATUS CODE 01h (altered by SET TARGET PORT GROUPS) on every group whose state differs from
     * {@code asked} (the snapshot a SET TARGET PORT GROUPS saw before it set the states); the others keep theirs. The
     * provider's own notification may re-read first and mark those groups 02h: the command's cause wins.
     */
    AluaSnapshot alteredBySetSince(AluaSnapshot asked) {
        Group[] rows = groups.toArray(new Group[0]);
        for (int i = 0; i < rows.length; i++) {
            Group g = rows[i];
            Group was = asked == null ? null : asked.group(g.id);
            if (was != null && was.state != g.state) {
                rows[i] = new Group(g.id, g.ports, g.state, g.preferred,
                        ReportTargetPortGroupsDescriptor.STATUS_ALTERED_BY_SET_TARGET_PORT_GROUPS);
            }
        }
        return new AluaSnapshot(List.of(rows));
    }

    /** Whether every group has the same state and PREF bit in {@code other} (null: never the same). */
    boolean sameStates(AluaSnapshot other) {
        if (other == null || other.groups.size() != groups.size()) {
            return false;
        }
        for (Group g : groups) {
            Group o = other.group(g.id);
            if (o == null || o.state != g.state || o.preferred != g.preferred) {
                return false;
            }
        }
        return true;
    }

    /** The row of a group id, or null. */
    Group group(int id) {
        for (Group g : groups) {
            if (g.id == id) {
                return g;
            }
        }
        return null;
    }

    /** The state through a group, or null when the group is unknown (no restriction). */
    AccessState state(int groupId) {
        Group g = group(groupId);
        return g == null ? null : g.state;
    }
}
