package io.evasan.nsc.cache;

import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Wire layout of the messages that describe every change to a cache, so that a partner
 * controller can hold a replica (mirroring, DESIGN.md §7): a cached write, a marker insertion, a
 * destage completion, a marker completion. Messages are applied in the order sent.
 *
 * <pre>
 * Message (HEADER_LENGTH = 48, then payload; little endian):
 *    0             4      8        16          20      24            32           36       40          48
 *   +-------------+------+--------+-----------+-------+-------------+------------+--------+-----------+---------+
 *   |messageLength| type |  seq   | initiator | lunId | byteOffset  | payloadLen | crc32c | mirrorSeq | payload |
 *   |             |      |        | /lunCount | /kind | /requestId  |            |        |           |         |
 *   +-------------+------+--------+-----------+-------+-------------+------------+--------+-----------+---------+
 *   crc32c covers [0,36) and [40, messageLength) (the mirror sequence number and the payload).
 *   seq: the cache's item sequence number (a write chunk or a marker; for a completion, the item's).
 *   mirrorSeq: the message's own number in the cache's mirror stream, 1, 2, 3, ... per cache with
 *   no gap (0 = not sequenced: a message built outside a stream). The partner acknowledges
 *   cumulatively: "acked n" means it holds every message up to n.
 *   WRITE        (1): initiator, lunId, byteOffset, payload = the data.
 *   MARKER       (2): lunCount, kind word, requestId, payload = marker payload (below).
 *   kind word: bits 0-7 kind code (1 snapshot, 2 snapclone), bits 8-15 snapclone mode (0 EAGER,
 *   1 SCALING), bits 16-31 the snapclone's quiesce threshold M (0 = the controller's configured
 *   one); records written before modes existed carry the kind code alone (EAGER, M 0). The cache
 *   log's marker record has the same kind word ({@link CacheLogDescriptor}).
 *   DESTAGED     (3): seq of the write that reached the backend; no payload.
 *   MARKER_DONE  (4): seq of the marker whose snapshot was taken; no payload.
 *
 * Batch: one or more messages back to back (each starts with its own messageLength), mirror
 * sequence numbers consecutive; {@link #forEachInBatch} walks one.
 *
 * Version history: the 40-byte header had no mirrorSeq (payload at 40). Messages are never
 * stored, so both ends change together; the cache log ({@link CacheLogDescriptor}) is unaffected.
 *
 * Marker payload (also used in the cache log, see {@link CacheLogDescriptor}):
 *   lunCount x int lunId | int source word | int nameLength | nameLength bytes UTF-8
 *   source word: bits 0-7 source code, bits 8-15 allocation policy code (0 = the controller's
 *   configured policy, 1 = RESERVE_FULL, 2 = ON_DEMAND), bits 16-31 disk group code of a
 *   snapclone's new disk (0 = the LUN's own group, else group id + 1). Records written before
 *   the policy (or the group) existed have 0 there and decode as "controller default" (and "the
 *   LUN's group"): compatible extensions.
 * </pre>
 */
public final class CacheMessageDescriptor {
    private CacheMessageDescriptor() {
    }

    public static final int HEADER_LENGTH = 48;
    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int SEQ_OFFSET = 8;
    public static final int INITIATOR_OFFSET = 16;
    public static final int LUN_COUNT_OFFSET = 16;
    public static final int LUN_OFFSET = 20;
    public static final int KIND_OFFSET = 20;
    public static final int BYTE_OFFSET_OFFSET = 24;
    public static final int REQUEST_ID_OFFSET = 24;
    public static final int PAYLOAD_LENGTH_OFFSET = 32;
    public static final int CRC_OFFSET = 36;
    public static final int MIRROR_SEQ_OFFSET = 40;
    public static final int PAYLOAD_OFFSET = HEADER_LENGTH;

    public static final int TYPE_WRITE = 1;
    public static final int TYPE_MARKER = 2;
    public static final int TYPE_DESTAGED = 3;
    public static final int TYPE_MARKER_DONE = 4;

    /** Bytes a message with this payload needs. */
    public static int messageLength(int payloadLength) {
        return HEADER_LENGTH + payloadLength;
    }

    /**
     * Encodes a WRITE of {@code length} bytes taken from {@code data} at absolute index
     * {@code dataIndex} into {@code dst} from index 0 (little endian). Returns the message length and
     * leaves {@code dst} positioned at 0 with the limit at the end of the message.
     */
    public static int encodeWrite(ByteBuffer dst, CRC32C crc, long seq, int initiator, int lunId, long byteOffset,
                                  ByteBuffer data, int dataIndex, int length) {
        return encodeWrite(dst, crc, 0, seq, initiator, lunId, byteOffset, data, dataIndex, length);
    }

    /** {@link #encodeWrite} with mirror sequence number {@code mirrorSeq}. */
    public static int encodeWrite(ByteBuffer dst, CRC32C crc, long mirrorSeq, long seq, int initiator, int lunId,
                                  long byteOffset, ByteBuffer data, int dataIndex, int length) {
        int len = messageLength(length);
        dst.clear();
        dst.putLong(MIRROR_SEQ_OFFSET, mirrorSeq);
        dst.putInt(LENGTH_OFFSET, len).putInt(TYPE_OFFSET, TYPE_WRITE).putLong(SEQ_OFFSET, seq)
                .putInt(INITIATOR_OFFSET, initiator).putInt(LUN_OFFSET, lunId).putLong(BYTE_OFFSET_OFFSET, byteOffset)
                .putInt(PAYLOAD_LENGTH_OFFSET, length);
        dst.put(PAYLOAD_OFFSET, data, dataIndex, length);
        return seal(dst, crc, len);
    }

    /** Encodes a MARKER message for {@code request} with sequence number {@code seq}. */
    public static int encodeMarker(ByteBuffer dst, CRC32C crc, long seq, SnapshotRequest request) {
        return encodeMarker(dst, crc, 0, seq, request);
    }

    /** {@link #encodeMarker} with mirror sequence number {@code mirrorSeq}. */
    public static int encodeMarker(ByteBuffer dst, CRC32C crc, long mirrorSeq, long seq, SnapshotRequest request) {
        byte[] name = request.name().getBytes(StandardCharsets.UTF_8);
        int payload = CacheLogDescriptor.markerPayloadLength(request.lunCount(), name.length);
        int len = messageLength(payload);
        dst.clear();
        dst.putLong(MIRROR_SEQ_OFFSET, mirrorSeq);
        dst.putInt(LENGTH_OFFSET, len).putInt(TYPE_OFFSET, TYPE_MARKER).putLong(SEQ_OFFSET, seq)
                .putInt(LUN_COUNT_OFFSET, request.lunCount()).putInt(KIND_OFFSET, request.kindWord())
                .putLong(REQUEST_ID_OFFSET, request.requestId()).putInt(PAYLOAD_LENGTH_OFFSET, payload);
        putMarkerPayload(dst, PAYLOAD_OFFSET, request, name);
        return seal(dst, crc, len);
    }

    /** Encodes a DESTAGED or MARKER_DONE message. */
    public static int encodeCompletion(ByteBuffer dst, CRC32C crc, int type, long seq) {
        return encodeCompletion(dst, crc, 0, type, seq);
    }

    /** {@link #encodeCompletion} with mirror sequence number {@code mirrorSeq}. */
    public static int encodeCompletion(ByteBuffer dst, CRC32C crc, long mirrorSeq, int type, long seq) {
        if (type != TYPE_DESTAGED && type != TYPE_MARKER_DONE) {
            throw new IllegalArgumentException("not a completion type: " + type);
        }
        dst.clear();
        dst.putLong(MIRROR_SEQ_OFFSET, mirrorSeq);
        dst.putInt(LENGTH_OFFSET, HEADER_LENGTH).putInt(TYPE_OFFSET, type).putLong(SEQ_OFFSET, seq)
                .putInt(INITIATOR_OFFSET, 0).putInt(LUN_OFFSET, 0).putLong(BYTE_OFFSET_OFFSET, 0)
                .putInt(PAYLOAD_LENGTH_OFFSET, 0);
        return seal(dst, crc, HEADER_LENGTH);
    }

    private static int seal(ByteBuffer dst, CRC32C crc, int len) {
        crc.reset();
        dst.position(0).limit(CRC_OFFSET);
        crc.update(dst);
        dst.limit(len).position(MIRROR_SEQ_OFFSET);
        crc.update(dst);
        dst.putInt(CRC_OFFSET, (int) crc.getValue());
        dst.position(0).limit(len);
        return len;
    }

    /**
     * Calls {@code each} with a view of every message of a batch (index 0 to {@code batch}'s limit;
     * each view little endian, index 0 at the message, limit at its end). Returns the message count.
     * A length field that runs past the batch or below the header throws IllegalArgumentException
     * (the message's own crc is for the consumer to verify).
     */
    public static int forEachInBatch(ByteBuffer batch, java.util.function.Consumer<ByteBuffer> each) {
        ByteBuffer b = batch.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int p = b.position();
        int end = b.limit();
        int n = 0;
        while (p < end) {
            if (end - p < HEADER_LENGTH) {
                throw new IllegalArgumentException("batch: " + (end - p) + " trailing bytes at " + p);
            }
            int len = b.getInt(p + LENGTH_OFFSET);
            if (len < HEADER_LENGTH || len > end - p) {
                throw new IllegalArgumentException("batch: message length " + len + " at " + p);
            }
            each.accept(b.slice(p, len).order(ByteOrder.LITTLE_ENDIAN));
            p += len;
            n++;
        }
        return n;
    }

    /** True if the message at index 0 of {@code msg} has a consistent length and crc. */
    public static boolean verify(ByteBuffer msg, CRC32C crc) {
        if (msg.limit() < HEADER_LENGTH) {
            return false;
        }
        int len = msg.getInt(LENGTH_OFFSET);
        int payload = msg.getInt(PAYLOAD_LENGTH_OFFSET);
        if (len != HEADER_LENGTH + payload || payload < 0 || len > msg.limit()) {
            return false;
        }
        crc.reset();
        ByteBuffer view = msg.duplicate();
        view.limit(CRC_OFFSET).position(0);
        crc.update(view);
        view.limit(len).position(MIRROR_SEQ_OFFSET);
        crc.update(view);
        return (int) crc.getValue() == msg.getInt(CRC_OFFSET);
    }

    public static int type(ByteBuffer m) { return m.getInt(TYPE_OFFSET); }
    public static long seq(ByteBuffer m) { return m.getLong(SEQ_OFFSET); }
    public static int initiator(ByteBuffer m) { return m.getInt(INITIATOR_OFFSET); }
    public static int lunId(ByteBuffer m) { return m.getInt(LUN_OFFSET); }
    public static long byteOffset(ByteBuffer m) { return m.getLong(BYTE_OFFSET_OFFSET); }
    public static int payloadLength(ByteBuffer m) { return m.getInt(PAYLOAD_LENGTH_OFFSET); }
    public static long mirrorSeq(ByteBuffer m) { return m.getLong(MIRROR_SEQ_OFFSET); }

    /** Decodes the request carried by a MARKER message. */
    public static SnapshotRequest markerRequest(ByteBuffer m) {
        return getMarkerPayload(m, PAYLOAD_OFFSET, m.getInt(LUN_COUNT_OFFSET), m.getInt(KIND_OFFSET),
                m.getLong(REQUEST_ID_OFFSET));
    }

    /** Writes the marker payload at absolute {@code index}; returns bytes written. */
    public static int putMarkerPayload(ByteBuffer dst, int index, SnapshotRequest request, byte[] nameUtf8) {
        int p = index;
        for (int i = 0; i < request.lunCount(); i++) {
            dst.putInt(p, request.lunId(i));
            p += 4;
        }
        dst.putInt(p, request.source().code() | request.policyCode() << 8 | request.diskGroupCode() << 16);
        dst.putInt(p + 4, nameUtf8.length);
        dst.put(p + 8, nameUtf8);
        return p + 8 + nameUtf8.length - index;
    }

    /** Reads a marker payload at absolute {@code index}. */
    public static SnapshotRequest getMarkerPayload(ByteBuffer src, int index, int lunCount, int kindWord, long requestId) {
        int kindCode = SnapshotRequest.kindOfWord(kindWord);
        if (lunCount <= 0 || lunCount > 1 << 16) {
            throw new IllegalArgumentException("marker lun count " + lunCount);
        }
        int[] luns = new int[lunCount];
        int p = index;
        for (int i = 0; i < lunCount; i++) {
            luns[i] = src.getInt(p);
            p += 4;
        }
        int sourceWord = src.getInt(p);
        int source = sourceWord & 0xFF;
        int policy = sourceWord >>> 8 & 0xFF;
        int group = SnapshotRequest.diskGroupOfCode(sourceWord >>> 16);
        if (group >= 0 && kindCode != SnapshotRequest.Kind.SNAPCLONE.code()) {
            throw new IllegalArgumentException("marker source word " + Integer.toHexString(sourceWord)
                    + ": a disk group on a plain snapshot");
        }
        int nameLen = src.getInt(p + 4);
        if (nameLen < 0 || nameLen > SnapshotRequest.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("marker name length " + nameLen);
        }
        byte[] name = new byte[nameLen];
        src.get(p + 8, name);
        return SnapshotRequest.withKindWord(new SnapshotRequest(requestId, new String(name, StandardCharsets.UTF_8),
                SnapshotRequest.Kind.ofCode(kindCode), SnapshotRequest.Source.ofCode(source),
                SnapshotRequest.policyOfCode(policy), luns).inDiskGroup(group), kindWord);
    }
}
