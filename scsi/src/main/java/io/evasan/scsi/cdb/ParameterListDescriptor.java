package io.evasan.scsi.cdb;

import static io.evasan.scsi.cdb.CdbDescriptor.put16;
import static io.evasan.scsi.cdb.CdbDescriptor.put32;
import static io.evasan.scsi.cdb.CdbDescriptor.put64;

/**
 * Data-Out parameter list layouts (SBC-3 UNMAP, SPC-4 PERSISTENT RESERVE OUT, TransportID).
 *
 * <pre>
 * UNMAP parameter list:
 *  0-1 UNMAP DATA LENGTH (n-1) | 2-3 UNMAP BLOCK DESCRIPTOR DATA LENGTH (n-7) | 4-7 reserved
 *  8.. block descriptors, 16 bytes each: 0-7 LBA | 8-11 NUMBER OF LOGICAL BLOCKS | 12-15 reserved
 *
 * PERSISTENT RESERVE OUT basic parameter list (24 bytes):
 *  0-7 RESERVATION KEY | 8-15 SERVICE ACTION RESERVATION KEY | 16-19 obsolete |
 *  20 SPEC_I_PT(3) ALL_TG_PT(2) APTPL(0) | 21 reserved | 22-23 obsolete
 *  [SPEC_I_PT=1: 24-27 TRANSPORTID PARAMETER DATA LENGTH, 28.. TransportIDs]
 * REGISTER AND MOVE parameter list:
 *  0-7 RESERVATION KEY | 8-15 SA RESERVATION KEY | 16 reserved | 17 UNREG(1) APTPL(0) |
 *  18-19 RELATIVE TARGET PORT IDENTIFIER | 20-23 TRANSPORTID PARAMETER DATA LENGTH | 24.. TransportID
 *
 * iSCSI TransportID (SPC-4 7.6.4.6, protocol identifier 5):
 *  0 FORMAT CODE(7:6) = 01b (initiator port: name + ",i,0x" + ISID) or 00b (device name) | PROTOCOL ID(3:0) = 5
 *  1 reserved | 2-3 ADDITIONAL LENGTH (multiple of 4) | 4.. null-terminated UTF-8 name, zero padded
 * Fibre Channel TransportID (protocol identifier 0): 0 = 00h | 1-7 reserved | 8-15 N_PORT_NAME | 16-23 reserved
 * </pre>
 *
 * Invariant: encoders produce lists that the target's own parsers accept byte for byte.
 */
public final class ParameterListDescriptor {
    public static final int UNMAP_HEADER = 8;
    public static final int UNMAP_DESCRIPTOR = 16;
    public static final int PROUT_BASIC_LENGTH = 24;
    public static final int PROUT_FLAGS_OFFSET = 20;
    public static final int PROUT_SPEC_I_PT = 0x08;
    public static final int PROUT_ALL_TG_PT = 0x04;
    public static final int PROUT_APTPL = 0x01;
    public static final int PROTOCOL_FC = 0x0;
    public static final int PROTOCOL_ISCSI = 0x5;

    private ParameterListDescriptor() {
    }

    /** Encodes an UNMAP list of {@code lbas.length} descriptors; returns its length. */
    public static int unmapList(byte[] out, long[] lbas, int[] counts) {
        int n = lbas.length;
        int len = UNMAP_HEADER + n * UNMAP_DESCRIPTOR;
        java.util.Arrays.fill(out, 0, len, (byte) 0);
        put16(out, 0, len - 2);
        put16(out, 2, n * UNMAP_DESCRIPTOR);
        for (int i = 0; i < n; i++) {
            int p = UNMAP_HEADER + i * UNMAP_DESCRIPTOR;
            put64(out, p, lbas[i]);
            put32(out, p + 8, counts[i] & 0xFFFFFFFFL);
        }
        return len;
    }

