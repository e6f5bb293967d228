package io.evasan.nsc.cache;

import io.evasan.nsc.marker.SnapshotRequest;
import io.evasan.sharing.AllocationPolicy;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The marker payload carries a snapclone's disk group compatibly (group code in bits 16-31 of the source word). */
class MarkerDiskGroupEncodingTest {
    /** LUNs 1 and 3, API, RESERVE_FULL, disk group 2, name "mv". */
    static final String GOLDEN = "010000000300000001010300020000006d76";

    @Test
    void shouldRoundTripTheDiskGroupInTheLogPayloadAndTheMirrorMessage() {
        for (int g : new int[] {-1, 0, 1, 7, SnapshotRequest.MAX_DISK_GROUP}) {
            SnapshotRequest req = new SnapshotRequest(42, "clone-é", SnapshotRequest.Kind.SNAPCLONE, SnapshotRequest.Source.API,
                    AllocationPolicy.ON_DEMAND, 3, 1).inDiskGroup(g);
            byte[] name = req.name().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            CacheMessageDescriptor.putMarkerPayload(b, 16, req, name);
            SnapshotRequest back = CacheMessageDescriptor.getMarkerPayload(b, 16, 2, SnapshotRequest.Kind.SNAPCLONE.code(), 42);
            assertEquals(req, back);
            assertEquals(g, back.diskGroup());
            assertEquals(AllocationPolicy.ON_DEMAND, back.policy());

            CRC32C crc = new CRC32C();
            CacheMessageDescriptor.encodeMarker(b, crc, 7, req);
            assertTrue(CacheMessageDescriptor.verify(b, crc));
            assertEquals(g, CacheMessageDescriptor.markerRequest(b).diskGroup());
        }
    }

    @Test
    void shouldWriteTheGoldenBytes() {
        SnapshotRequest req = new SnapshotRequest(5, "mv", SnapshotRequest.Kind.SNAPCLONE, SnapshotRequest.Source.API,
                AllocationPolicy.RESERVE_FULL, 3, 1).inDiskGroup(2);
        ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(18, CacheMessageDescriptor.putMarkerPayload(b, 0, req, "mv".getBytes(StandardCharsets.UTF_8)));
        assertEquals(GOLDEN, HexFormat.of().formatHex(b.array()));
        assertEquals(req, CacheMessageDescriptor.getMarkerPayload(ByteBuffer.wrap(HexFormat.of().parseHex(GOLDEN))
                .order(ByteOrder.LITTLE_ENDIAN), 0, 2, SnapshotRequest.Kind.SNAPCLONE.code(), 5));
    }

    @Test
    void shouldReadOlderPayloadsAsTheLunsOwnGroupAndRefuseAGroupOnAPlainSnapshot() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        // before groups: source word with policy only
        b.putInt(0, 5).putInt(4, SnapshotRequest.Source.API.code() | 2 << 8).putInt(8, 1).put(12, (byte) 'x');
        SnapshotRequest r = CacheMessageDescriptor.getMarkerPayload(b, 0, 1, SnapshotRequest.Kind.SNAPCLONE.code(), 9);
        assertEquals(-1, r.diskGroup());
        assertEquals(AllocationPolicy.ON_DEMAND, r.policy());
        // before policies
        b.putInt(4, SnapshotRequest.Source.HOST.code());
        assertEquals(-1, CacheMessageDescriptor.getMarkerPayload(b, 0, 1, SnapshotRequest.Kind.SNAPSHOT.code(), 9).diskGroup());
        // a group on a plain snapshot is not a valid record
        b.putInt(4, SnapshotRequest.Source.API.code() | 1 << 16);
        assertThrows(IllegalArgumentException.class,
                () -> CacheMessageDescriptor.getMarkerPayload(b, 0, 1, SnapshotRequest.Kind.SNAPSHOT.code(), 9));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotRequest(1, "s", SnapshotRequest.Kind.SNAPSHOT,
                SnapshotRequest.Source.API, null, 1).inDiskGroup(0));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotRequest(1, "s", SnapshotRequest.Kind.SNAPCLONE,
                SnapshotRequest.Source.API, null, 1).inDiskGroup(SnapshotRequest.MAX_DISK_GROUP + 1));
    }
}
