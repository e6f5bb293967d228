package io.evasan.scsi.vendor;

import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.target.VendorCommandHandler;
import io.evasan.scsi.target.VendorRequest;

/**
 * {@link VendorCommandHandler} for opcode 20h: validates the DCMD CDB ({@link DcmdDescriptor}),
 * dispatches to a {@link SnapshotBackupEngine} and encodes the seed 003 answers: CHECK CONDITION
 * with the table 2/4 sense for initiate/terminate, a 2-byte table 7/10 word (GOOD status,
 * truncated to the allocation length) for LOP START/STATUS.
 *
 * <p>Invariant: an invalid CDB never reaches the engine; it is answered 05/24/00 with the offending
 * byte as field pointer. LUN numbers in the CDB reach the engine with the requester's
 * {@link VendorRequest#visibility()}: it refuses drives the initiator cannot see.
 */
public final class DcmdHandler implements VendorCommandHandler {
    private final SnapshotBackupEngine engine;

    public DcmdHandler(SnapshotBackupEngine engine) {
        this.engine = engine;
    }

    @Override
    public int execute(VendorRequest r) throws LuException {
        byte[] cdb = r.cdb();
        int bad = DcmdDescriptor.validate(cdb, r.cdbLength());
        if (bad >= 0) {
            throw DcmdCodes.illegalCdb(bad, "illegal DCMD CDB byte " + bad);
        }
        switch (DcmdDescriptor.subOpcode(cdb)) {
            case DcmdDescriptor.DCMD_SNAPSHOT_INITIATE: {
                int code = engine.initiateSnapshot(r.logicalUnit(), r.nexus());
                if (code != SenseCodes.NO_SENSE) {
                    throw LuException.check(code);
                }
                return 0;
            }
            case DcmdDescriptor.DCMD_SNAPSHOT_TERMINATE: {
                int code = engine.terminateSnapshot(r.logicalUnit(), r.nexus());
                if (code != SenseCodes.NO_SENSE) {
                    throw LuException.check(code);
                }
                return 0;
            }
            case DcmdDescriptor.DCMD_LOP_START: {
                int src = DcmdDescriptor.sourceDrive(cdb);
                int dst = DcmdDescriptor.destinationDrive(cdb);
                int word = src > DcmdDescriptor.MAX_SYSTEM_DRIVE || dst > DcmdDescriptor.MAX_SYSTEM_DRIVE || src == dst
                        ? DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE
                        : engine.lopStart(DcmdDescriptor.lopOpcode(cdb), src, dst, r.visibility());
                return answer(r, word, DcmdDescriptor.allocationLength(cdb));
            }
            default: { // LOP STATUS (validate admitted nothing else)
                int word = engine.lopStatus(DcmdDescriptor.lopOpcode(cdb), r.visibility());
                return answer(r, word, DcmdDescriptor.allocationLength(cdb));
            }
        }
    }

    private static int answer(VendorRequest r, int word, int allocLen) {
        int n = Math.min(allocLen, DcmdDescriptor.RETURN_DATA_LENGTH);
        r.dataIn().put(0, (byte) (word >>> 8));
        r.dataIn().put(1, (byte) word);
        return n;
    }

    @Override
    public boolean writesMedium(byte[] cdb) {
        return true;
    }
}
