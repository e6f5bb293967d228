package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Layout of the stored alert configuration (MLD record {@code mgmt.alerts/config}): which {@link AlertRule}s are on
 * and the webhook URLs they are delivered to.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic 'EVAL'                           |  0
 *  +-------------------------------+-------------------------------+
 *  |          version (1)          | rules (u16, bit i = rule i)   |  4
 *  +-------------------------------+-------------------------------+
 *  |       webhook count (u16)     |        reserved (0)           |  8
 *  +-------------------------------+-------------------------------+
 *  |  per webhook: URL length (u16), URL (UTF-8)  ...              | 12
 *  +---------------------------------------------------------------+
 *  |         CRC-32C of every byte before it (u32)                 | 12+n
 *  +---------------------------------------------------------------+
 *  little endian; rule bits in {@link AlertRule} declaration order
 * </pre>
 * Invariant: {@link #decode} returns exactly what {@link #encode} was given and refuses every other byte string with
 * CORRUPT_METADATA "stored alert configuration is malformed: ...".
 */
public final class AlertConfigDescriptor {
    public static final int MAGIC = 0x4C415645; // "EVAL" little endian
    public static final int VERSION = 1;
    static final int HEADER = 12;
    private static final String WHAT = "alert configuration";

    /** The configuration as stored. */
    public record Stored(Set<AlertRule> rules, List<String> webhooks) {
        public Stored {
            rules = rules.isEmpty() ? EnumSet.noneOf(AlertRule.class) : EnumSet.copyOf(rules);
            webhooks = List.copyOf(webhooks);
        }
    }

    private AlertConfigDescriptor() {
    }

    public static byte[] encode(Stored s) {
        List<byte[]> urls = new ArrayList<>();
        int n = 0;
        for (String u : s.webhooks()) {
            byte[] b = u.getBytes(StandardCharsets.UTF_8);
            if (b.length > 0xFFFF) {
                throw new IllegalArgumentException("webhook URL longer than 65535 bytes");
            }
            urls.add(b);
            n += 2 + b.length;
        }
        int mask = 0;
        for (AlertRule r : s.rules()) {
            mask |= 1 << r.ordinal();
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + n + CrcRecord.TRAILER).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) mask).putShort((short) urls.size()).putShort((short) 0);
        for (byte[] u : urls) {
            b.putShort((short) u.length).put(u);
        }
        return CrcRecord.seal(b);
    }

    /** @throws StorageException CORRUPT_METADATA for any damage */
    public static Stored decode(byte[] r) {
        ByteBuffer b = CrcRecord.open(r, HEADER, MAGIC, VERSION, WHAT);
        int mask = b.getShort(6) & 0xFFFF;
        int count = b.getShort(8) & 0xFFFF;
        if (b.getShort(10) != 0) {
            throw CrcRecord.corrupt(WHAT, "reserved field is not 0");
        }
        if (mask >>> AlertRule.values().length != 0) {
            throw CrcRecord.corrupt(WHAT, "unknown rule bits " + Integer.toHexString(mask));
        }
        int at = HEADER;
        int end = r.length - CrcRecord.TRAILER;
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (at + 2 > end) {
                throw CrcRecord.corrupt(WHAT, "webhook " + i + " runs past the record");
            }
            int len = b.getShort(at) & 0xFFFF;
            if (at + 2 + len > end) {
                throw CrcRecord.corrupt(WHAT, "webhook " + i + " runs past the record");
            }
            urls.add(new String(r, at + 2, len, StandardCharsets.UTF_8));
            at += 2 + len;
        }
        if (at != end) {
            throw CrcRecord.corrupt(WHAT, (end - at) + " bytes after the last webhook");
        }
        CrcRecord.checkCrc(r, WHAT);
        Set<AlertRule> rules = EnumSet.noneOf(AlertRule.class);
        for (AlertRule x : AlertRule.values()) {
            if ((mask & (1 << x.ordinal())) != 0) {
                rules.add(x);
            }
        }
        return new Stored(rules, urls);
    }
}
