package io.evasan.mld.lease;

import io.evasan.error.ErrorCode;
import io.evasan.raid.drive.QuorumArea;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The lease with injected monotonic clocks (one per controller, advanced by hand): no real time
 * is measured or slept anywhere.
 */
class DiskLeaseTest {
    static final long MS = 1_000_000L;
    static final LeaseOptions OPTS = new LeaseOptions(3000, 300);
    static final long D = 3000 * MS;
    static final long M = 300 * MS;

    private static List<QuorumArea> areas() {
        return List.of(new MemoryQuorumArea(64 << 10), new MemoryQuorumArea(64 << 10), new MemoryQuorumArea(64 << 10));
    }

    /** A (holding generation 1) and B over the same three areas, each on its own injected clock. */
    private static DiskLease[] holderAndContender(AtomicLong ta, AtomicLong tb) {
        List<QuorumArea> q = areas();
        DiskLease a = new DiskLease(LeaseStore.open(q), 0, OPTS, ta::get);
        DiskLease b = new DiskLease(LeaseStore.open(q), 1, OPTS, tb::get);
        assertTrue(a.tryAcquire());
        return new DiskLease[] {a, b};
    }

    @Test
    void shouldAcquireRenewLapseAndRelease() {
        List<QuorumArea> q = areas();
        AtomicLong ta = new AtomicLong(5_000 * MS);
        AtomicLong tb = new AtomicLong(-77_000 * MS); // unrelated clocks: only differences matter
        DiskLease a = new DiskLease(LeaseStore.open(q), 0, OPTS, ta::get);
        DiskLease b = new DiskLease(LeaseStore.open(q), 1, OPTS, tb::get);
        assertFalse(a.mayWrite());
        LeaseLostException never = assertThrows(LeaseLostException.class, () -> a.checkWrite("write LUN 0 map"));
        assertEquals(ErrorCode.INVALID_STATE, never.code());
        assertTrue(never.getMessage().startsWith("lease lost: controller A may not write LUN 0 map"), never.getMessage());

        assertTrue(a.tryAcquire(), "a blank lease is free");
        assertEquals(1, a.heldGeneration());
        assertTrue(a.mayWrite());
        a.checkWrite("write");
        for (int i = 0; i < 4; i++) {
            ta.addAndGet(D / 3);
            assertTrue(a.renew());
            assertTrue(a.mayWrite());
        }
        ta.addAndGet(D - M - 1);
        assertTrue(a.mayWrite(), "valid until its last renewal's start + duration - margin");
        ta.addAndGet(1);
        assertFalse(a.mayWrite(), "lapsed at exactly start + duration - margin");
        LeaseLostException lapsed = assertThrows(LeaseLostException.class, () -> a.checkWrite("destage"));
        assertTrue(lapsed.getMessage().contains("generation 1 lapsed"), lapsed.getMessage());
        assertTrue(a.renew(), "nobody took over: a lapsed holder may renew");
        assertTrue(a.mayWrite());
        assertEquals(new LeaseRecord(0, 0, 1, 5, 3000), a.read().of(0));

        a.release();
        assertFalse(a.mayWrite());
        assertEquals(new LeaseRecord(0, LeaseRecord.NONE, 2, 6, 3000), a.read().of(0));
        assertTrue(a.read().free());
        assertTrue(b.tryAcquire(), "a released lease is free at once");
        assertEquals(3, b.heldGeneration());
        assertFalse(a.tryAcquire(), "B holds and renews");
    }

    @Test
    void shouldNotLetTheContenderTakeOverWhileTheHolderRenews() {
        AtomicLong ta = new AtomicLong();
        AtomicLong tb = new AtomicLong();
        DiskLease[] pair = holderAndContender(ta, tb);
        DiskLease a = pair[0];
        DiskLease b = pair[1];
        for (int i = 0; i < 60; i++) { // 60 renewals = 20 durations
            for (int k = 0; k < 10; k++) {
                ta.addAndGet(D / 30);
                tb.addAndGet(D / 30);
                assertFalse(b.tryAcquire(), "B took over at poll " + k + " of round " + i);
                assertFalse(b.mayWrite());
                assertTrue(a.mayWrite());
            }
            assertTrue(a.renew());
        }
        assertEquals(1, a.heldGeneration());
    }

