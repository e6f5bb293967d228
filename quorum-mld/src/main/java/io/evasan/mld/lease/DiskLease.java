package io.evasan.mld.lease;

import io.evasan.error.StorageException;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * One controller's side of the quorum lease (the idea of Pacemaker SBD and disk leases: safe
 * without synchronised clocks, only bounded drift of each controller's own monotonic clock).
 *
 * <p><b>Holder.</b> {@link #renew()} (every {@link LeaseOptions#renewIntervalMillis()}) takes the
 * time {@code t0}, reads the lease, writes its own block (same generation, counter + 1) on a
 * majority, reads again; if neither read shows another controller's block of a higher generation
 * (or a claim of the same one), the holder may write until {@code t0 + duration - margin} on its own
 * clock. If one does, it is fenced for that generation, forever.
 *
 * <p><b>Contender.</b> {@link #tryAcquire()} reads the lease; the blocks must stay unchanged (every
 * controller's generation and counter) for more than {@code duration + margin} on the contender's
 * clock, measured from the end of the read that first saw them, unless the lease is free (never
 * held, or released). Then it writes {@code owner = self, generation = max + 1} on a majority and
 * reads back: it holds the lease only if its block is on a majority and every other block is
 * still the one it watched, with no claim of a generation as high as its own.
 *
 * <p>Why both read back: a controller paused between its read and its write (SIGSTOP) writes
 * late. Its block lands in its own sectors only (never over the other's claim); a late renewal is
 * caught by the renewer's second read (it sees the claim) or, if it landed before the claimer's
 * read-back, by that read-back (the watched block changed: the claimer backs off, and the renewer
 * is fenced at its next renewal by the claim left behind). A late claim is caught the same way.
 *
 * <p>Invariants: {@link #mayWrite()} is true only between a successful claim or renewal that
 * started at {@code t0} and {@code t0 + duration - margin}; never after {@link #release()} or a
 * fence until a new generation is acquired; a fenced generation is never written again. Operations
 * are serialised; {@link #mayWrite()} takes no lock (it is asked while an operation waits on disk).
 *
 * <p>Residual window: a write that passed {@link #checkWrite} and was then paused before reaching
 * the drive may land after the lease moved; the margin bounds only the clocks, not that pause.
 */
public final class DiskLease implements Fence {
    private static final Logger LOG = Logger.getLogger(DiskLease.class.getName());

    /** What this controller holds: generation and the end of its write permission (own clock, ns). */
    private record Tenure(long generation, long validUntilNanos) {
    }

    private final LeaseStore store;
    private final int self;
    private final LeaseOptions options;
    private final LongSupplier nanoTime;
    private final Object ops = new Object();

    private volatile Tenure tenure;
    private volatile long fencedGeneration = -1;
    private volatile String lastLoss = "never acquired";
    // guarded by ops
    private long counter = -1;
    private LeaseStore.View watched;
    private long watchedSinceNanos;

    /**
     * @param store    the lease region (the same areas, in the same order, on every controller)
     * @param self     this controller's id (0 = A, 1 = B)
     * @param nanoTime this controller's monotonic clock ({@code System::nanoTime}; tests inject one)
     */
    public DiskLease(LeaseStore store, int self, LeaseOptions options, LongSupplier nanoTime) {
        if (self < 0 || self >= LeaseDescriptor.MAX_CONTROLLERS) {
            throw new IllegalArgumentException("controller id out of range: " + self);
        }
        this.store = store;
        this.self = self;
        this.options = options;
        this.nanoTime = nanoTime;
    }

    public int controller() {
        return self;
    }

    public LeaseOptions options() {
        return options;
    }

    /** Generation held (possibly lapsed, not yet renewed), or -1. */
    public long heldGeneration() {
        Tenure t = tenure;
        return t == null ? -1 : t.generation();
    }

    /** Generation this controller was fenced from, or -1. */
    public long fencedGeneration() {
        return fencedGeneration;
    }

    @Override
    public boolean mayWrite() {
        Tenure t = tenure;
        return t != null && nanoTime.getAsLong() - t.validUntilNanos() < 0;
    }

    @Override
    public void checkWrite(String what) {
        Tenure t = tenure;
        long now = nanoTime.getAsLong();
        if (t != null && now - t.validUntilNanos() < 0) {
            return;
        }
        String why = t == null ? lastLoss
                : "generation " + t.generation() + " lapsed " + TimeUnit.NANOSECONDS.toMillis(now - t.validUntilNanos())
                + " ms ago without a successful renewal";
        throw new LeaseLostException(self, "lease lost: controller " + LeaseRecord.name(self) + " may not " + what
                + " (" + why + ")");
    }

    private long durationNanos() {
        return TimeUnit.MILLISECONDS.toNanos(options.durationMillis());
    }

    private long marginNanos() {
        return TimeUnit.MILLISECONDS.toNanos(options.marginMillis());
    }

    private long nextCounter(LeaseStore.View v) {
        LeaseRecord mine = v.of(self);
        counter = Math.max(counter, mine == null ? -1 : mine.counter()) + 1;
        return counter;
    }

    /** A block of another controller (or an older self) that supersedes generation {@code g}. */
    private LeaseRecord supersedes(LeaseStore.View v, long g) {
        for (int c = 0; c < LeaseDescriptor.MAX_CONTROLLERS; c++) {
            LeaseRecord r = v.of(c);
            if (r != null && (r.generation() > g || (c != self && r.generation() == g && r.claims()))) {
                return r;
            }
        }
        return null;
    }

    private void fence(long g, LeaseRecord by) {
        tenure = null;
        fencedGeneration = g;
        lastLoss = "fenced from generation " + g + " by " + by;
        LOG.warning("lease: controller " + LeaseRecord.name(self) + " FENCED from generation " + g + " by " + by
                + "; it writes nothing more for that generation");
    }

    /**
     * One renewal (read, write own block, read). True when this controller may write until the
     * start of this call plus duration minus margin; false when not holding, fenced now (see
     * {@link #fencedGeneration()}), or the drives did not answer (the tenure then lapses on time).
     */
    public boolean renew() {
        synchronized (ops) {
            Tenure t = tenure;
            if (t == null) {
                return false;
            }
            long t0 = nanoTime.getAsLong();
            try {
                LeaseStore.View before = store.read();
                LeaseRecord by = supersedes(before, t.generation());
                if (by != null) {
                    fence(t.generation(), by);
                    return false;
                }
                LeaseRecord mine = new LeaseRecord(self, self, t.generation(), nextCounter(before), options.durationMillis());
                store.write(mine);
                LeaseStore.View after = store.read();
                by = supersedes(after, t.generation());
                if (by != null) {
                    fence(t.generation(), by);
                    return false;
                }
                if (!mine.equals(after.of(self)) || after.copiesOf(self) < store.majority()) {
                    return false;
                }
                tenure = new Tenure(t.generation(), t0 + durationNanos() - marginNanos());
                return true;
            } catch (StorageException e) {
                LOG.warning("lease: controller " + LeaseRecord.name(self) + " could not renew generation "
                        + t.generation() + ": " + e.getMessage());
                return false;
            }
        }
    }

    /**
     * One acquisition attempt; call it periodically while not holding. True when this controller
     * holds the lease now (already holding: a renewal).
     */
    public boolean tryAcquire() {
        synchronized (ops) {
            if (tenure != null) {
                return renew();
            }
            try {
                LeaseStore.View v = store.read();
                long now = nanoTime.getAsLong();
                if (watched == null || !watched.sameBlocks(v)) {
                    watched = v;
                    watchedSinceNanos = now;
                }
                if (!v.free()) {
                    long holderDuration = options.durationMillis();
                    for (LeaseRecord r : v.currentClaims()) {
                        holderDuration = Math.max(holderDuration, r.durationMillis());
                    }
                    long silence = TimeUnit.MILLISECONDS.toNanos(holderDuration) + marginNanos();
                    if (now - watchedSinceNanos <= silence) {
                        return false;
                    }
                }
                long g = v.maxGeneration() + 1;
                long t0 = nanoTime.getAsLong();
                LeaseRecord mine = new LeaseRecord(self, self, g, nextCounter(v), options.durationMillis());
                watched = null;
                store.write(mine);
                LeaseStore.View after = store.read();
                String refused = confirm(v, after, mine);
                if (refused != null) {
                    LOG.info("lease: controller " + LeaseRecord.name(self) + " claim of generation " + g
                            + " withdrawn: " + refused);
                    return false;
                }
                tenure = new Tenure(g, t0 + durationNanos() - marginNanos());
                fencedGeneration = -1;
                LOG.info("lease: controller " + LeaseRecord.name(self) + " holds generation " + g + " (took over from "
                        + (v.free() ? "a free lease" : v.currentClaims()) + ")");
                return true;
            } catch (StorageException e) {
                LOG.warning("lease: controller " + LeaseRecord.name(self) + " could not acquire: " + e.getMessage());
                return false;
            }
        }
    }

    /**
     * Reads the lease and watches it without claiming, as {@link #tryAcquire} would: a later claim counts the
     * holder's silence from the first read (by either) that saw the blocks now on disk. A standby that observes
     * while its partner renews can claim soon after the partner stops, instead of starting to watch only then.
     * Does nothing while holding. False when the drives did not answer.
     */
    public boolean observe() {
        synchronized (ops) {
            if (tenure != null) {
                return true;
            }
            try {
                LeaseStore.View v = store.read();
                long now = nanoTime.getAsLong();
                if (watched == null || !watched.sameBlocks(v)) {
                    watched = v;
                    watchedSinceNanos = now;
                }
                return true;
            } catch (StorageException e) {
                LOG.fine("lease: controller " + LeaseRecord.name(self) + " could not observe: " + e.getMessage());
                return false;
            }
        }
    }

    /** Null when the claim {@code mine} stands in {@code after}; else why not. */
    private String confirm(LeaseStore.View before, LeaseStore.View after, LeaseRecord mine) {
        if (!mine.equals(after.of(self)) || after.copiesOf(self) < store.majority()) {
            return "own block on " + after.copiesOf(self) + " copies, a majority is " + store.majority();
        }
        for (int c = 0; c < LeaseDescriptor.MAX_CONTROLLERS; c++) {
            if (c == self) {
                continue;
            }
            LeaseRecord was = before.of(c);
            LeaseRecord now = after.of(c);
            if (now != null && (!now.equals(was) || now.generation() >= mine.generation())) {
                return "controller " + LeaseRecord.name(c) + " wrote " + now + " meanwhile";
            }
        }
        return null;
    }

    /**
     * Gives the lease up: stops writing first, then writes a release (owner none, generation + 1)
     * so that the partner may take over at once instead of waiting out the duration.
     */
    public void release() {
        synchronized (ops) {
            Tenure t = tenure;
            if (t == null) {
                return;
            }
            tenure = null;
            lastLoss = "released generation " + t.generation();
            try {
                LeaseStore.View v = store.read();
                store.write(new LeaseRecord(self, LeaseRecord.NONE, t.generation() + 1, nextCounter(v),
                        options.durationMillis()));
            } catch (StorageException e) {
                LOG.warning("lease: controller " + LeaseRecord.name(self) + " released generation " + t.generation()
                        + " but could not write the release (the partner waits out the duration): " + e.getMessage());
            }
        }
    }

    /** The lease as this controller would read it now (for status pages and tests). */
    public LeaseStore.View read() {
        return store.read();
    }

    @Override
    public String toString() {
        Tenure t = tenure;
        return "DiskLease[" + LeaseRecord.name(self) + (t == null ? ", not holding (" + lastLoss + ")"
                : ", generation " + t.generation() + (mayWrite() ? ", may write" : ", lapsed")) + "]";
    }
}
