package io.evasan.mgmt.impl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The fabric's zoning records in the cell's {@code Records} (the MLD): a zone (kind {@value #ZONE}, key = zone name,
 * items = member WWPNs), a zone set (kind {@value #ZONE_SET}, key = set name, items = zone names) and the active
 * configuration (kind {@value #ACTIVE}, key {@value #ACTIVE_KEY}, name = the active set, no items). Little endian,
 * in the {@link CrcRecord} frame:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      magic "FZON" (u32)                       |  0
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         version (u16) = 1     |   type (u8)   |   reserved    |  4
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |       name length (u16)       |        item count (u16)       |  8
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | name (UTF-8) | count x (u16 length, UTF-8 item)               | 12
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      CRC-32C of all above (u32)               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * type: 1 zone, 2 zone set, 3 active configuration. Invariant: {@link #decode} of {@link #encode} is the same record;
 * anything else is refused with CORRUPT_METADATA.
 */
final class ZoningDescriptor {
    static final String ZONE = "fabric.zone";
    static final String ZONE_SET = "fabric.zoneset";
    static final String ACTIVE = "fabric.active";
    static final String ACTIVE_KEY = "active";
    static final int MAGIC = 0x4E4F5A46;   // "FZON" little endian
    static final int VERSION = 1;
    static final int HEADER = 12;
    static final int TYPE_ZONE = 1;
    static final int TYPE_ZONE_SET = 2;
    static final int TYPE_ACTIVE = 3;

    /** One decoded record. */
    record Stored(int type, String name, List<String> items) {
        Stored {
            items = List.copyOf(items);
        }
    }

    private ZoningDescriptor() {
    }

    static byte[] encode(Stored s) {
        byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
        List<byte[]> items = new ArrayList<>();
        int size = HEADER + name.length + CrcRecord.TRAILER;
        for (String i : s.items()) {
            byte[] b = i.getBytes(StandardCharsets.UTF_8);
            items.add(b);
            size += 2 + b.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).put((byte) s.type()).put((byte) 0)
                .putShort((short) name.length).putShort((short) items.size()).put(name);
        for (byte[] i : items) {
            b.putShort((short) i.length).put(i);
        }
        return CrcRecord.seal(b);
    }

    static Stored decode(byte[] r) {
        String what = "fabric zoning record";
        ByteBuffer b = CrcRecord.open(r, HEADER, MAGIC, VERSION, what);
        CrcRecord.checkCrc(r, what);
        int type = b.get(6) & 0xFF;
        if (type < TYPE_ZONE || type > TYPE_ACTIVE) {
            throw CrcRecord.corrupt(what, "type " + type);
        }
        int nameLength = b.getShort(8) & 0xFFFF;
        int count = b.getShort(10) & 0xFFFF;
        int end = r.length - CrcRecord.TRAILER;
        int at = HEADER;
        if (at + nameLength > end) {
            throw CrcRecord.corrupt(what, "name past the end");
        }
        String name = new String(r, at, nameLength, StandardCharsets.UTF_8);
        at += nameLength;
        List<String> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (at + 2 > end) {
                throw CrcRecord.corrupt(what, "item " + i + " past the end");
            }
            int len = b.getShort(at) & 0xFFFF;
            at += 2;
            if (at + len > end) {
                throw CrcRecord.corrupt(what, "item " + i + " past the end");
            }
            items.add(new String(r, at, len, StandardCharsets.UTF_8));
            at += len;
        }
        if (at != end) {
            throw CrcRecord.corrupt(what, "trailing bytes");
        }
        return new Stored(type, name, items);
    }
}