    /**
     * SIGSTOP of the holder: its clock stands still (it runs no code), the contender's goes on.
     * B takes over only after seeing the lease unchanged for more than duration + margin; at
     * SIGCONT A's clock jumps, and its very first check refuses the write, before any renewal.
     */
    @Test
    void shouldFenceAHungHolderBeforeItsFirstWriteAfterResume() {
        AtomicLong ta = new AtomicLong();
        AtomicLong tb = new AtomicLong();
        DiskLease[] pair = holderAndContender(ta, tb);
        DiskLease a = pair[0];
        DiskLease b = pair[1];
        ta.addAndGet(D / 3);
        tb.addAndGet(D / 3);
        assertTrue(a.renew()); // last renewal: A may write until D/3 + D - M on its clock
        long stopAtA = ta.get();
        // SIGSTOP A. B polls every D/30 on its own clock.
        long firstSeenUnchanged = -1;
        long tookOverAt = -1;
        for (int poll = 0; poll < 200 && tookOverAt < 0; poll++) {
            tb.addAndGet(D / 30);
            boolean got = b.tryAcquire();
            if (firstSeenUnchanged < 0) {
                firstSeenUnchanged = tb.get();
            }
            if (got) {
                tookOverAt = tb.get();
            }
            assertEquals(stopAtA, ta.get(), "A is stopped");
        }
        assertTrue(tookOverAt > 0, "B took over");
        long silence = tookOverAt - firstSeenUnchanged;
        System.out.println("[lease] B took over after observing " + silence / MS + " ms of silence (duration "
                + D / MS + " + margin " + M / MS + ")");
        assertTrue(silence > D + M, "B waited more than duration + margin of observed silence: " + silence / MS);
        assertTrue(b.mayWrite());
        assertEquals(2, b.heldGeneration());

        // SIGCONT: A's monotonic clock jumps by the real time it was stopped
        ta.set(stopAtA + (tookOverAt - firstSeenUnchanged) + D / 30);
        assertFalse(a.mayWrite(), "fenced before any write: the first check after the jump refuses");
        assertThrows(LeaseLostException.class, () -> a.checkWrite("destage"));
        assertFalse(a.renew(), "the next renewal sees generation 2");
        assertEquals(1, a.fencedGeneration());
        assertEquals(-1, a.heldGeneration());
        assertFalse(a.mayWrite());
        assertEquals(new LeaseRecord(0, 0, 1, 1, 3000), a.read().of(0), "A wrote nothing more");
        assertTrue(b.renew());
        assertFalse(a.tryAcquire(), "B holds");
    }

