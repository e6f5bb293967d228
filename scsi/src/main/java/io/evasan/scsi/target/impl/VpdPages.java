package io.evasan.scsi.target.impl;

import io.evasan.scsi.cdb.ExtendedCopyDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.sense.SenseCodes;

import java.nio.charset.StandardCharsets;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;
import static io.evasan.scsi.cdb.CdbDescriptor.u16;
import static io.evasan.scsi.cdb.CdbDescriptor.u8;
import static io.evasan.scsi.target.impl.BlockCommands.MAX_ATOMIC_TRANSFER_BLOCKS;
import static io.evasan.scsi.target.impl.BlockCommands.MAX_COMPARE_AND_WRITE_BLOCKS;
import static io.evasan.scsi.target.impl.BlockCommands.MAX_TRANSFER_BLOCKS;
import static io.evasan.scsi.target.impl.BlockCommands.MAX_UNMAP_DESCRIPTORS;
import static io.evasan.scsi.target.impl.BlockCommands.MAX_UNMAP_LBA_COUNT;
import static io.evasan.scsi.target.impl.BlockCommands.MAX_WRITE_SAME_BLOCKS;
import static io.evasan.scsi.target.impl.BlockCommands.OPTIMAL_TRANSFER_BLOCKS;
import static io.evasan.scsi.target.impl.TaskReplies.badCdb;
import static io.evasan.scsi.target.impl.TaskReplies.check;
import static io.evasan.scsi.target.impl.TaskReplies.respond;

/**
 * INQUIRY: the standard data and the vital product data pages (00h supported pages, 80h unit serial
 * number, 83h device identification, 8Fh third-party copy, B0h block limits, B1h block device
 * characteristics, B2h logical block provisioning), also for an unpresented LUN (peripheral
 * qualifier 011b). With asymmetric logical unit access (an LU with an {@link AluaSnapshot}) the
 * standard data says TPGS = 01b and page 83h adds the TARGET PORT GROUP designator (type 5) of the
 * nexus' port after its relative target port designator.
 *
 * <p>Invariants: read-only (never changes an LU or a nexus); page 00h lists exactly the pages this
 * class answers; Block Limits (B0h) reports the limits {@link BlockCommands} enforces (its
 * constants), Third-party Copy (8Fh) exactly the commands {@link CopyManager} implements, and the
 * device identification designators (83h) are the ones EXTENDED COPY matches target descriptors
 * against.
 */
