package io.evasan.nsc.cell.pair;

import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.lun.impl.CachedLogicalUnit;
import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.alua.TargetPortGroup;
import io.evasan.scsi.alua.TargetPortGroups;
import io.evasan.scsi.lu.LogicalUnit;

import java.util.List;

/**
 * The cell's ALUA picture for the SCSI target: one target port group per controller (group 1 = NSC A's host ports,
 * group 2 = NSC B's; each group holds the controller's two iSCSI portals and its two FC N_Ports), each unit active/optimized through the group whose ports its owner serves and
 * active/non-optimized through the other (that I/O is carried out by the owner's cache). A controller's ports taken
 * over by its partner serve as the partner's, so after a failover both groups are optimized for the survivor's
 * units. A unit not yet routed shows the owner its first call will give it ({@link ControllerPair#ownershipSeen}),
 * so routing it changes nothing hosts see. Units other than LUNs and snapshots (the seed-003 backup LUN) are
 * optimized on both. PREF is set on the group of the unit's preferred controller.
 *
 * <p>Invariant: {@link #state} and {@link #preferred} answer from memory only (the target asks under a per-unit lock);
 * {@link #setStates} (SET TARGET PORT GROUPS, explicit ALUA) is the one call that moves a unit.
 */
public final class PairPortGroups implements TargetPortGroups {
    /** Relative target port ids of the iSCSI portals: NSC A's ports, NSC B's ports (the seed's two host ports per controller). */
    public static final List<Integer> PORTS_A = List.of(1, 2);
    public static final List<Integer> PORTS_B = List.of(3, 4);
    /** Relative target port ids of the Fibre Channel N_Ports (fabric-sim): NSC A's two, NSC B's two. */
    public static final List<Integer> FC_PORTS_A = List.of(5, 6);
    public static final List<Integer> FC_PORTS_B = List.of(7, 8);

    private final ControllerPair pair;
    private final List<TargetPortGroup> groups = List.of(new TargetPortGroup(1, concat(PORTS_A, FC_PORTS_A)),
            new TargetPortGroup(2, concat(PORTS_B, FC_PORTS_B)));

    public PairPortGroups(ControllerPair pair) {
        this.pair = pair;
    }

    /** The controller whose host ports form target port group {@code groupId} (1 = A, 2 = B). */
    public static NscId nscOfGroup(int groupId) {
        return groupId == 1 ? NscId.A : NscId.B;
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        List<Integer> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    @Override
    public int groupOf(int relativeTargetPortId) {
        if (PORTS_A.contains(relativeTargetPortId) || FC_PORTS_A.contains(relativeTargetPortId)) {
            return 1;
        }
        return PORTS_B.contains(relativeTargetPortId) || FC_PORTS_B.contains(relativeTargetPortId) ? 2 : -1;
    }

    @Override
    public List<TargetPortGroup> groups() {
        return groups;
    }

    @Override
    public AccessState state(LogicalUnit lu, int groupId) {
        LunOwnership o = ownership(lu);
        if (o == null) {
            return AccessState.ACTIVE_OPTIMIZED;
        }
        return pair.portsHostedBy(nscOfGroup(groupId)) == o.owner() ? AccessState.ACTIVE_OPTIMIZED
                : AccessState.ACTIVE_NON_OPTIMIZED;
    }

    @Override
    public boolean preferred(LogicalUnit lu, int groupId) {
        LunOwnership o = ownership(lu);
        return o != null && o.preferred() == nscOfGroup(groupId);
    }

    /** Hosts may move a unit with SET TARGET PORT GROUPS (explicit ALUA). */
    @Override
    public boolean explicit() {
        return true;
    }

    /**
     * SET TARGET PORT GROUPS: the unit moves to the controller serving the group asked to be active/optimized (or,
     * when one group is asked to be active/non-optimized alone, to the one serving the other group); its cache
     * drains to the new owner first ({@link ControllerPair#move}). Only the two active states exist here: any other
     * state, both groups optimized or both non-optimized, or a combination the controllers serving the groups cannot
     * make (both groups on one survivor) is INVALID FIELD IN PARAMETER LIST and changes nothing; a move the pair
     * refuses (the other controller is down) is SET TARGET PORT GROUPS COMMAND FAILED. The preferred controller and
     * failover mode stay as they are.
     */
    @Override
    public int setStates(LogicalUnit lu, java.util.Map<Integer, AccessState> requested) {
        NscId optimized = null;
        NscId nonOptimized = null;
        for (java.util.Map.Entry<Integer, AccessState> r : requested.entrySet()) {
            NscId serving = pair.portsHostedBy(nscOfGroup(r.getKey()));
            if (r.getValue() == AccessState.ACTIVE_OPTIMIZED && optimized == null) {
                optimized = serving;
            } else if (r.getValue() == AccessState.ACTIVE_NON_OPTIMIZED && nonOptimized == null) {
                nonOptimized = serving;
            } else {
                return io.evasan.scsi.sense.SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
            }
        }
        NscId to = optimized != null ? optimized : nonOptimized == null ? null : nonOptimized.partner();
        if (to == null || to == nonOptimized) {
            return io.evasan.scsi.sense.SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        if (!(lu instanceof CachedLogicalUnit c)) {   // optimized on both groups whatever the host asks
            return optimized != null && nonOptimized == null ? 0
                    : io.evasan.scsi.sense.SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        LunOwnership o = pair.ownershipSeen(c.lunId());
        if (o == null || o.owner() == to) {
            return 0;
        }
        try {
            pair.move(c.lunId(), to);
            return 0;
        } catch (io.evasan.error.StorageException e) {
            return io.evasan.scsi.sense.SenseCodes.SET_TARGET_PORT_GROUPS_COMMAND_FAILED;
        }
    }

    private LunOwnership ownership(LogicalUnit lu) {
        return lu instanceof CachedLogicalUnit c ? pair.ownershipSeen(c.lunId()) : null;
    }
}
