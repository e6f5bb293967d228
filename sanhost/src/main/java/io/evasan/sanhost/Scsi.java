package io.evasan.sanhost;

import io.evasan.scsi.alua.AccessState;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SCSI a host sends and reads back: CDBs (SPC-4 / SBC-3 layouts, built here from their
 * fields) and the parsing of REPORT LUNS, INQUIRY VPD 83h, READ CAPACITY(16), REPORT TARGET PORT
 * GROUPS and sense data. Pure functions; nothing here talks to the fabric.
 */
final class Scsi {
    static final int REPORT_LUNS_ALLOC = 4096;
    static final int VPD_ALLOC = 1024;
    static final int RTPG_ALLOC = 4096;

    private Scsi() {
    }

    static byte[] testUnitReady() {
        return new byte[6];
    }

    static byte[] reportLuns(int alloc) {
        return ByteBuffer.allocate(12).put((byte) 0xA0).put(new byte[5]).putInt(alloc).put(new byte[2]).array();
    }

    static byte[] inquiryVpd(int page, int alloc) {
        return new byte[] {0x12, 1, (byte) page, (byte) (alloc >> 8), (byte) alloc, 0};
    }

    static byte[] inquiry(int alloc) {
        return new byte[] {0x12, 0, 0, (byte) (alloc >> 8), (byte) alloc, 0};
    }

    static byte[] readCapacity16() {
        return ByteBuffer.allocate(16).put((byte) 0x9E).put((byte) 0x10).put(new byte[8]).putInt(32).put(new byte[2])
                .array();
    }

    /** REPORT TARGET PORT GROUPS (MAINTENANCE IN A3h, service action 0Ah), length-only format. */
    static byte[] reportTargetPortGroups(int alloc) {
        return ByteBuffer.allocate(12).put((byte) 0xA3).put((byte) 0x0A).put(new byte[4]).putInt(alloc).put(new byte[2])
                .array();
    }

    static byte[] read16(long lba, int blocks) {
        return ByteBuffer.allocate(16).put((byte) 0x88).put((byte) 0).putLong(lba).putInt(blocks).put(new byte[2]).array();
    }

    static byte[] write16(long lba, int blocks, boolean fua) {
        return ByteBuffer.allocate(16).put((byte) 0x8A).put((byte) (fua ? 0x08 : 0)).putLong(lba).putInt(blocks)
                .put(new byte[2]).array();
    }

