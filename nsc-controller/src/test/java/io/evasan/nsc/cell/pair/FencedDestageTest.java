package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.marker.SnapshotRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One controller's fenced way into the backend: the fence waits for a backend call under way, every call after it
 * fails with BUSY (reads still pass: they change nothing), the replay filter drops writes and markers of units the
 * controller does not own, and a destage lost by a fenced controller is not reported.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FencedDestageTest {

    /** A backend that records its calls; a write to {@link #blockUnit} waits for {@link #release}. */
    private static final class Backend implements DestageTarget {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile int blockUnit = -1;

        @Override
        public long lunSizeBytes(int lunId) {
            return 1 << 20;
        }

        @Override
        public void write(int lunId, long byteOffset, ByteBuffer src) {
            if (lunId == blockUnit) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            calls.add("write " + lunId + "@" + byteOffset + "+" + src.remaining());
            src.position(src.limit());
        }

        @Override
        public void read(int lunId, long byteOffset, ByteBuffer dst) {
            calls.add("read " + lunId);
            dst.position(dst.limit());
        }

        @Override
        public void flush(int lunId) {
            calls.add("flush " + lunId);
        }

        @Override
        public void flushAll() {
            calls.add("flushAll");
        }

        @Override
        public void destageLost(int lunId, long byteOffset, long length, StorageException cause) {
            calls.add("lost " + lunId);
        }
    }

    private static SnapshotRequest request(long id, int... luns) {
        return new SnapshotRequest(id, "snap" + id, SnapshotRequest.Kind.SNAPSHOT, SnapshotRequest.Source.API, luns);
    }

    private static void assertBusy(Executable call, String what) {
        StorageException e = assertThrows(StorageException.class, call, what);
        assertEquals(ErrorCode.BUSY, e.code(), what + ": " + e);
    }

    @Test
    void shouldWaitForTheBackendCallUnderWayThenRefuseEveryCallWithBusy() throws Exception {
        Backend backend = new Backend();
        List<String> snaps = Collections.synchronizedList(new ArrayList<>());
        FencedDestage f = new FencedDestage("nsc-b", backend, r -> snaps.add(r.name()));
        backend.blockUnit = 5;
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> f.write(5, 4096, ByteBuffer.allocate(512)));
        assertTrue(backend.entered.await(10, TimeUnit.SECONDS), "the write reached the backend");
        CompletableFuture<Void> fence = CompletableFuture.runAsync(f::fence);
        Thread.sleep(100);
        assertFalse(fence.isDone(), "the fence waits for the write under way");
        assertFalse(write.isDone());
        backend.release.countDown();
        write.get(10, TimeUnit.SECONDS);
        fence.get(10, TimeUnit.SECONDS);
        assertTrue(f.fenced());
        assertEquals(List.of("write 5@4096+512"), backend.calls, "the write under way completed");

        ByteBuffer src = ByteBuffer.allocate(512);
        assertBusy(() -> f.write(1, 0, src), "write after the fence");
        assertEquals(0, src.position(), "a refused write consumed nothing (the cache retries it)");
        assertBusy(() -> f.flush(1), "flush after the fence");
        assertBusy(f::flushAll, "flushAll after the fence");
        assertBusy(() -> f.takeSnapshot(request(9, 1)), "snapshot after the fence");
        assertEquals(List.of("write 5@4096+512"), backend.calls, "nothing more reached the backend");
        assertEquals(List.of(), snaps, "no snapshot taken");

        f.read(1, 0, ByteBuffer.allocate(512));   // a read changes nothing: it still passes
        assertEquals(1 << 20, f.lunSizeBytes(1));
        f.fence();   // fencing again is harmless
        assertBusy(() -> f.write(1, 0, ByteBuffer.allocate(512)), "write after the second fence");
    }

    @Test
    void shouldPassEveryCallBeforeTheFence() {
        Backend backend = new Backend();
        List<String> snaps = new ArrayList<>();
        FencedDestage f = new FencedDestage("nsc-a", backend, r -> snaps.add(r.name()));
        f.write(2, 0, ByteBuffer.allocate(1024));
        f.flush(2);
        f.flushAll();
        f.takeSnapshot(request(3, 2));
        assertEquals(List.of("write 2@0+1024", "flush 2", "flushAll"), backend.calls);
        assertEquals(List.of("snap3"), snaps);
        assertFalse(f.fenced());
    }

    @Test
    void shouldDropWritesAndMarkersOfUnitsNotOwnedWhileReplaying() {
        Backend backend = new Backend();
        List<String> snaps = new ArrayList<>();
        FencedDestage f = new FencedDestage("nsc-a", backend, r -> snaps.add(r.name()));
        f.replayOnly(unit -> unit == 1);
        ByteBuffer notOwned = ByteBuffer.allocate(4096);
        f.write(2, 0, notOwned);
        assertEquals(notOwned.limit(), notOwned.position(), "a dropped write counts as consumed");
        f.write(1, 8192, ByteBuffer.allocate(4096));
        f.takeSnapshot(request(10, 2));      // not owned: dropped
        f.takeSnapshot(request(11, 1, 2));   // names a unit not owned: dropped whole
        f.takeSnapshot(request(12, 1));      // owned: taken
        assertEquals(3, f.droppedAtReplay());
        assertEquals(List.of("write 1@8192+4096"), backend.calls);
        assertEquals(List.of("snap12"), snaps);

        f.replayDone();   // from now on every unit passes again
        f.write(2, 0, ByteBuffer.allocate(512));
        f.takeSnapshot(request(13, 1, 2));
        assertEquals(List.of("write 1@8192+4096", "write 2@0+512"), backend.calls);
        assertEquals(List.of("snap12", "snap13"), snaps);
        assertEquals(3, f.droppedAtReplay());
    }

    @Test
    void shouldDropNotOwnedReplayWritesEvenWhenFencedButRefuseOwnedOnes() {
        Backend backend = new Backend();
        FencedDestage f = new FencedDestage("nsc-b", backend, r -> { });
        f.fence();
        f.replayOnly(unit -> unit == 1);
        f.write(2, 0, ByteBuffer.allocate(512));   // dropped, not refused
        assertBusy(() -> f.write(1, 0, ByteBuffer.allocate(512)), "an owned write of a fenced controller");
        assertEquals(List.of(), backend.calls);
    }

    @Test
    void shouldReportALostDestageOnlyWhileNotFenced() {
        Backend backend = new Backend();
        FencedDestage f = new FencedDestage("nsc-a", backend, r -> { });
        StorageException cause = new StorageException(ErrorCode.IO_ERROR, "drive gone");
        f.destageLost(4, 0, 4096, cause);
        assertEquals(List.of("lost 4"), backend.calls);
        f.fence();
        f.destageLost(4, 4096, 4096, cause);
        f.destageLost(5, 0, 4096, new StorageException(ErrorCode.BUSY, "fenced"));
        assertEquals(List.of("lost 4"), backend.calls, "a fenced controller's failed destage is no data loss: "
                + "its partner replays the mirror");
    }
}
