package io.evasan.nsc.cache;

import io.evasan.nsc.marker.SnapshotRequest;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.SnapcloneMode;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A snapclone's mode and quiesce threshold M travel in the kind word of the marker (cache log record and mirror
 * message): bits 0-7 kind code, 8-15 mode (1 = SCALING), 16-31 M; the payload is unchanged and older words (the
 * kind code alone) decode as EAGER with M 0.
 */
class MarkerSnapcloneModeEncodingTest {
    /** Kind word of a SCALING snapclone with M = 300: 02 01 2c 01. */
    static final String GOLDEN_KIND_WORD = "02012c01";

    @Test
    void shouldWriteTheGoldenKindWordAndRoundTripIt() {
        SnapshotRequest req = new SnapshotRequest(5, "mv", SnapshotRequest.Kind.SNAPCLONE, SnapshotRequest.Source.API,
                AllocationPolicy.ON_DEMAND, 3, 1).withSnapcloneMode(SnapcloneMode.SCALING, 300);
        ByteBuffer w = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, req.kindWord());
        assertEquals(GOLDEN_KIND_WORD, HexFormat.of().formatHex(w.array()));
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        CacheMessageDescriptor.encodeMarker(b, crc, 7, req);
        assertTrue(CacheMessageDescriptor.verify(b, crc));
        assertEquals(GOLDEN_KIND_WORD, HexFormat.of().formatHex(b.array(), CacheMessageDescriptor.KIND_OFFSET,
                CacheMessageDescriptor.KIND_OFFSET + 4));
        SnapshotRequest back = CacheMessageDescriptor.markerRequest(b);
        assertEquals(req, back);
        assertEquals(SnapcloneMode.SCALING, back.snapcloneMode());
        assertEquals(300, back.quiesceThreshold());
        // the payload is the same as without a mode (MarkerDiskGroupEncodingTest's golden bytes, group -1)
        ByteBuffer p = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        CacheMessageDescriptor.putMarkerPayload(p, 0, req, "mv".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("010000000300000001020000020000006d76", HexFormat.of().formatHex(p.array()));
    }

    @Test
    void shouldDecodeOlderKindWordsAsEagerWithTheConfiguredThreshold() {
        ByteBuffer p = ByteBuffer.wrap(HexFormat.of().parseHex("010000000300000001020000020000006d76")).order(ByteOrder.LITTLE_ENDIAN);
        SnapshotRequest clone = CacheMessageDescriptor.getMarkerPayload(p, 0, 2, SnapshotRequest.Kind.SNAPCLONE.code(), 5);
        assertEquals(SnapcloneMode.EAGER, clone.snapcloneMode());
        assertEquals(0, clone.quiesceThreshold());
        assertEquals(SnapshotRequest.Kind.SNAPCLONE.code(), clone.kindWord());
        SnapshotRequest snap = CacheMessageDescriptor.getMarkerPayload(p, 0, 2, SnapshotRequest.Kind.SNAPSHOT.code(), 5);
        assertEquals(SnapshotRequest.Kind.SNAPSHOT.code(), snap.kindWord());
        // a mode or an M on a plain snapshot, or an unknown mode, is not a valid record
        assertThrows(IllegalArgumentException.class, () -> CacheMessageDescriptor.getMarkerPayload(p, 0, 2,
                SnapshotRequest.Kind.SNAPSHOT.code() | 1 << 8, 5));
        assertThrows(IllegalArgumentException.class, () -> CacheMessageDescriptor.getMarkerPayload(p, 0, 2,
                SnapshotRequest.Kind.SNAPSHOT.code() | 9 << 16, 5));
        assertThrows(IllegalArgumentException.class, () -> CacheMessageDescriptor.getMarkerPayload(p, 0, 2,
                SnapshotRequest.Kind.SNAPCLONE.code() | 2 << 8, 5));
    }
}
