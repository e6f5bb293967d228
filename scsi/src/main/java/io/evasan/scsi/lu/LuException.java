package io.evasan.scsi.lu;

import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.sense.SenseCodes;

/**
 * The single way a logical-unit backend reports a failure to the SCSI target: the SAM status to
 * return and, for CHECK CONDITION, the packed sense key/ASC/ASCQ ({@link SenseCodes}) and an
 * optional INFORMATION value or sense-key-specific field pointer. The controller layer maps its own error codes to this type in one
 * place; the target turns it into status + sense without further interpretation.
 *
 * <p>Invariant: {@code status} is a SAM status; when it is CHECK CONDITION {@code sense} is a
 * non-zero packed triple. No stack trace is captured (it is a data-path condition, not a bug).
 */
public final class LuException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final int sense;
    private final long information;
    private final int fieldPointer;
    private final boolean fieldInCdb;

    private LuException(int status, int sense, long information, int fieldPointer, boolean fieldInCdb, String message) {
        super(message, null, false, false);
        this.status = status;
        this.sense = sense;
        this.information = information;
        this.fieldPointer = fieldPointer;
        this.fieldInCdb = fieldInCdb;
    }

    /** CHECK CONDITION with the given packed sense code. */
    public static LuException check(int senseCode) {
        return check(senseCode, -1, null);
    }

    /** CHECK CONDITION with the given sense and INFORMATION (e.g. the failing LBA), -1 for none. */
    public static LuException check(int senseCode, long information, String message) {
        if (senseCode == SenseCodes.NO_SENSE) {
            throw new IllegalArgumentException("CHECK CONDITION needs a sense code");
        }
        return new LuException(ScsiStatus.CHECK_CONDITION, senseCode, information, -1, false,
                message != null ? message : SenseCodes.toString(senseCode));
    }

    /**
     * CHECK CONDITION with the given sense (INVALID FIELD IN CDB / IN PARAMETER LIST, or another code
     * whose sense-key-specific bytes hold a field pointer) pointing at byte {@code fieldPointer} of the
     * CDB ({@code inCdb}) or of the parameter list.
     */
    public static LuException invalidField(int senseCode, int fieldPointer, boolean inCdb, String message) {
        if (senseCode == SenseCodes.NO_SENSE || fieldPointer < 0 || fieldPointer > 0xFFFF) {
            throw new IllegalArgumentException("sense " + senseCode + " field " + fieldPointer);
        }
        return new LuException(ScsiStatus.CHECK_CONDITION, senseCode, -1, fieldPointer, inCdb,
                message != null ? message : SenseCodes.toString(senseCode) + " at byte " + fieldPointer);
    }

    /** A status without sense (BUSY, TASK SET FULL, RESERVATION CONFLICT). */
    public static LuException status(int status, String message) {
        if (status == ScsiStatus.CHECK_CONDITION || status == ScsiStatus.GOOD) {
            throw new IllegalArgumentException("status " + status);
        }
        return new LuException(status, SenseCodes.NO_SENSE, -1, -1, false, message);
    }

    public static LuException busy(String why) {
        return status(ScsiStatus.BUSY, why);
    }

    public int status() {
        return status;
    }

    public int senseCode() {
        return sense;
    }

    /** INFORMATION field value, or -1 when none. */
    public long information() {
        return information;
    }

    /** Sense-key-specific FIELD POINTER (byte offset), or -1 when none. */
    public int fieldPointer() {
        return fieldPointer;
    }

    /** C/D: whether {@link #fieldPointer()} points into the CDB (else into the parameter list). */
    public boolean fieldInCdb() {
        return fieldInCdb;
    }
}