    /** Encodes the 24-byte basic PR OUT parameter list. */
    public static int proutBasic(byte[] out, long key, long saKey, boolean allTgPt, boolean aptpl) {
        java.util.Arrays.fill(out, 0, PROUT_BASIC_LENGTH, (byte) 0);
        put64(out, 0, key);
        put64(out, 8, saKey);
        out[PROUT_FLAGS_OFFSET] = (byte) ((allTgPt ? PROUT_ALL_TG_PT : 0) | (aptpl ? PROUT_APTPL : 0));
        return PROUT_BASIC_LENGTH;
    }

    /** Encodes a REGISTER AND MOVE list naming {@code initiatorPortId}. */
    public static int proutRegisterAndMove(byte[] out, long key, long saKey, boolean unreg, int relTgtPort,
                                           String initiatorPortId) {
        int tidLen = encodeTransportId(out, 24, initiatorPortId);
        java.util.Arrays.fill(out, 0, 24, (byte) 0);
        put64(out, 0, key);
        put64(out, 8, saKey);
        out[17] = (byte) (unreg ? 2 : 0);
        put16(out, 18, relTgtPort);
        put32(out, 20, tidLen);
        return 24 + tidLen;
    }

    /** True when the port id is a Fibre Channel WWPN written as 16 hex digits (colons allowed). */
    public static boolean isFcPortName(String portId) {
        String s = portId.replace(":", "");
        if (s.startsWith("0x") || s.startsWith("0X")) {
            s = s.substring(2);
        }
        return s.length() == 16 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    /** Length of the TransportID {@link #encodeTransportId} writes for this port id. */
    public static int transportIdLength(String initiatorPortId) {
        if (isFcPortName(initiatorPortId)) {
            return 24;
        }
        int n = initiatorPortId.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        int padded = Math.max(20, (n + 3) & ~3);
        return 4 + padded;
    }

    /**
     * Writes the TransportID of an initiator port id: FC for a WWPN, iSCSI format 01b when the id
     * contains ",i,0x" (name + ISID), else iSCSI format 00b. Returns its length.
     */
    public static int encodeTransportId(byte[] out, int off, String initiatorPortId) {
        int len = transportIdLength(initiatorPortId);
        java.util.Arrays.fill(out, off, off + len, (byte) 0);
        if (isFcPortName(initiatorPortId)) {
            String s = initiatorPortId.replace(":", "");
            if (s.startsWith("0x") || s.startsWith("0X")) {
                s = s.substring(2);
            }
            out[off] = PROTOCOL_FC;
            put64(out, off + 8, Long.parseUnsignedLong(s, 16));
            return len;
        }
        boolean withIsid = initiatorPortId.toLowerCase(java.util.Locale.ROOT).contains(",i,0x");
        out[off] = (byte) ((withIsid ? 0x40 : 0) | PROTOCOL_ISCSI);
        put16(out, off + 2, len - 4);
        byte[] name = initiatorPortId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(name, 0, out, off + 4, name.length);
        return len;
    }

    /**
     * Decodes a TransportID at {@code off} into the port id form used by {@code ItNexus}
     * (iSCSI name[,i,0xISID] or 16 lower-case hex digits for FC); null when malformed.
     * {@code lengthOut[0]} receives the TransportID's length.
     */
    public static String decodeTransportId(byte[] in, int off, int limit, int[] lengthOut) {
        if (off + 4 > limit) {
            return null;
        }
        int proto = in[off] & 0x0F;
        int format = (in[off] & 0xC0) >>> 6;
        if (proto == PROTOCOL_FC) {
            if (off + 24 > limit || format != 0) {
                return null;
            }
            lengthOut[0] = 24;
            return String.format("%016x", CdbDescriptor.u64(in, off + 8));
        }
        if (proto != PROTOCOL_ISCSI || format > 1) {
            return null;
        }
        int add = CdbDescriptor.u16(in, off + 2);
        if (add < 4 || (add & 3) != 0 || off + 4 + add > limit) {
            return null;
        }
        int end = off + 4;
        while (end < off + 4 + add && in[end] != 0) {
            end++;
        }
        if (end == off + 4 + add) {
            return null; // not null-terminated
        }
        lengthOut[0] = 4 + add;
        return new String(in, off + 4, end - off - 4, java.nio.charset.StandardCharsets.UTF_8);
    }
}
