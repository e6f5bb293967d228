package io.evasan.nsc.cache;

import io.evasan.nsc.marker.SnapshotRequest;
import io.evasan.sharing.AllocationPolicy;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The marker payload carries the snapshot allocation policy compatibly (policy code in bits 8-15 of the source word). */
class MarkerPolicyEncodingTest {

    @Test
    void shouldRoundTripEveryPolicyInTheLogPayloadAndTheMirrorMessage() {
        for (AllocationPolicy p : new AllocationPolicy[] {null, AllocationPolicy.RESERVE_FULL, AllocationPolicy.ON_DEMAND}) {
            SnapshotRequest req = new SnapshotRequest(42, "snap-é", SnapshotRequest.Kind.SNAPCLONE, SnapshotRequest.Source.API,
                    p, 3, 1);
            byte[] name = req.name().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            CacheMessageDescriptor.putMarkerPayload(b, 16, req, name);
            SnapshotRequest back = CacheMessageDescriptor.getMarkerPayload(b, 16, 2, SnapshotRequest.Kind.SNAPCLONE.code(), 42);
            assertEquals(req, back);
            assertEquals(p, back.policy());

            CRC32C crc = new CRC32C();
            CacheMessageDescriptor.encodeMarker(b, crc, 7, req);
            assertTrue(CacheMessageDescriptor.verify(b, crc));
            assertEquals(p, CacheMessageDescriptor.markerRequest(b).policy());
        }
    }

    @Test
    void shouldReadAPayloadWrittenBeforePoliciesAsTheControllerDefault() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 5).putInt(4, SnapshotRequest.Source.HOST.code()).putInt(8, 1).put(12, (byte) 'x');   // old layout
        SnapshotRequest r = CacheMessageDescriptor.getMarkerPayload(b, 0, 1, 1, 9);
        assertNull(r.policy());
        assertEquals(SnapshotRequest.Source.HOST, r.source());
        b.putInt(4, SnapshotRequest.Source.HOST.code() | 3 << 8);
        assertThrows(IllegalArgumentException.class, () -> CacheMessageDescriptor.getMarkerPayload(b, 0, 1, 1, 9));
        b.putInt(4, SnapshotRequest.Source.HOST.code() | 1 << 16);
        assertThrows(IllegalArgumentException.class, () -> CacheMessageDescriptor.getMarkerPayload(b, 0, 1, 1, 9));
    }
}