    static byte[] synchronizeCache10() {
        return new byte[] {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    }

    /** UNMAP (42h) of one range; {@link #unmapParameters} is its Data-Out. */
    static byte[] unmap(int parameterLength) {
        return new byte[] {0x42, 0, 0, 0, 0, 0, 0, (byte) (parameterLength >> 8), (byte) parameterLength, 0};
    }

    static byte[] unmapParameters(long lba, int blocks) {
        return ByteBuffer.allocate(24).putShort((short) 22).putShort((short) 16).putInt(0).putLong(lba).putInt(blocks)
                .putInt(0).array();
    }

    /** LUN numbers of a REPORT LUNS answer (peripheral and flat addressing: the 14-bit number). */
    static List<Integer> parseReportLuns(byte[] d) {
        List<Integer> out = new ArrayList<>();
        if (d.length < 8) {
            return out;
        }
        long len = ByteBuffer.wrap(d).getInt() & 0xFFFF_FFFFL;
        for (int p = 8; p + 8 <= d.length && p < 8 + len; p += 8) {
            out.add(((d[p] & 0x3F) << 8) | (d[p + 1] & 0xFF));
        }
        return out;
    }

    /** What a VPD 83h page says about the LU and the port it was read through. */
    record DeviceId(String lu, int relativeTargetPort, int targetPortGroup) {
    }

    /**
     * The LU's designator (NAA preferred, else EUI-64, else T10 vendor id, else SCSI name string,
     * association "logical unit"), the relative target port (type 4) and the target port group
     * (type 5); -1 for what is absent.
     */
    static DeviceId parseDeviceId(byte[] page) {
        if (page.length < 4 || (page[1] & 0xFF) != 0x83) {
            return new DeviceId(null, -1, -1);
        }
        int end = Math.min(page.length, 4 + ((page[2] & 0xFF) << 8 | page[3] & 0xFF));
        Map<Integer, String> luIds = new LinkedHashMap<>();
        int rtp = -1;
        int tpg = -1;
        for (int p = 4; p + 4 <= end; p += 4 + (page[p + 3] & 0xFF)) {
            int type = page[p + 1] & 0x0F;
            int assoc = (page[p + 1] >> 4) & 0x03;
            int len = page[p + 3] & 0xFF;
            if (p + 4 + len > end) {
                break;
            }
            byte[] v = java.util.Arrays.copyOfRange(page, p + 4, p + 4 + len);
            if (assoc == 0) {
                String prefix = type == 3 ? "naa." : type == 2 ? "eui." : type == 1 ? "t10." : type == 8 ? "name." : "id" + type + ".";
                luIds.putIfAbsent(type, prefix + ((page[p] & 0x0F) == 2 || (page[p] & 0x0F) == 3
                        ? new String(v, java.nio.charset.StandardCharsets.UTF_8).trim() : HexFormat.of().formatHex(v)));
            } else if (assoc == 1 && type == 4 && len >= 4) {
                rtp = (v[2] & 0xFF) << 8 | v[3] & 0xFF;
            } else if (assoc == 1 && type == 5 && len >= 4) {
                tpg = (v[2] & 0xFF) << 8 | v[3] & 0xFF;
            }
        }
        String lu = null;
        for (int t : new int[] {3, 2, 1, 8}) {
            if (luIds.containsKey(t)) {
                lu = luIds.get(t);
                break;
            }
        }
        if (lu == null && !luIds.isEmpty()) {
            lu = luIds.values().iterator().next();
        }
        return new DeviceId(lu, rtp, tpg);
    }

    /** Block count and block length from READ CAPACITY(16). */
    record Capacity(long blocks, int blockLength) {
    }

    static Capacity parseCapacity16(byte[] d) {
        ByteBuffer b = ByteBuffer.wrap(d);
        return new Capacity(b.getLong(0) + 1, b.getInt(8));
    }

    /** One group of an RTPG answer. */
    record GroupState(int id, AccessState state, boolean preferred, List<Integer> ports) {
    }

    static List<GroupState> parseRtpg(byte[] d) {
        List<GroupState> out = new ArrayList<>();
        if (d.length < 4) {
            return out;
        }
        boolean extended = d.length >= 8 && (d[4] & 0x70) == 0x10;
        int end = Math.min(d.length, 4 + (int) (ByteBuffer.wrap(d).getInt() & 0x7FFF_FFFFL));
        int p = extended ? 8 : 4;
        while (p + 8 <= end) {
            boolean pref = (d[p] & 0x80) != 0;
            AccessState s;
            try {
                s = AccessState.ofCode(d[p] & 0x0F);
            } catch (RuntimeException e) {
                s = AccessState.UNAVAILABLE;
            }
            int id = (d[p + 2] & 0xFF) << 8 | d[p + 3] & 0xFF;
            int count = d[p + 7] & 0xFF;
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count && p + 8 + 4 * i + 4 <= end; i++) {
                int q = p + 8 + 4 * i;
                ports.add((d[q + 2] & 0xFF) << 8 | d[q + 3] & 0xFF);
            }
            out.add(new GroupState(id, s, pref, ports));
            p += 8 + 4 * count;
        }
        return out;
    }

    /** Sense key, ASC, ASCQ of fixed (70h/71h) or descriptor (72h/73h) sense; {0,0,0} when absent. */
    static int[] sense(byte[] s) {
        if (s == null || s.length < 3) {
            return new int[3];
        }
        if ((s[0] & 0x7F) >= 0x72) {
            return new int[] {s[1] & 0x0F, s[2] & 0xFF, s.length > 3 ? s[3] & 0xFF : 0};
        }
        return new int[] {s[2] & 0x0F, s.length > 12 ? s[12] & 0xFF : 0, s.length > 13 ? s[13] & 0xFF : 0};
    }
}
