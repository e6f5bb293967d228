package io.evasan.nsc.cell;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.CellRecord.*;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Byte layout of one committed {@link CellRecord} (what a partner controller receives and applies), big-endian
 * (network order).
 *
 * <pre>
 *  0          2         3         4                 8                                  16
 *  +----------+---------+---------+-----------------+----------------------------------+
 *  | magic    | version | type    | bodyLength      | seq                              |
 *  | "CR"     | (1)     | (code)  | (u32)           | (u64, from 1, no gaps)           |
 *  +----------+---------+---------+-----------------+----------------------------------+
 *  | body: bodyLength bytes, the type's fields in the order of the table below         |
 *  +-----------------------------------------------------------------------------------+
 *  | crc32c (u32) over bytes 0 .. 16 + bodyLength (header and body)                    |
 *  +-----------------------------------------------------------------------------------+
 *
 *  field kinds: i32 / i64 two's complement; u8 a byte (booleans are 0 or 1, enums their ordinal);
 *               str = u16 byteLength + UTF-8 (well formed); bytes = u32 length + bytes
 *
 *  code type                 body
 *   1   LUN_CREATED          id i32 | kind u8 (0 PRIMARY, 1 LOG) | uid i64 | disk i64 | size i64 | group i32 | name str
 *   2   LUN_DELETED          id i32 | name str
 *   3   LUN_RESIZED          id i32 | size i64 | name str
 *   4   PRESENTED            unit i32 | hostLun i32 | initiator str | name str
 *   5   UNPRESENTED          unit i32 | hostLun i32 | initiator str | name str
 *   6   SNAPSHOT_TAKEN       id i32 | lunId i32 | snapclone u8 | disk i64 | requestId i64 | created i64 | uid i64
 *                            | size i64 | group i32 | policy str | name str
 *   7   SNAPSHOT_DELETED     id i32 | name str
 *   8   SNAPCLONE_PROMOTED   id i32 | snapshot str | lun str
 *   9   QUARANTINE_REPAIRED  kind u8 (0 LUN, 1 SNAPSHOT, 2 DISK) | unit i32 | id str | name str
 *  10   LUN_ROLLED_BACK      lunId i32 | snapshotId i32 | lun str | snapshot str
 *  11   RECORD_PUT           kind str | key str | value bytes
 *  12   RECORD_REMOVED       kind str | key str
 *  13   DISK_GROUP_CREATED   id i32 | name str | count u16 | count x (index i32 | size i64 | path str)
 *  14   DRIVE_ADDED          group i32 | index i32 | size i64 | path str
 *  15   DRIVE_REMOVED        group i32 | index i32
 *  16   DRIVE_FAILED         group i32 | index i32
 *  17   DRIVE_RESTORED       group i32 | index i32
 *  18   BGCOPY_PAUSED        disk i64
 *  19   BGCOPY_RESUMED       disk i64
 *  20   BACKUP_INITIATED     lunId i32 | lun str
 *  21   BACKUP_TERMINATED    (empty)
 *  22   BACKUP_COPY_STARTED  incremental u8 | destination str
 *  23   BACKUP_COPY_PAUSED   (empty)
 *  24   BACKUP_COPY_RESUMED  (empty)
 *  25   BACKUP_COPY_CANCELLED (empty)
 *  26   DRIVE_PULLED         group i32 | index i32
 * </pre>
 *
 * <p>Invariants: {@link #decode} accepts exactly what {@link #encode} produces — any other byte string (a flipped
 * bit anywhere, a torn or padded record, an unknown type or version, a boolean other than 0/1, an enum out of
 * range, malformed UTF-8, a body with bytes left over) is refused with {@code CORRUPT_METADATA}; decoding an
 * encoded record gives an equal record with the same sequence number.
 */
public final class CellRecordDescriptor {
    public static final int MAGIC = 0x4352;   // "CR"
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int TYPE_OFFSET = 3;
    public static final int BODY_LENGTH_OFFSET = 4;
    public static final int SEQ_OFFSET = 8;
    public static final int HEADER_LENGTH = 16;
    public static final int TRAILER_LENGTH = 4;
    /** Largest body accepted (a named record's value is at most this less its names). */
    public static final int MAX_BODY = 16 << 20;

    private static final CellRecord.Type[] BY_CODE = new CellRecord.Type[64];

    static {
        for (CellRecord.Type t : CellRecord.Type.values()) {
            BY_CODE[t.code()] = t;
        }
    }

    private CellRecordDescriptor() {
    }

