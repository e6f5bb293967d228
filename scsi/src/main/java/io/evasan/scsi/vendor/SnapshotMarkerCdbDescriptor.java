package io.evasan.scsi.vendor;

import io.evasan.scsi.cdb.CdbDescriptor;

/**
 * The vendor "snapshot marker" CDB (seed 000): a host asks for a snapshot of the addressed LUN,
 * taken at a marker inserted in the write-back cache. Opcode C0h (SPC vendor range), 16 bytes.
 *
 * <pre>
 *  0     OPERATION CODE C0h
 *  1     reserved (7:5) | SERVICE ACTION (4:0): 01h = SNAPSHOT, 02h = SNAPCLONE
 *  2-9   HOST TAG (big-endian, echoed in the returned data; the host's correlation id)
 *  10-13 ALLOCATION LENGTH (0: no data returned, not an error)
 *  14    reserved
 *  15    CONTROL (must be 0)
 * Returned data (16 bytes):
 *  0-7   MARKER SEQUENCE NUMBER (the position of the marker in the cache, unique per controller)
 *  8-15  HOST TAG (copied from the CDB)
 * </pre>
 *
 * Errors: a reserved bit set or an unknown service action: 05/24/00 (INVALID FIELD IN CDB).
 * Invariant: encode then decode returns the same fields.
 */
public final class SnapshotMarkerCdbDescriptor {
    public static final int OPCODE = 0xC0;
    public static final int CDB_LENGTH = 16;
    public static final int SA_SNAPSHOT = 0x01;
    public static final int SA_SNAPCLONE = 0x02;
    public static final int HOST_TAG_OFFSET = 2;
    public static final int ALLOCATION_LENGTH_OFFSET = 10;
    public static final int RESPONSE_LENGTH = 16;

    private SnapshotMarkerCdbDescriptor() {
    }

    public static int serviceAction(byte[] cdb) {
        return cdb[1] & 0x1F;
    }

    public static long hostTag(byte[] cdb) {
        return CdbDescriptor.u64(cdb, HOST_TAG_OFFSET);
    }

    public static long allocationLength(byte[] cdb) {
        return CdbDescriptor.u32(cdb, ALLOCATION_LENGTH_OFFSET);
    }

    /** -1 when valid, else the offset of the first invalid byte. */
    public static int validate(byte[] cdb, int cdbLength) {
        if (cdbLength < CDB_LENGTH || (cdb[0] & 0xFF) != OPCODE) {
            return 0;
        }
        if ((cdb[1] & 0xE0) != 0) {
            return 1;
        }
        int sa = serviceAction(cdb);
        if (sa != SA_SNAPSHOT && sa != SA_SNAPCLONE) {
            return 1;
        }
        if (cdb[14] != 0) {
            return 14;
        }
        return cdb[15] != 0 ? 15 : -1;
    }

    public static int encode(byte[] cdb, int serviceAction, long hostTag, long allocLen) {
        java.util.Arrays.fill(cdb, 0, CDB_LENGTH, (byte) 0);
        cdb[0] = (byte) OPCODE;
        cdb[1] = (byte) serviceAction;
        CdbDescriptor.put64(cdb, HOST_TAG_OFFSET, hostTag);
        CdbDescriptor.put32(cdb, ALLOCATION_LENGTH_OFFSET, allocLen);
        return CDB_LENGTH;
    }

    public static int encodeResponse(byte[] out, int off, long markerSequence, long hostTag) {
        CdbDescriptor.put64(out, off, markerSequence);
        CdbDescriptor.put64(out, off + 8, hostTag);
        return RESPONSE_LENGTH;
    }
}
