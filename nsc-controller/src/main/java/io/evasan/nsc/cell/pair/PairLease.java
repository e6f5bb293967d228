package io.evasan.nsc.cell.pair;

import io.evasan.mld.lease.DiskLease;
import io.evasan.mld.lease.Fence;
import io.evasan.mld.lease.LeaseLostException;
import io.evasan.mld.lease.LeaseOptions;
import io.evasan.mld.lease.LeaseStore;
import io.evasan.nsc.api.NscId;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The cell's quorum-disk lease (DESIGN.md §7, the idea of Pacemaker's SBD): which controller may write shared
 * storage when the two cannot talk. One controller, the <em>holder</em>, holds the {@link DiskLease} on the pool's
 * quorum areas and renews it; the other, the <em>standby</em>, writes only while the holder answers its heartbeat,
 * and watches the lease ({@link DiskLease#observe}) so that it can claim it soon after the holder falls silent.
 *
 * <p>Invariants:
 * <ul>
 * <li>{@link #permit}{@code (id).mayWrite()} is true only while {@code id} holds an unlapsed lease, or while its
 *     partner answered a ping {@code id} sent less than {@code permitMillis} ago: a partner that answers is alive
 *     and sees {@code id} alive, so it takes nothing over, and the lease only matters once the two cannot talk (a
 *     holder whose renewal is late on a loaded machine keeps writing while it is in contact). Without a running
 *     heartbeat (the embedded cell's start and close, when no partition can exist) a controller without the lease
 *     needs its partner's.</li>
 * <li>{@code permitMillis} is at most half the heartbeat timeout, so a standby's permission has lapsed before its
 *     partner can declare it dead: a holder takes a silent standby over at once. A standby takes a silent holder over
 *     only after {@link #contend claiming} the lease, which succeeds only once the holder's tenure has lapsed (its
 *     blocks unchanged for duration + margin); the old holder's {@link DiskLease} then refuses every write and is
 *     fenced for its generation at its next renewal, so a resumed zombie writes nothing stale.</li>
 * <li>Residual window (as {@link DiskLease}'s): a write that passed the check and was then paused before reaching
 *     the drive may land late; the embedded cell closes it by fencing the partner's backend door too.</li>
 * </ul>
 */
final class PairLease implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PairLease.class.getName());

    private final LeaseStore store;
    private final LeaseOptions options;
    private final long permitNanos;
    private final Map<NscId, DiskLease> leases = new EnumMap<>(NscId.class);
    private final Map<NscId, LongSupplier> contact = new EnumMap<>(NscId.class);
    private final Map<NscId, ScheduledFuture<?>> renewers = new EnumMap<>(NscId.class);
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "cell-lease");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean heartbeatRunning;
    private volatile boolean closed;

    /**
     * @param heartbeatTimeoutMillis the pair's heartbeat timeout: the lease lasts that long (margin a fifth of it),
     *                               a standby's permission half of it
     */
    PairLease(LeaseStore store, long heartbeatTimeoutMillis) {
        this.store = store;
        long duration = Math.max(150, heartbeatTimeoutMillis);
        this.options = new LeaseOptions(duration, Math.max(1, duration / 5));
        this.permitNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatTimeoutMillis / 2);
        for (NscId id : NscId.values()) {
            leases.put(id, new DiskLease(store, id.ordinal(), options, System::nanoTime));
        }
    }

    LeaseOptions options() {
        return options;
    }

    DiskLease lease(NscId id) {
        return leases.get(id);
    }

    /** Where {@code id}'s evidence of its partner comes from: the send time of the newest ping it answered. */
    void contact(NscId id, LongSupplier lastAnsweredPingNanos) {
        contact.put(id, lastAnsweredPingNanos);
    }

    /** Whether the pair's heartbeat runs (then a standby writes only with fresh contact). */
    void heartbeatRunning(boolean running) {
        this.heartbeatRunning = running;
    }

    /**
     * At start: {@code first} claims the lease, waiting out a previous holder's tenure (a crash left its blocks
     * behind; a clean close released them). Then both renew or watch.
     *
     * @throws LeaseLostException INVALID_STATE when the lease could not be claimed within {@code timeoutMillis}
     */
    void acquireAtStart(NscId first, long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        DiskLease l = leases.get(first);
        boolean other = false;
        while (!l.tryAcquire()) {
            if (System.nanoTime() - deadline > 0) {
                if (other) {
                    throw new LeaseLostException(first.ordinal(), "no controller could claim the quorum lease within "
                            + timeoutMillis + " ms: " + l + ", " + leases.get(first.partner()));
                }
                // the first choice could not (its quorum reads fail?): the partner tries for as long again
                other = true;
                l = leases.get(first.partner());
                deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                continue;
            }
            sleep(options.renewIntervalMillis() / 4);
        }
        LOG.log(System.Logger.Level.INFO, "quorum lease: " + l);
        for (NscId id : NscId.values()) {
            startRenewing(id);
        }
    }

    /** Renews {@code id}'s lease while it holds one, else watches the partner's renewals. */
    synchronized void startRenewing(NscId id) {
        stopRenewing(id);
        if (closed) {
            return;
        }
        long every = Math.max(1, options.renewIntervalMillis());
        renewers.put(id, scheduler.scheduleWithFixedDelay(() -> tick(id), 0, every, TimeUnit.MILLISECONDS));
    }

    private void tick(NscId id) {
        DiskLease l = leases.get(id);
        if (l.heldGeneration() >= 0) {
            long held = l.heldGeneration();
            if (!l.renew() && l.fencedGeneration() == held) {
                LOG.log(System.Logger.Level.WARNING, "quorum lease: nsc-" + id.name().toLowerCase()
                        + " lost generation " + held + ": " + l);
            }
        } else {
            l.observe();
        }
    }

    /** {@code id} stops renewing and watching (it crashed or hangs). */
    synchronized void stopRenewing(NscId id) {
        ScheduledFuture<?> f = renewers.remove(id);
        if (f != null) {
            f.cancel(false);
        }
    }

    /**
     * A restarted {@code id} starts with no tenure (a crashed controller remembers nothing; its old generation is
     * fenced or lapsed) and watches the lease.
     */
    synchronized void restart(NscId id) {
        stopRenewing(id);
        leases.put(id, new DiskLease(store, id.ordinal(), options, System::nanoTime));
        startRenewing(id);
    }

    /**
     * {@code id} tries to claim the lease until it holds it (true), {@code stillWanted} turns false, or about three
     * lease durations pass (false: the holder keeps renewing, or the quorum areas do not answer).
     */
    boolean contend(NscId id, BooleanSupplier stillWanted) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * (options.durationMillis()
                + options.marginMillis()));
        DiskLease l = leases.get(id);
        while (stillWanted.getAsBoolean() && !closed) {
            if (l.tryAcquire()) {
                LOG.log(System.Logger.Level.WARNING, "quorum lease: nsc-" + id.name().toLowerCase() + " claimed " + l);
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            sleep(Math.max(1, options.renewIntervalMillis() / 8));
        }
        return false;
    }

    /** Whether {@code id} holds an unlapsed lease now. */
    boolean holds(NscId id) {
        return leases.get(id).mayWrite();
    }

    /** The door check of {@code id}'s backend calls (see the class invariants). */
    Fence permit(NscId id) {
        return new Fence() {
            @Override
            public boolean mayWrite() {
                return permitted(id) == null;
            }

            @Override
            public void checkWrite(String what) {
                String why = permitted(id);
                if (why != null) {
                    throw new LeaseLostException(id.ordinal(), "nsc-" + id.name().toLowerCase() + " may not " + what
                            + ": " + why);
                }
            }
        };
    }

    /** Null when {@code id} may write now, else why not. */
    private String permitted(NscId id) {
        if (leases.get(id).mayWrite()) {
            return null;
        }
        if (!heartbeatRunning) {
            return leases.get(id.partner()).mayWrite() ? null
                    : "it holds no quorum lease and neither does its partner";
        }
        LongSupplier c = contact.get(id);
        long last = c == null ? Long.MIN_VALUE : c.getAsLong();
        if (last == Long.MIN_VALUE) {
            return "it holds no quorum lease and its partner has not answered its heartbeat yet";
        }
        long age = System.nanoTime() - last;
        return age < permitNanos ? null : "it holds no quorum lease and its partner last answered a heartbeat sent "
                + TimeUnit.NANOSECONDS.toMillis(age) + " ms ago (contact permits writing for "
                + TimeUnit.NANOSECONDS.toMillis(permitNanos) + " ms)";
    }

    /** For views: "holds generation g", "standby (partner holds g)", or why neither. */
    String describe(NscId id) {
        DiskLease l = leases.get(id);
        if (l.mayWrite()) {
            return "holds generation " + l.heldGeneration();
        }
        DiskLease p = leases.get(id.partner());
        if (p.mayWrite()) {
            return "standby (nsc-" + id.partner().name().toLowerCase() + " holds generation " + p.heldGeneration() + ")";
        }
        return l.fencedGeneration() >= 0 ? "fenced from generation " + l.fencedGeneration() : "not holding";
    }

    /** Stops renewing and watching without releasing (a crash of the whole cell: the tenure lapses on its own). */
    synchronized void abandon() {
        closed = true;
        for (NscId id : NscId.values()) {
            stopRenewing(id);
        }
        scheduler.shutdownNow();
    }

    /** Stops renewing; a holder releases its lease so the next start claims it at once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (NscId id : NscId.values()) {
            stopRenewing(id);
        }
        scheduler.shutdownNow();
        for (NscId id : NscId.values()) {
            if (leases.get(id).heldGeneration() >= 0) {
                leases.get(id).release();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