final class VpdPages {
    private static void ascii(byte[] out, int off, int len, String v) {
        byte[] b = v.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < len; i++) {
            out[off + i] = i < b.length ? b[i] : (byte) ' ';
        }
    }

    /** {@code explicitAlua}: the target accepts SET TARGET PORT GROUPS (TPGS 11b with port groups). */
    void inquiry(TaskEntry e, Scratch s, boolean unpresented, boolean explicitAlua) throws Done {
        byte[] cdb = e.task.cdb();
        boolean evpd = (cdb[1] & 0x01) != 0;
        int page = u8(cdb, 2);
        int alloc = u16(cdb, 3);
        if ((cdb[1] & 0xFE) != 0) {
            throw badCdb(e, 1, -1);
        }
        if (!evpd && page != 0) {
            throw badCdb(e, 2, -1);
        }
        byte[] o = s.a;
        if (!evpd) {
            int len = 74;
            java.util.Arrays.fill(o, 0, len, (byte) 0);
            o[0] = (byte) (unpresented ? 0x7F : 0x00);
            o[2] = 0x06;                 // SPC-4
            o[3] = 0x12;                 // HISUP, response data format 2
            o[4] = (byte) (len - 5);
            // 3PC: EXTENDED COPY supported; TPGS 01b: implicit ALUA when the target has target port groups
            o[5] = (byte) (unpresented ? 0 : 0x08 | (e.lu.alua == null ? 0
                    : explicitAlua ? TPGS_IMPLICIT_AND_EXPLICIT : TPGS_IMPLICIT));
            o[7] = 0x02;                 // CMDQUE
            LogicalUnit lu = unpresented ? null : e.lu.lu;
            ascii(o, 8, 8, lu == null ? "EVASAN" : lu.vendorId());
            ascii(o, 16, 16, lu == null ? "NO LUN" : lu.productId());
            ascii(o, 32, 4, lu == null ? "0100" : lu.productRevision());
            ascii(o, 36, 20, "");
            put16(o, 58, 0x00A0);        // SAM-5
            put16(o, 60, 0x0460);        // SPC-4
            put16(o, 62, 0x04C0);        // SBC-3
            put16(o, 64, 0x0960);        // iSCSI
            respond(e, o, len, alloc);
            return;
        }
        if (unpresented) {
            throw check(e, SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED);
        }
        LogicalUnit lu = e.lu.lu;
        java.util.Arrays.fill(o, 0, 256, (byte) 0);
        o[1] = (byte) page;
        int len;
        switch (page) {
            case 0x00: {
                int[] pages = {0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2};
                for (int i = 0; i < pages.length; i++) {
                    o[4 + i] = (byte) pages[i];
                }
                len = 4 + pages.length;
                break;
            }
            case 0x80: {
                byte[] sn = lu.serialNumber().getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(sn, 0, o, 4, sn.length);
                len = 4 + sn.length;
                break;
            }
            case 0x83:
                len = deviceIdentification(e, o);
                break;
            case 0x8F: {
                // Third-party Copy: one Supported Commands descriptor (83h: 00h; 84h: 00h, 03h)
                int d = 4;
                put16(o, d, 0x0001);
                int list = d + 5;
                o[list] = (byte) OpCodes.EXTENDED_COPY;
                o[list + 1] = 1;
                o[list + 2] = (byte) ExtendedCopyDescriptor.SA_EXTENDED_COPY_LID1;
                o[list + 3] = (byte) OpCodes.RECEIVE_COPY_RESULTS;
                o[list + 4] = 2;
                o[list + 5] = (byte) ExtendedCopyDescriptor.SA_COPY_STATUS;
                o[list + 6] = (byte) ExtendedCopyDescriptor.SA_OPERATING_PARAMETERS;
                o[d + 4] = 7;                                  // commands supported list length
                int descLen = (1 + 7 + 3) & ~3;               // padded: 4 + 8 = 12 bytes in all
                put16(o, d + 2, descLen);
                len = d + 4 + descLen;
                break;
            }
            case 0xB0: {
                len = 64;
                o[4] = 0x00;                                  // WSNZ=0: WRITE SAME 0 blocks = to the end
                o[5] = (byte) MAX_COMPARE_AND_WRITE_BLOCKS;
                put16(o, 6, 1);                               // optimal transfer length granularity
                put32(o, 8, MAX_TRANSFER_BLOCKS);
                put32(o, 12, OPTIMAL_TRANSFER_BLOCKS);
                put32(o, 16, MAX_TRANSFER_BLOCKS);            // max prefetch length
                if (lu.thinProvisioned()) {
                    put32(o, 20, MAX_UNMAP_LBA_COUNT);
                    put32(o, 24, MAX_UNMAP_DESCRIPTORS);
                    put32(o, 28, 1);                          // optimal unmap granularity
                }
                put64(o, 36, MAX_WRITE_SAME_BLOCKS);
                put32(o, 44, MAX_ATOMIC_TRANSFER_BLOCKS);    // maximum atomic transfer length
                // 48 atomic alignment 0, 52 atomic transfer length granularity 0,
                // 56 max atomic transfer length with atomic boundary 0, 60 max atomic boundary size 0
                break;
            }
            case 0xB1:
                len = 64;
                put16(o, 4, 1);                               // non-rotating medium
                break;
            case 0xB2:
                len = 8;
                if (lu.thinProvisioned()) {
                    o[5] = (byte) (0x80 | 0x40 | 0x20 | 0x04); // LBPU LBPWS LBPWS10 LBPRZ
                    o[6] = 0x02;                              // thin provisioned
                }
                break;
            default:
                throw badCdb(e, 2, -1);
        }
        put16(o, 2, len - 4);
        respond(e, o, len, alloc);
    }

    /** Standard INQUIRY byte 5 TPGS field (5:4) = 01b: implicit asymmetric access only. */
    static final int TPGS_IMPLICIT = 0x10;
    /** TPGS = 11b: implicit and explicit (SET TARGET PORT GROUPS). */
    static final int TPGS_IMPLICIT_AND_EXPLICIT = 0x30;
    static final int DESIGNATOR_RELATIVE_TARGET_PORT = 0x4;
    static final int DESIGNATOR_TARGET_PORT_GROUP = 0x5;

    /**
     * A 4-byte binary designator of the target port association, PIV=1 (relative target port, type 4;
     * target port group, type 5): 0 PROTOCOL ID | CODE SET 1 | 1 PIV ASSOCIATION=01b TYPE | 2 reserved |
     * 3 LENGTH 4 | 4-5 reserved | 6-7 the identifier. Returns the offset after it.
     */
    private static int targetPortDesignator(byte[] o, int p, int proto, int type, int value) {
        java.util.Arrays.fill(o, p, p + 8, (byte) 0);
        o[p] = (byte) (proto | 0x01);
        o[p + 1] = (byte) (0x80 | 0x10 | type);
        o[p + 3] = 4;
        put16(o, p + 6, value);
        return p + 8;
    }

    private static int deviceIdentification(TaskEntry e, byte[] o) {
        LogicalUnit lu = e.lu.lu;
        int p = 4;
        // NAA (LU association)
        o[p] = 0x01;
        o[p + 1] = 0x03;
        o[p + 3] = 16;
        System.arraycopy(lu.naaIdentifier(), 0, o, p + 4, 16);
        p += 20;
        // T10 vendor id + serial (LU association)
        byte[] t10 = (String.format("%-8s", lu.vendorId()) + lu.serialNumber()).getBytes(StandardCharsets.US_ASCII);
        o[p] = 0x02;
        o[p + 1] = 0x01;
        o[p + 3] = (byte) t10.length;
        System.arraycopy(t10, 0, o, p + 4, t10.length);
        p += 4 + t10.length;
        Nexus nx = e.nexus;
        int proto = nx.targetPortName().contains(",t,0x") || nx.targetPortName().startsWith("iqn.") ? 0x50 : 0x00;
        p = targetPortDesignator(o, p, proto, DESIGNATOR_RELATIVE_TARGET_PORT, nx.relativeTargetPortId());
        if (e.lu.alua != null && nx.targetPortGroup() >= 0) {
            p = targetPortDesignator(o, p, proto, DESIGNATOR_TARGET_PORT_GROUP, nx.targetPortGroup());
        }
        // SCSI name string of the target port (UTF-8, null terminated, multiple of 4)
        byte[] name = nx.targetPortName().getBytes(StandardCharsets.UTF_8);
        int nlen = Math.min(252, (name.length + 4) & ~3);
        o[p] = (byte) (proto | 0x03);
        o[p + 1] = (byte) (0x80 | 0x10 | 0x08);
        o[p + 3] = (byte) nlen;
        java.util.Arrays.fill(o, p + 4, p + 4 + nlen, (byte) 0);
        System.arraycopy(name, 0, o, p + 4, Math.min(name.length, nlen - 1));
        p += 4 + nlen;
        return p;
    }
}