    /**
     * The zombie renewal: A reads the lease, is stopped before its write, B takes over, then A's
     * write lands (in A's own sectors) after B's claim. A's second read sees generation 2: fenced;
     * B's claim is untouched and B renews on.
     */
    @Test
    void shouldFenceAHolderWhoseRenewalWriteLandsAfterTheTakeover() throws Exception {
        List<QuorumArea> shared = areas();
        CountDownLatch aAtWrite = new CountDownLatch(1);
        CountDownLatch resumeA = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean();
        AtomicInteger ios = new AtomicInteger();
        AtomicLong ta = new AtomicLong();
        AtomicLong tb = new AtomicLong();
        List<QuorumArea> viewA = new ArrayList<>();
        for (QuorumArea s : shared) {
            viewA.add(new GatedArea(s, () -> {
                // once armed: the renewal's 3 reads pass, it stops before its 1st write
                if (armed.get() && ios.incrementAndGet() == 4) {
                    aAtWrite.countDown();
                    try {
                        assertTrue(resumeA.await(30, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        DiskLease a = new DiskLease(LeaseStore.open(viewA), 0, OPTS, ta::get);
        DiskLease b = new DiskLease(LeaseStore.open(shared), 1, OPTS, tb::get);
        assertTrue(a.tryAcquire());
        ExecutorService exec = Executors.newSingleThreadExecutor();
        try {
            armed.set(true);
            Future<Boolean> renewal = exec.submit(a::renew);
            assertTrue(aAtWrite.await(30, TimeUnit.SECONDS));
            boolean got = false;
            for (int poll = 0; poll < 200 && !got; poll++) {
                tb.addAndGet(D / 30);
                got = b.tryAcquire();
            }
            assertTrue(got, "B took over while A is stopped before its write");
            ta.addAndGet(10 * D); // SIGCONT
            assertFalse(a.mayWrite());
            resumeA.countDown();
            assertFalse(renewal.get(30, TimeUnit.SECONDS), "A's renewal fails: its second read sees generation 2");
            assertEquals(1, a.fencedGeneration());
            assertFalse(a.mayWrite());
            LeaseStore.View v = b.read();
            assertEquals(new LeaseRecord(0, 0, 1, 1, 3000), v.of(0), "A's late block landed, in A's sectors, at the old generation");
            assertEquals(new LeaseRecord(1, 1, 2, 0, 3000), v.of(1), "B's claim untouched");
            assertTrue(b.renew());
            assertTrue(b.mayWrite());
        } finally {
            resumeA.countDown();
            exec.shutdownNow();
        }
    }

    /**
     * A standby that observed the holder's last renewal may claim once the blocks stayed unchanged for duration +
     * margin since that observation, not from its first claim attempt; observing never claims and never lets it
     * write, and a renewal seen later restarts the count.
     */
    @Test
    void shouldCountSilenceFromTheFirstObservationThatSawTheBlocks() {
        AtomicLong ta = new AtomicLong();
        AtomicLong tb = new AtomicLong();
        DiskLease[] pair = holderAndContender(ta, tb);
        DiskLease a = pair[0];
        DiskLease b = pair[1];
        ta.addAndGet(D / 3);
        tb.addAndGet(D / 3);
        assertTrue(a.renew());
        assertTrue(b.observe());             // B sees A's last renewal here
        long seen = tb.get();
        for (int i = 0; i < 10; i++) {       // A stops; B only observes for a whole duration + margin
            tb.addAndGet((D + M) / 10);
            assertTrue(b.observe());
            assertFalse(b.mayWrite());
            assertEquals(-1, b.heldGeneration(), "observing never claims");
        }
        assertEquals(seen + D + M, tb.get());
        assertFalse(b.tryAcquire(), "silence must exceed duration + margin");
        tb.addAndGet(1);
        assertTrue(b.tryAcquire(), "the first claim after the observed silence succeeds at once");
        assertEquals(2, b.heldGeneration());
        ta.addAndGet(D);
        assertFalse(a.renew());
        assertEquals(1, a.fencedGeneration());
        assertTrue(b.observe(), "observing while holding is a no-op");
        assertEquals(2, b.heldGeneration());
    }

    @Test
    void shouldRestartTheSilenceWhenAnObservedRenewalChangesTheBlocks() {
        AtomicLong ta = new AtomicLong();
        AtomicLong tb = new AtomicLong();
        DiskLease[] pair = holderAndContender(ta, tb);
        DiskLease a = pair[0];
        DiskLease b = pair[1];
        assertTrue(b.observe());
        tb.addAndGet(D);
        ta.addAndGet(D / 3);
        assertTrue(a.renew());
        assertTrue(b.observe());             // changed blocks: watched from now
        tb.addAndGet(D / 2);
        assertFalse(b.tryAcquire(), "only half a duration of silence since the renewal was seen");
        assertEquals(1, a.heldGeneration());
    }
}