    /** The record's bytes. */
    public static byte[] encode(CellRecord.Committed c) {
        Out o = new Out();
        o.b.putShort((short) MAGIC).put((byte) VERSION).put((byte) c.record().type().code()).putInt(0).putLong(c.seq());
        body(o, c.record());
        int bodyLength = o.b.position() - HEADER_LENGTH;
        o.b.putInt(BODY_LENGTH_OFFSET, bodyLength);
        CRC32C crc = new CRC32C();
        crc.update(o.b.array(), 0, HEADER_LENGTH + bodyLength);
        o.b.putInt((int) crc.getValue());
        byte[] out = new byte[o.b.position()];
        System.arraycopy(o.b.array(), 0, out, 0, out.length);
        return out;
    }

    /** The record these bytes hold (the whole array, nothing more). */
    public static CellRecord.Committed decode(byte[] bytes) {
        if (bytes.length < HEADER_LENGTH + TRAILER_LENGTH) {
            throw corrupt("cell record of " + bytes.length + " bytes is shorter than its header and CRC");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int magic = b.getShort(MAGIC_OFFSET) & 0xFFFF;
        if (magic != MAGIC) {
            throw corrupt("bad cell record magic " + Integer.toHexString(magic));
        }
        int version = b.get(VERSION_OFFSET) & 0xFF;
        if (version != VERSION) {
            throw corrupt("unknown cell record version " + version);
        }
        long bodyLength = b.getInt(BODY_LENGTH_OFFSET) & 0xFFFFFFFFL;
        if (bodyLength > MAX_BODY || HEADER_LENGTH + bodyLength + TRAILER_LENGTH != bytes.length) {
            throw corrupt("cell record body length " + bodyLength + " does not match its " + bytes.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, (int) (HEADER_LENGTH + bodyLength));
        if ((int) crc.getValue() != b.getInt(HEADER_LENGTH + (int) bodyLength)) {
            throw corrupt("cell record CRC32C mismatch");
        }
        int code = b.get(TYPE_OFFSET) & 0xFF;
        CellRecord.Type type = code < BY_CODE.length ? BY_CODE[code] : null;
        if (type == null) {
            throw corrupt("unknown cell record type " + code);
        }
        long seq = b.getLong(SEQ_OFFSET);
        if (seq < 1) {
            throw corrupt("cell record sequence number " + seq);
        }
        ByteBuffer body = ByteBuffer.wrap(bytes, HEADER_LENGTH, (int) bodyLength).slice();
        CellRecord r;
        try {
            r = body(type, new In(body));
        } catch (BufferUnderflowException | IllegalArgumentException | NullPointerException e) {
            throw corrupt("cell record " + type + " body does not decode: " + e);
        }
        if (body.hasRemaining()) {
            throw corrupt("cell record " + type + " body has " + body.remaining() + " bytes left over");
        }
        return new CellRecord.Committed(seq, r);
    }

    private static void body(Out o, CellRecord record) {
        switch (record.type()) {
            case LUN_CREATED -> {
                LunCreated r = (LunCreated) record;
                o.i32(r.id()).u8(r.kind().ordinal()).i64(r.uid()).i64(r.disk()).i64(r.sizeBytes())
                    .i32(r.group()).str(r.name());
            }
            case LUN_DELETED -> {
                LunDeleted r = (LunDeleted) record;
                o.i32(r.id()).str(r.name());
            }
            case LUN_RESIZED -> {
                LunResized r = (LunResized) record;
                o.i32(r.id()).i64(r.sizeBytes()).str(r.name());
            }
            case PRESENTED -> {
                Presented r = (Presented) record;
                o.i32(r.unitId()).i32(r.hostLun()).str(r.initiator()).str(r.name());
            }
            case UNPRESENTED -> {
                Unpresented r = (Unpresented) record;
                o.i32(r.unitId()).i32(r.hostLun()).str(r.initiator()).str(r.name());
            }
            case SNAPSHOT_TAKEN -> {
                SnapshotTaken r = (SnapshotTaken) record;
                o.i32(r.id()).i32(r.lunId()).bool(r.snapclone()).i64(r.disk()).i64(r.requestId())
                    .i64(r.createdMillis()).i64(r.uid()).i64(r.sizeBytes()).i32(r.group()).str(r.policy()).str(r.name());
            }
            case SNAPSHOT_DELETED -> {
                SnapshotDeleted r = (SnapshotDeleted) record;
                o.i32(r.id()).str(r.name());
            }
            case SNAPCLONE_PROMOTED -> {
                SnapclonePromoted r = (SnapclonePromoted) record;
                o.i32(r.id()).str(r.snapshot()).str(r.lun());
            }
            case QUARANTINE_REPAIRED -> {
                QuarantineRepaired r = (QuarantineRepaired) record;
                o.u8(r.kind().ordinal()).i32(r.unitId()).str(r.id()).str(r.name());
            }
            case LUN_ROLLED_BACK -> {
                LunRolledBack r = (LunRolledBack) record;
                o.i32(r.lunId()).i32(r.snapshotId()).str(r.lun()).str(r.snapshot());
            }
            case RECORD_PUT -> {
                RecordPut r = (RecordPut) record;
                o.str(r.kind()).str(r.key()).bytes(r.value());
            }
            case RECORD_REMOVED -> {
                RecordRemoved r = (RecordRemoved) record;
                o.str(r.kind()).str(r.key());
            }
            case DISK_GROUP_CREATED -> {
                DiskGroupCreated r = (DiskGroupCreated) record;
                o.i32(r.id()).str(r.name());
                if (r.drives().size() > 0xFFFF) {
                    throw new IllegalArgumentException("too many drives: " + r.drives().size());
                }
                o.u16(r.drives().size());
                for (DriveEntry d : r.drives()) {
                    drive(o, d);
                }
            }
            case DRIVE_ADDED -> {
                DriveAdded r = (DriveAdded) record;
                drive(o.i32(r.group()), r.drive());
            }
            case DRIVE_REMOVED -> {
                DriveRemoved r = (DriveRemoved) record;
                o.i32(r.group()).i32(r.index());
            }
            case DRIVE_FAILED -> {
                DriveFailed r = (DriveFailed) record;
                o.i32(r.group()).i32(r.index());
            }
            case DRIVE_RESTORED -> {
                DriveRestored r = (DriveRestored) record;
                o.i32(r.group()).i32(r.index());
            }
            case DRIVE_PULLED -> {
                DrivePulled r = (DrivePulled) record;
                o.i32(r.group()).i32(r.index());
            }
            case BGCOPY_PAUSED -> {
                BgcopyPaused r = (BgcopyPaused) record;
                o.i64(r.disk());
            }
            case BGCOPY_RESUMED -> {
                BgcopyResumed r = (BgcopyResumed) record;
                o.i64(r.disk());
            }
            case BACKUP_INITIATED -> {
                BackupInitiated r = (BackupInitiated) record;
                o.i32(r.lunId()).str(r.lun());
            }
            case BACKUP_TERMINATED -> { }
            case BACKUP_COPY_STARTED -> {
                BackupCopyStarted r = (BackupCopyStarted) record;
                o.bool(r.incremental()).str(r.destination());
            }
            case BACKUP_COPY_PAUSED -> { }
            case BACKUP_COPY_RESUMED -> { }
            case BACKUP_COPY_CANCELLED -> { }
        }
    }

    private static void drive(Out o, DriveEntry d) {
        o.i32(d.index()).i64(d.sizeBytes()).str(d.path());
    }

    private static CellRecord body(CellRecord.Type type, In in) {
        return switch (type) {
            case LUN_CREATED -> {
                int id = in.i32();
                LunKind kind = in.e(LunKind.values());
                long uid = in.i64();
                long disk = in.i64();
                long size = in.i64();
                int group = in.i32();
                yield new LunCreated(id, in.str(), kind, uid, disk, size, group);
            }
            case LUN_DELETED -> new LunDeleted(in.i32(), in.str());
            case LUN_RESIZED -> {
                int id = in.i32();
                long size = in.i64();
                yield new LunResized(id, in.str(), size);
            }
            case PRESENTED -> {
                int unit = in.i32();
                int hostLun = in.i32();
                yield new Presented(in.str(), hostLun, unit, in.str());
            }
            case UNPRESENTED -> {
                int unit = in.i32();
                int hostLun = in.i32();
                yield new Unpresented(in.str(), hostLun, unit, in.str());
            }
            case SNAPSHOT_TAKEN -> {
                int id = in.i32();
                int lunId = in.i32();
                boolean clone = in.bool();
                long disk = in.i64();
                long request = in.i64();
                long created = in.i64();
                long uid = in.i64();
                long size = in.i64();
                int group = in.i32();
                String policy = in.str();
                yield new SnapshotTaken(id, in.str(), lunId, disk, request, clone, created, uid, size, group, policy);
            }
            case SNAPSHOT_DELETED -> new SnapshotDeleted(in.i32(), in.str());
            case SNAPCLONE_PROMOTED -> new SnapclonePromoted(in.i32(), in.str(), in.str());
            case QUARANTINE_REPAIRED -> {
                RepairKind kind = in.e(RepairKind.values());
                int unit = in.i32();
                yield new QuarantineRepaired(in.str(), kind, unit, in.str());
            }
            case LUN_ROLLED_BACK -> {
                int lunId = in.i32();
                int snapId = in.i32();
                yield new LunRolledBack(lunId, in.str(), snapId, in.str());
            }
            case RECORD_PUT -> new RecordPut(in.str(), in.str(), in.bytes());
            case RECORD_REMOVED -> new RecordRemoved(in.str(), in.str());
            case DISK_GROUP_CREATED -> {
                int id = in.i32();
                String name = in.str();
                int n = in.u16();
                List<DriveEntry> drives = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    drives.add(drive(in));
                }
                yield new DiskGroupCreated(id, name, drives);
            }
            case DRIVE_ADDED -> new DriveAdded(in.i32(), drive(in));
            case DRIVE_REMOVED -> new DriveRemoved(in.i32(), in.i32());
            case DRIVE_FAILED -> new DriveFailed(in.i32(), in.i32());
            case DRIVE_RESTORED -> new DriveRestored(in.i32(), in.i32());
            case DRIVE_PULLED -> new DrivePulled(in.i32(), in.i32());
            case BGCOPY_PAUSED -> new BgcopyPaused(in.i64());
            case BGCOPY_RESUMED -> new BgcopyResumed(in.i64());
            case BACKUP_INITIATED -> new BackupInitiated(in.i32(), in.str());
            case BACKUP_TERMINATED -> new BackupTerminated();
            case BACKUP_COPY_STARTED -> {
                boolean incremental = in.bool();
                yield new BackupCopyStarted(in.str(), incremental);
            }
            case BACKUP_COPY_PAUSED -> new BackupCopyPaused();
            case BACKUP_COPY_RESUMED -> new BackupCopyResumed();
            case BACKUP_COPY_CANCELLED -> new BackupCopyCancelled();
        };
    }

    private static DriveEntry drive(In in) {
        int index = in.i32();
        long size = in.i64();
        return new DriveEntry(index, in.str(), size);
    }

    private static StorageException corrupt(String message) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, message);
    }

    /** A growing big-endian buffer. */
    private static final class Out {
        ByteBuffer b = ByteBuffer.allocate(256);

        private void room(int n) {
            if (b.remaining() < n + TRAILER_LENGTH) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n + TRAILER_LENGTH));
                b.flip();
                bigger.put(b);
                b = bigger;
            }
        }

        Out u8(int v) { room(1); b.put((byte) v); return this; }
        Out bool(boolean v) { return u8(v ? 1 : 0); }
        Out u16(int v) { room(2); b.putShort((short) v); return this; }
        Out i32(int v) { room(4); b.putInt(v); return this; }
        Out i64(long v) { room(8); b.putLong(v); return this; }

        Out str(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            if (u.length > 0xFFFF) {
                throw new IllegalArgumentException("string of " + u.length + " UTF-8 bytes exceeds 65535");
            }
            u16(u.length);
            room(u.length);
            b.put(u);
            return this;
        }

        Out bytes(byte[] v) {
            if (v.length > MAX_BODY) {
                throw new IllegalArgumentException("value of " + v.length + " bytes exceeds " + MAX_BODY);
            }
            i32(v.length);
            room(v.length);
            b.put(v);
            return this;
        }
    }

    /** A strict reader of one body. */
    private record In(ByteBuffer b) {
        int u8() { return b.get() & 0xFF; }
        int u16() { return b.getShort() & 0xFFFF; }
        int i32() { return b.getInt(); }
        long i64() { return b.getLong(); }

        boolean bool() {
            int v = u8();
            if (v > 1) {
                throw new IllegalArgumentException("boolean byte " + v);
            }
            return v == 1;
        }

        <E extends Enum<E>> E e(E[] values) {
            int v = u8();
            if (v >= values.length) {
                throw new IllegalArgumentException("enum ordinal " + v + " of " + values.length);
            }
            return values[v];
        }

        String str() {
            int n = u16();
            if (n > b.remaining()) {
                throw new BufferUnderflowException();
            }
            ByteBuffer s = b.slice(b.position(), n);
            b.position(b.position() + n);
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s);
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("malformed UTF-8: " + e);
            }
        }

        byte[] bytes() {
            int n = i32();
            if (n < 0 || n > b.remaining()) {
                throw new BufferUnderflowException();
            }
            byte[] v = new byte[n];
            b.get(v);
            return v;
        }
    }
}
