package io.evasan.nsc.cache;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.impl.LocalMirrorChannel;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.SnapshotRequest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

import static io.evasan.nsc.cache.TestUtil.tagAt;
import static io.evasan.nsc.cache.TestUtil.tagged;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every cached write and metadata change is a message a partner replica can apply. */
class MirrorTest {

    @Test
    void shouldRoundTripEveryMessageType() {
        ByteBuffer buf = ByteBuffer.allocate(8192).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        ByteBuffer data = tagged(42, 2);
        int len = CacheMessageDescriptor.encodeWrite(buf, crc, 17, 3, 5, 4096, data, 0, 1024);
        assertEquals(CacheMessageDescriptor.HEADER_LENGTH + 1024, len);
        assertTrue(CacheMessageDescriptor.verify(buf, crc));
        assertEquals(CacheMessageDescriptor.TYPE_WRITE, CacheMessageDescriptor.type(buf));
        assertEquals(17, CacheMessageDescriptor.seq(buf));
        assertEquals(3, CacheMessageDescriptor.initiator(buf));
        assertEquals(5, CacheMessageDescriptor.lunId(buf));
        assertEquals(4096, CacheMessageDescriptor.byteOffset(buf));
        assertEquals(42, buf.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(CacheMessageDescriptor.PAYLOAD_OFFSET));
        buf.put(CacheMessageDescriptor.PAYLOAD_OFFSET + 7, (byte) 1);
        assertTrue(!CacheMessageDescriptor.verify(buf, crc), "corruption detected");

        SnapshotRequest req = new SnapshotRequest(99, "nightly-é", SnapshotRequest.Kind.SNAPCLONE,
                SnapshotRequest.Source.HOST, 4, 2, 9);
        CacheMessageDescriptor.encodeMarker(buf, crc, 18, req);
        assertTrue(CacheMessageDescriptor.verify(buf, crc));
        assertEquals(req, CacheMessageDescriptor.markerRequest(buf));
        assertEquals(18, CacheMessageDescriptor.seq(buf));

        CacheMessageDescriptor.encodeCompletion(buf, crc, CacheMessageDescriptor.TYPE_DESTAGED, 17);
        assertTrue(CacheMessageDescriptor.verify(buf, crc));
        assertEquals(CacheMessageDescriptor.TYPE_DESTAGED, CacheMessageDescriptor.type(buf));
        assertThrows(IllegalArgumentException.class,
                () -> CacheMessageDescriptor.encodeCompletion(buf, crc, CacheMessageDescriptor.TYPE_WRITE, 1));
    }

    @Test
    void shouldKeepPartnerReplicaEqualToCacheAndTakeOver() throws Exception {
        MemoryDestageTarget mem = new MemoryDestageTarget();
        mem.createLun(0, 1 << 20);
        MirrorReplica replica = new MirrorReplica();
        CacheConfig cfg = new CacheConfig().mirror(new LocalMirrorChannel(replica));
        byte[] model = new byte[1 << 20];
        try (WriteBackCache cache = new WriteBackCache(cfg, mem, mem, new CacheStats("mirror"))) {
            for (int k = 1; k <= 50; k++) {
                ByteBuffer b = tagged(k, 4);
                System.arraycopy(b.array(), 0, model, (k % 13) * 2048, 2048);
                cache.write(k % 3, 0, (k % 13) * 2048L, b, false);
            }
            cache.synchronizeAll();
            assertTrue(replica.pendingSeqs().isEmpty(), "destage completions mirrored");
            cache.pauseDestage();
            for (int k = 51; k <= 80; k++) {
                ByteBuffer b = tagged(k, 4);
                System.arraycopy(b.array(), 0, model, (k % 13) * 2048, 2048);
                cache.write(k % 3, 0, (k % 13) * 2048L, b, false);
                if (k == 60) {
                    cache.insertMarker(new SnapshotRequest(3, "m", SnapshotRequest.Kind.SNAPSHOT,
                            SnapshotRequest.Source.API, 0));
                }
            }
            List<Long> cached = cache.pendingItems().stream().map(CachedItem::seq).toList();
            assertEquals(cached, replica.pendingSeqs(), "replica holds exactly the cache's items");

            // the owner dies here: the partner destages its replica onto the shared backend
            MemoryDestageTarget partnerView = new MemoryDestageTarget();
            partnerView.createLun(0, 1 << 20);
            partnerView.write(0, 0, ByteBuffer.wrap(mem.contents(0)));
            int n = replica.takeOver(partnerView, partnerView);
            assertEquals(cached.size(), n);
            assertArrayEquals(model, partnerView.contents(0));
            assertEquals(60, tagAt(partnerView.snapshot(3, 0), (60 % 13) * 2048L));
            cache.resumeDestage();
        }
        assertThrows(StorageException.class, () -> {
            ByteBuffer junk = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            junk.putInt(0, 64);
            replica.apply(junk);
        });
        try {
            ByteBuffer junk = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            replica.apply(junk);
        } catch (StorageException e) {
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        }
    }
}
