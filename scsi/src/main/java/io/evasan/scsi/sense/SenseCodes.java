package io.evasan.scsi.sense;

/**
 * Sense key / additional sense code / qualifier triples packed in one {@code int}
 * as {@code key << 16 | asc << 8 | ascq} (SPC-4 tables 27 and 28), so the hot path passes a
 * primitive. {@link #NO_SENSE} (0) means "no error".
 *
 * <p>Invariant: every constant is a valid triple (key 0..15, asc and ascq 0..255); the helpers
 * below are the only place the packing is done.
 */
public final class SenseCodes {
    // ---- sense keys
    public static final int KEY_NO_SENSE = 0x0;
    public static final int KEY_RECOVERED_ERROR = 0x1;
    public static final int KEY_NOT_READY = 0x2;
    public static final int KEY_MEDIUM_ERROR = 0x3;
    public static final int KEY_HARDWARE_ERROR = 0x4;
    public static final int KEY_ILLEGAL_REQUEST = 0x5;
    public static final int KEY_UNIT_ATTENTION = 0x6;
    public static final int KEY_DATA_PROTECT = 0x7;
    public static final int KEY_BLANK_CHECK = 0x8;
    public static final int KEY_VENDOR_SPECIFIC = 0x9;
    public static final int KEY_COPY_ABORTED = 0xA;
    public static final int KEY_ABORTED_COMMAND = 0xB;
    public static final int KEY_VOLUME_OVERFLOW = 0xD;
    public static final int KEY_MISCOMPARE = 0xE;

    public static final int NO_SENSE = 0;

    // ---- ILLEGAL REQUEST (05h)
    public static final int INVALID_COMMAND_OPERATION_CODE = of(0x5, 0x20, 0x00);
    public static final int LBA_OUT_OF_RANGE = of(0x5, 0x21, 0x00);
    public static final int INVALID_FIELD_IN_CDB = of(0x5, 0x24, 0x00);
    public static final int LOGICAL_UNIT_NOT_SUPPORTED = of(0x5, 0x25, 0x00);
    public static final int INVALID_FIELD_IN_PARAMETER_LIST = of(0x5, 0x26, 0x00);
    public static final int INVALID_RELEASE_OF_PERSISTENT_RESERVATION = of(0x5, 0x26, 0x04);
    public static final int PARAMETER_LIST_LENGTH_ERROR = of(0x5, 0x1A, 0x00);
    public static final int TOO_MANY_TARGET_DESCRIPTORS = of(0x5, 0x26, 0x06);
    public static final int UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE = of(0x5, 0x26, 0x07);
    public static final int TOO_MANY_SEGMENT_DESCRIPTORS = of(0x5, 0x26, 0x08);
    public static final int UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE = of(0x5, 0x26, 0x09);
    // ---- COPY ABORTED (0Ah), EXTENDED COPY (SPC-4 6.4)
    public static final int COPY_ABORTED = of(0xA, 0x00, 0x00);
    public static final int UNREACHABLE_COPY_TARGET = of(0xA, 0x08, 0x04);
    public static final int COPY_TARGET_DEVICE_NOT_REACHABLE = of(0xA, 0x0D, 0x02);
    public static final int SAVING_PARAMETERS_NOT_SUPPORTED = of(0x5, 0x39, 0x00);
    public static final int INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT = of(0x5, 0x0E, 0x03);
    public static final int INSUFFICIENT_REGISTRATION_RESOURCES = of(0x5, 0x55, 0x04);

    // ---- NOT READY (02h)
    public static final int NOT_READY_CAUSE_NOT_REPORTABLE = of(0x2, 0x04, 0x00);
    public static final int NOT_READY_BECOMING_READY = of(0x2, 0x04, 0x01);
    public static final int NOT_READY_INITIALIZING_COMMAND_REQUIRED = of(0x2, 0x04, 0x02);
    public static final int NOT_READY_MANUAL_INTERVENTION_REQUIRED = of(0x2, 0x04, 0x03);
    public static final int NOT_READY_OPERATION_IN_PROGRESS = of(0x2, 0x04, 0x07);
    public static final int NOT_READY_OFFLINE = of(0x2, 0x04, 0x12);
    /** ALUA (SPC-4 5.15.2.4/5): the target port group of the nexus is transitioning, in standby, unavailable. */
    public static final int NOT_ACCESSIBLE_ASYMMETRIC_ACCESS_STATE_TRANSITION = of(0x2, 0x04, 0x0A);
    public static final int NOT_ACCESSIBLE_TARGET_PORT_IN_STANDBY_STATE = of(0x2, 0x04, 0x0B);
    public static final int NOT_ACCESSIBLE_TARGET_PORT_IN_UNAVAILABLE_STATE = of(0x2, 0x04, 0x0C);
    public static final int NOT_READY_SPACE_ALLOCATION_IN_PROGRESS = of(0x2, 0x04, 0x14);
    public static final int MEDIUM_NOT_PRESENT = of(0x2, 0x3A, 0x00);

