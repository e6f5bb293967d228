package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's side of a takeover for snapshot markers: a marker its owner's cache held when the owner went down is
 * answered either by the survivor's replay of the replica (taken) or, when the replica never held it, failed with an
 * error naming the snapshot and the controller; its requester is never left waiting.
 */
class PairedCachesMarkerTest {
    private static final int UNIT = 1;
    private static final int BLOCK = 4096;

    private final MemoryDestageTarget backend = new MemoryDestageTarget();
    private final MirrorReplica replica = new MirrorReplica();
    private final PartnerLink link = new PartnerLink(replica);
    private WriteBackCache owner;
    private PairedCaches caches;

    @BeforeEach
    void setUp() {
        backend.createLun(UNIT, 1 << 20);
        owner = new WriteBackCache(new CacheConfig().segmentSize(256 * 1024).segmentCount(16).mirror(link.channel()),
                backend, backend, new CacheStats("nsc-a"));
        caches = new PairedCaches(new OwnershipTable(null), u -> NscId.A, 1_000, owner.maxWriteBytes());
        caches.install(NscId.A, owner);
        caches.pauseDestage();   // the write and the marker stay in the owner's cache
    }

    @AfterEach
    void tearDown() {
        owner.halt();
    }

    @Test
    void shouldCompleteTheRequestersMarkerWhenTheSurvivorsReplayTakesItsSnapshot() {
        byte[] before = block(7);
        caches.write(1, UNIT, 0, ByteBuffer.wrap(before), false);
        SnapshotMarker m = caches.insertMarker(request(11, "s1"));
        assertFalse(m.taken().isDone(), "destage paused: not taken yet");

        takeOver();

        assertEquals("s1", m.taken().join().name(), "taken by the replay");
        byte[] snap = backend.snapshot(11, UNIT);
        assertTrue(snap != null, "the survivor took the snapshot");
        assertArrayEquals(before, Arrays.copyOf(snap, BLOCK), "the snapshot holds the write before the marker");
    }

    @Test
    void shouldFailTheRequestersMarkerWhenItsOwnerWentDownAndTheReplicaNeverHeldIt() {
        caches.write(1, UNIT, 0, ByteBuffer.wrap(block(7)), false);
        link.cut("partner lost");   // from here the owner acknowledges unmirrored: the marker is in its cache only
        SnapshotMarker m = caches.insertMarker(request(12, "s2"));
        assertFalse(m.taken().isDone());

        takeOver();

        assertTrue(m.taken().isCompletedExceptionally(), "answered, not left waiting");
        CompletionException e = assertThrows(CompletionException.class, () -> m.taken().join());
        StorageException cause = assertInstanceOf(StorageException.class, e.getCause());
        assertEquals(ErrorCode.BUSY, cause.code());
        assertTrue(cause.getMessage().contains("snapshot s2") && cause.getMessage().contains("nsc-a"),
                cause.getMessage());
        assertTrue(backend.snapshotsTaken().isEmpty(), "nothing took it");
    }

    /** As {@link ControllerPair}'s takeover: halt the owner, replay its replica, answer the markers left in it. */
    private void takeOver() {
        owner.halt();
        replica.takeOver(backend, r -> {
            backend.takeSnapshot(r);
            caches.replayedMarker(r, null);
        });
        caches.failMarkersNotReplayed(owner, "nsc-a");
    }

    private static SnapshotRequest request(long id, String name) {
        return new SnapshotRequest(id, name, SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.API, UNIT);
    }

    private static byte[] block(int fill) {
        byte[] b = new byte[BLOCK];
        Arrays.fill(b, (byte) fill);
        return b;
    }
}
