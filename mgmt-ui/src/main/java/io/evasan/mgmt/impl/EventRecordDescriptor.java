package io.evasan.mgmt.impl;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Layout of one record of the persistent event log ({@code <management state directory>/events.log}, records
 * appended back to back, see {@link EventLog}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic 'EVEV'                           |  0
 *  +-------------------------------+-------------------------------+
 *  |          version (1)          | severity (0 INFO, 1 WARNING,  |  4
 *  |                               |           2 CRITICAL)         |
 *  +-------------------------------+-------------------------------+
 *  |           record length (u32, header .. CRC inclusive)        |  8
 *  +---------------------------------------------------------------+
 *  |                        seq (i64, from 1)                      | 12
 *  +---------------------------------------------------------------+
 *  |                      timeMillis (i64, UTC)                    | 20
 *  +-------------------------------+-------------------------------+
 *  |      category length (u16)    |     object length (u16)       | 28
 *  +-------------------------------+-------------------------------+
 *  |       actor length (u16)      |     message length (u16)      | 32
 *  +-------------------------------+-------------------------------+
 *  |   category, object, actor, message (UTF-8, back to back)      | 36
 *  +---------------------------------------------------------------+
 *  |         CRC-32C of every byte before it (u32)                 | 36+n
 *  +---------------------------------------------------------------+
 *  little endian
 * </pre>
 * The magic/version check and the CRC-32C trailer are {@link CrcRecord}'s. The record length lets a reader find
 * the next record; it is checked against the four string lengths.
 *
 * <p>Invariant: {@link #decode} returns exactly what {@link #encode} was given, and refuses every other byte
 * string with CORRUPT_METADATA "stored event record is malformed: ...".
 */
public final class EventRecordDescriptor {
    public static final int MAGIC = 0x56455645; // "EVEV" little endian
    public static final int VERSION = 1;
    static final int HEADER = 36;
    /** Longest text field, in UTF-8 bytes. */
    public static final int MAX_FIELD = 4096;
    private static final String WHAT = "event record";

    /** Event severities, in the order of their stored code. */
    public enum Severity { INFO, WARNING, CRITICAL }

    /**
     * One event as stored.
     *
     * @param category what happened, e.g. {@code health}, {@code rebuild}, {@code capacity}, {@code audit}
     * @param object   the object it concerns ("lun mirror", "drive dg0/3"; "" for none)
     * @param actor    who did it: "token &lt;id&gt; from &lt;address&gt;" for a management change, "" for the system
     */
    public record Event(long seq, long timeMillis, Severity severity, String category, String object, String actor,
                        String message) {
    }

    private EventRecordDescriptor() {
    }

    /** @throws IllegalArgumentException naming the field that does not fit (longer than {@link #MAX_FIELD} bytes) */
    public static byte[] encode(Event e) {
        byte[][] s = {utf8("category", e.category()), utf8("object", e.object()), utf8("actor", e.actor()),
            utf8("message", e.message())};
        int n = s[0].length + s[1].length + s[2].length + s[3].length;
        int length = HEADER + n + CrcRecord.TRAILER;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).putShort((short) e.severity().ordinal()).putInt(length)
                .putLong(e.seq()).putLong(e.timeMillis());
        for (byte[] x : s) {
            b.putShort((short) x.length);
        }
        for (byte[] x : s) {
            b.put(x);
        }
        return CrcRecord.seal(b);
    }

    private static byte[] utf8(String field, String v) {
        byte[] x = v.getBytes(StandardCharsets.UTF_8);
        if (x.length > MAX_FIELD) {
            throw new IllegalArgumentException("event " + field + " is " + x.length + " bytes, more than " + MAX_FIELD);
        }
        return x;
    }

    /**
     * The length of the record that starts at {@code b}'s position, read from its header (the bytes are not
     * checked): what a reader of the log needs before it has the whole record; -1 when fewer than
     * {@link #HEADER} bytes remain.
     */
    static int peekLength(ByteBuffer b) {
        if (b.remaining() < HEADER) {
            return -1;
        }
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(b.position() + 8);
    }

    /** @throws StorageException CORRUPT_METADATA for any damage: length, magic, version, severity, string lengths, CRC */
    public static Event decode(byte[] r) {
        ByteBuffer b = CrcRecord.open(r, HEADER, MAGIC, VERSION, WHAT);
        if (b.getInt(8) != r.length) {
            throw CrcRecord.corrupt(WHAT, "record length " + b.getInt(8) + " but " + r.length + " bytes");
        }
        int severity = b.getShort(6) & 0xFFFF;
        int[] len = new int[4];
        int n = 0;
        for (int i = 0; i < 4; i++) {
            len[i] = b.getShort(28 + 2 * i) & 0xFFFF;
            n += len[i];
        }
        if (HEADER + n + CrcRecord.TRAILER != r.length) {
            throw CrcRecord.corrupt(WHAT, "string lengths do not match the record length");
        }
        CrcRecord.checkCrc(r, WHAT);
        if (severity >= Severity.values().length) {
            throw CrcRecord.corrupt(WHAT, "severity " + severity);
        }
        String[] s = new String[4];
        int at = HEADER;
        for (int i = 0; i < 4; i++) {
            s[i] = new String(r, at, len[i], StandardCharsets.UTF_8);
            at += len[i];
        }
        return new Event(b.getLong(12), b.getLong(20), Severity.values()[severity], s[0], s[1], s[2], s[3]);
    }
}
