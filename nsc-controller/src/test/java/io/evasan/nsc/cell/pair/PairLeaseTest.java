package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.lease.LeaseStore;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.raid.drive.QuorumArea;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who may write under the cell's quorum lease: the holder, and the standby only while the holder answers it. */
class PairLeaseTest {
    /** A quorum area in memory (durable at once). */
    private static final class Area implements QuorumArea {
        private final UUID id = UUID.randomUUID();
        private final byte[] bytes = new byte[64 << 10];

        @Override public UUID driveId() { return id; }
        @Override public long sizeBytes() { return bytes.length; }
        @Override public boolean isAvailable() { return true; }
        @Override public synchronized void read(long offset, ByteBuffer dst) { dst.put(bytes, (int) offset, dst.remaining()); }
        @Override public synchronized void write(long offset, ByteBuffer src) { src.get(bytes, (int) offset, src.remaining()); }
        @Override public void force() { }
    }

    private static PairLease lease() {
        return new PairLease(LeaseStore.open(List.of(new Area(), new Area(), new Area())), 500);
    }

    @Test
    void shouldLetTheStandbyWriteOnlyWhileTheHolderAnswersItsHeartbeat() {
        try (PairLease l = lease()) {
            AtomicLong lastAnswered = new AtomicLong(Long.MIN_VALUE);
            l.contact(NscId.B, lastAnswered::get);
            assertFalse(l.permit(NscId.A).mayWrite(), "nobody holds the lease yet");
            assertFalse(l.permit(NscId.B).mayWrite());
            l.acquireAtStart(NscId.A, 5_000);
            assertTrue(l.holds(NscId.A));
            assertTrue(l.permit(NscId.A).mayWrite());
            assertTrue(l.permit(NscId.B).mayWrite(), "no heartbeat yet (start): the holder's lease is enough");
            l.heartbeatRunning(true);
            assertFalse(l.permit(NscId.B).mayWrite(), "no answer yet");
            lastAnswered.set(System.nanoTime());
            assertTrue(l.permit(NscId.B).mayWrite(), "fresh contact");
            lastAnswered.set(System.nanoTime() - 251_000_000L);   // permission lasts half the 500 ms timeout
            assertFalse(l.permit(NscId.B).mayWrite(), "stale contact");
            String why = assertThrows(RuntimeException.class, () -> l.permit(NscId.B).checkWrite("destage")).getMessage();
            assertTrue(why.contains("nsc-b may not destage") && why.contains("contact permits writing for 250 ms"), why);
            assertTrue(l.permit(NscId.A).mayWrite(), "the holder writes on");
            assertTrue(l.describe(NscId.B).startsWith("standby (nsc-a holds generation 1)"), l.describe(NscId.B));
        }
    }

    @Test
    void shouldRefuseEveryBackendChangeWithBusyWhileThePermitSaysNo() {
        try (PairLease l = lease()) {
            MemoryDestageTarget backend = new MemoryDestageTarget();
            backend.createLun(1, 1 << 20);
            FencedDestage standby = new FencedDestage("nsc-b", backend, r -> {
                throw new AssertionError("no snapshot without permission");
            }, l.permit(NscId.B), 0);
            StorageException e = assertThrows(StorageException.class,
                    () -> standby.write(1, 0, ByteBuffer.wrap(new byte[512])));
            assertEquals(ErrorCode.BUSY, e.code(), "retried by the cache, never data loss");
            assertTrue(e.getMessage().contains("neither does its partner"), e.getMessage());
            assertThrows(StorageException.class, () -> standby.flushAll());
            l.acquireAtStart(NscId.A, 5_000);
            standby.write(1, 0, ByteBuffer.wrap(new byte[512]));   // the holder's lease suffices before the heartbeat
            l.heartbeatRunning(true);
            assertEquals(ErrorCode.BUSY, assertThrows(StorageException.class,
                    () -> standby.write(1, 512, ByteBuffer.wrap(new byte[512]))).code());
        }
    }

    /** A holder whose renewals stop (a loaded machine) keeps writing while in contact, and stops once it is not. */
    @Test
    void shouldLetALapsedHolderWriteOnlyWhileItsPartnerAnswers() throws Exception {
        try (PairLease l = lease()) {
            AtomicLong lastAnswered = new AtomicLong(Long.MIN_VALUE);
            l.contact(NscId.A, lastAnswered::get);
            l.acquireAtStart(NscId.A, 5_000);
            l.heartbeatRunning(true);
            l.stopRenewing(NscId.A);
            Thread.sleep(500);   // the 500 ms lease (margin 100 ms) lapses without renewals
            assertFalse(l.holds(NscId.A), "lapsed");
            assertFalse(l.permit(NscId.A).mayWrite(), "no lease and no contact");
            lastAnswered.set(System.nanoTime());
            assertTrue(l.permit(NscId.A).mayWrite(), "no lease, but its partner answers");
            lastAnswered.set(System.nanoTime() - 300_000_000L);
            assertFalse(l.permit(NscId.A).mayWrite(), "no lease, contact too old");
        }
    }
}
