package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;

/**
 * The byte layout of one unit's ownership, stored as the named record {@code lun-owner/<unit id>} in the MLD (and so
 * replicated to the partner as a {@code RecordPut}):
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+---------------+---------------+
 *  |    VERSION    |     OWNER     |   PREFERRED   |     MODE      |
 *  +---------------+---------------+---------------+---------------+
 * </pre>
 *
 * VERSION 1; OWNER and PREFERRED 0 = A, 1 = B (PREFERRED FFh = no preference); MODE the ordinal of
 * {@link FailoverMode} (0 no preference, 1 failover only, 2 failover + failback). The unit id is the record's key.
 * A record of any other length, version or value is refused with CORRUPT_METADATA.
 */
public final class OwnershipDescriptor {
    public static final int LENGTH = 4;
    public static final int VERSION = 1;
    static final int NO_PREFERENCE = 0xFF;

    private OwnershipDescriptor() {
    }

    public static byte[] encode(LunOwnership o) {
        return new byte[] {(byte) VERSION, (byte) o.owner().ordinal(),
                (byte) (o.preferred() == null ? NO_PREFERENCE : o.preferred().ordinal()), (byte) o.mode().ordinal()};
    }

    public static LunOwnership decode(int unitId, byte[] b) {
        if (b == null || b.length != LENGTH || b[0] != VERSION) {
            throw corrupt(unitId, "length or version");
        }
        int owner = b[1] & 0xFF;
        int preferred = b[2] & 0xFF;
        int mode = b[3] & 0xFF;
        if (owner > 1 || (preferred > 1 && preferred != NO_PREFERENCE) || mode >= FailoverMode.values().length) {
            throw corrupt(unitId, "owner " + owner + ", preferred " + preferred + ", mode " + mode);
        }
        try {
            return new LunOwnership(unitId, NscId.values()[owner], preferred == NO_PREFERENCE ? null : NscId.values()[preferred],
                    FailoverMode.values()[mode]);
        } catch (IllegalArgumentException e) {
            throw corrupt(unitId, e.getMessage());
        }
    }

    private static StorageException corrupt(int unitId, String what) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, "ownership record of unit " + unitId + " is damaged ("
                + what + ")");
    }
}
