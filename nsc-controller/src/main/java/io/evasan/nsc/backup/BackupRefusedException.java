package io.evasan.nsc.backup;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

/**
 * A seed 003 backup operation requested through management (not a SCSI command) was refused for
 * one of the seed's reasons. Invariant: nothing changed; {@link #sense()} is the packed sense triple
 * ({@code io.evasan.scsi.sense.SenseCodes}) a host issuing the DCMD would have received, or, for a LOP
 * START refusal, 0 with {@link #lopStatus()} holding the seed's LOP status word (tables 5-10).
 */
public final class BackupRefusedException extends StorageException {
    private static final long serialVersionUID = 1L;
    private final int sense;
    private final int lopStatus;

    public BackupRefusedException(String message, int sense, int lopStatus) {
        super(ErrorCode.INVALID_STATE, message);
        this.sense = sense;
        this.lopStatus = lopStatus;
    }

    /** Packed sense key / ASC / ASCQ (0 when the refusal is a LOP status). */
    public int sense() {
        return sense;
    }

    /** LOP START status word (0 when the refusal is a sense code). */
    public int lopStatus() {
        return lopStatus;
    }
}