    // ---- MEDIUM / HARDWARE ERROR
    public static final int UNRECOVERED_READ_ERROR = of(0x3, 0x11, 0x00);
    public static final int WRITE_FAULT = of(0x3, 0x03, 0x00);
    public static final int WRITE_ERROR = of(0x3, 0x0C, 0x00);
    public static final int INTERNAL_TARGET_FAILURE = of(0x4, 0x44, 0x00);
    public static final int SET_TARGET_PORT_GROUPS_COMMAND_FAILED = of(0x4, 0x67, 0x0A);

    // ---- UNIT ATTENTION (06h)
    public static final int POWER_ON_RESET_OCCURRED = of(0x6, 0x29, 0x00);
    public static final int POWER_ON_OCCURRED = of(0x6, 0x29, 0x01);
    public static final int BUS_DEVICE_RESET_OCCURRED = of(0x6, 0x29, 0x03);
    public static final int I_T_NEXUS_LOSS_OCCURRED = of(0x6, 0x29, 0x07);
    public static final int PARAMETERS_CHANGED = of(0x6, 0x2A, 0x00);
    public static final int MODE_PARAMETERS_CHANGED = of(0x6, 0x2A, 0x01);
    public static final int RESERVATIONS_PREEMPTED = of(0x6, 0x2A, 0x03);
    public static final int RESERVATIONS_RELEASED = of(0x6, 0x2A, 0x04);
    public static final int REGISTRATIONS_PREEMPTED = of(0x6, 0x2A, 0x05);
    public static final int ASYMMETRIC_ACCESS_STATE_CHANGED = of(0x6, 0x2A, 0x06);
    public static final int CAPACITY_DATA_HAS_CHANGED = of(0x6, 0x2A, 0x09);
    public static final int REPORTED_LUNS_DATA_HAS_CHANGED = of(0x6, 0x3F, 0x0E);
    public static final int INQUIRY_DATA_HAS_CHANGED = of(0x6, 0x3F, 0x03);
    public static final int THIN_PROVISIONING_SOFT_THRESHOLD_REACHED = of(0x6, 0x38, 0x07);
    public static final int COMMANDS_CLEARED_BY_ANOTHER_INITIATOR = of(0x6, 0x2F, 0x00);

    // ---- DATA PROTECT (07h)
    public static final int WRITE_PROTECTED = of(0x7, 0x27, 0x00);
    public static final int SOFTWARE_WRITE_PROTECTED = of(0x7, 0x27, 0x02);
    public static final int SPACE_ALLOCATION_FAILED_WRITE_PROTECT = of(0x7, 0x27, 0x07);

    // ---- MISCOMPARE (0Eh), ABORTED COMMAND (0Bh)
    public static final int MISCOMPARE_DURING_VERIFY = of(0xE, 0x1D, 0x00);
    public static final int COMMAND_ABORTED = of(0xB, 0x00, 0x00);

    private SenseCodes() {
    }

    /** Packs a triple; IllegalArgumentException when a part is out of range. */
    public static int of(int key, int asc, int ascq) {
        if ((key & ~0xF) != 0 || (asc & ~0xFF) != 0 || (ascq & ~0xFF) != 0) {
            throw new IllegalArgumentException("sense " + key + "/" + asc + "/" + ascq);
        }
        return key << 16 | asc << 8 | ascq;
    }

    public static int key(int code) {
        return code >>> 16 & 0xF;
    }

    public static int asc(int code) {
        return code >>> 8 & 0xFF;
    }

    public static int ascq(int code) {
        return code & 0xFF;
    }

    /** "05/24/00" style text for logs and test names. */
    public static String toString(int code) {
        return String.format("%02X/%02X/%02X", key(code), asc(code), ascq(code));
    }
}
