package io.evasan.scsi.alua;

import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.cdb.ReportTargetPortGroupsDescriptor;
import io.evasan.scsi.sense.SenseCodes;

/**
 * The target port asymmetric access states (SPC-4 5.15.2.4, ASYMMETRIC ACCESS STATE field of
 * REPORT TARGET PORT GROUPS, table 307) this target implements, with the commands each one lets
 * through (SPC-4 5.15.2.4.2 .. 5.15.2.4.6, 5.15.2.5) and the sense it answers the others with.
 *
 * <pre>
 *  state                   code  SUP bit (RTPG byte 1)  commands refused with
 *  ACTIVE_OPTIMIZED         0h   AO_SUP  (bit 0)        - (every command)
 *  ACTIVE_NON_OPTIMIZED     1h   AN_SUP  (bit 1)        - (every command, the slower path)
 *  STANDBY                  2h   S_SUP   (bit 2)        02/04/0B LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE
 *  UNAVAILABLE              3h   U_SUP   (bit 3)        02/04/0C LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN UNAVAILABLE STATE
 *  OFFLINE                  Eh   O_SUP   (bit 6)        02/04/12 LOGICAL UNIT NOT READY, OFFLINE
 *  TRANSITIONING            Fh   T_SUP   (bit 7)        02/04/0A LOGICAL UNIT NOT ACCESSIBLE, ASYMMETRIC ACCESS STATE TRANSITION
 * </pre>
 *
 * Commands allowed (of those this target implements): both active states everything; STANDBY
 * INQUIRY, REPORT LUNS, REPORT TARGET PORT GROUPS, REQUEST SENSE, MODE SENSE / SELECT, PERSISTENT
 * RESERVE IN / OUT; UNAVAILABLE, TRANSITIONING and OFFLINE only INQUIRY, REPORT LUNS, REPORT
 * TARGET PORT GROUPS and REQUEST SENSE (so a host can still learn the path's state), and STANDBY and UNAVAILABLE
 * SET TARGET PORT GROUPS. Everything else
 * (TEST UNIT READY included, and every vendor command) gets the state's sense.
 *
 * <p>Invariant: {@link #code()} is the SPC-4 value, unique per constant; {@link #senseCode()} is
 * {@link SenseCodes#NO_SENSE} exactly for the two active states, for which {@link #allows} is
 * always true.
 */
public enum AccessState {
    ACTIVE_OPTIMIZED(0x0, ReportTargetPortGroupsDescriptor.AO_SUP, SenseCodes.NO_SENSE),
    ACTIVE_NON_OPTIMIZED(0x1, ReportTargetPortGroupsDescriptor.AN_SUP, SenseCodes.NO_SENSE),
    STANDBY(0x2, ReportTargetPortGroupsDescriptor.S_SUP, SenseCodes.NOT_ACCESSIBLE_TARGET_PORT_IN_STANDBY_STATE),
    UNAVAILABLE(0x3, ReportTargetPortGroupsDescriptor.U_SUP, SenseCodes.NOT_ACCESSIBLE_TARGET_PORT_IN_UNAVAILABLE_STATE),
    OFFLINE(0xE, ReportTargetPortGroupsDescriptor.O_SUP, SenseCodes.NOT_READY_OFFLINE),
    TRANSITIONING(0xF, ReportTargetPortGroupsDescriptor.T_SUP, SenseCodes.NOT_ACCESSIBLE_ASYMMETRIC_ACCESS_STATE_TRANSITION);

    private final int code;
    private final int supportedBit;
    private final int senseCode;

    AccessState(int code, int supportedBit, int senseCode) {
        this.code = code;
        this.supportedBit = supportedBit;
        this.senseCode = senseCode;
    }

    /** The ASYMMETRIC ACCESS STATE value (SPC-4). */
    public int code() {
        return code;
    }

    /** This state's bit among T_SUP .. AO_SUP (byte 1 of a target port group descriptor). */
    public int supportedBit() {
        return supportedBit;
    }

    /** The NOT READY sense a refused command gets in this state; NO_SENSE for the active states. */
    public int senseCode() {
        return senseCode;
    }

    /** Whether the LU is fully accessible (active/optimized or active/non-optimized). */
    public boolean active() {
        return senseCode == SenseCodes.NO_SENSE;
    }

    /** The state of an SPC-4 code; IllegalArgumentException for a code this target does not implement. */
    public static AccessState ofCode(int code) {
        for (AccessState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("asymmetric access state " + Integer.toHexString(code));
    }

    /** The supported-states bits of every state this target implements (T_SUP O_SUP U_SUP S_SUP AN_SUP AO_SUP). */
    public static int allSupportedBits() {
        int bits = 0;
        for (AccessState s : values()) {
            bits |= s.supportedBit;
        }
        return bits;
    }

    /** Whether a CDB may run through a target port in this state (see the class comment). */
    public boolean allows(byte[] cdb) {
        if (active()) {
            return true;
        }
        int op = cdb[0] & 0xFF;
        switch (op) {
            case OpCodes.INQUIRY:
            case OpCodes.REPORT_LUNS:
            case OpCodes.REQUEST_SENSE:
                return true;
            case OpCodes.MAINTENANCE_IN:
                return (cdb[1] & 0x1F) == ReportTargetPortGroupsDescriptor.SERVICE_ACTION;
            case OpCodes.MAINTENANCE_OUT:   // SET TARGET PORT GROUPS: how a host leaves this state explicitly
                return (cdb[1] & 0x1F) == io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor.SERVICE_ACTION
                        && this != OFFLINE && this != TRANSITIONING;
            case OpCodes.MODE_SENSE_6:
            case OpCodes.MODE_SENSE_10:
            case OpCodes.MODE_SELECT_6:
            case OpCodes.MODE_SELECT_10:
            case OpCodes.PERSISTENT_RESERVE_IN:
            case OpCodes.PERSISTENT_RESERVE_OUT:
                return this == STANDBY;
            default:
                return false;
        }
    }
}
