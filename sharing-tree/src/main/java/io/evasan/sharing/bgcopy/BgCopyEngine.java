package io.evasan.sharing.bgcopy;

import io.evasan.error.StorageException;
import io.evasan.sharing.BgCopyState;

/**
 * The background copy engine ([0100]-[0105], BGCOPY): one daemon thread, {@code sharing-bgcopy}, that
 * steps every copying snapclone in turn ({@link Host#step}, {@code batch} segments at a time), paced by
 * the {@link BgCopyThrottle}, and waits (50 ms, or until {@link #wake}) while no clone can copy.
 * Paused and stalled clones are skipped; a clone whose step throws an unexpected runtime exception is
 * stalled ({@link Host#stopped}).
 *
 * <p><b>Invariant (locks)</b>: the engine thread holds no lock when it calls the {@link Host}; the host's
 * {@link Host#step} takes, in order, the clone's {@code bgLock}, its tree's structure lock, then stripe
 * locks (and the catalog monitor inside those) — the same order as every caller of
 * {@code SharingTrees.bgcopyStep}. {@link #wake} takes only the engine's own signal monitor, so it may be
 * called holding any tree lock; {@link #close} must be called holding none (it joins the thread).
 */
public final class BgCopyEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BgCopyEngine.class.getName());

    /** The copying snapclones, as the engine sees them. */
    public interface Host {
        /** Ids of the disks that may be copying snapclones (a fresh array; filtered by {@link #runnable}). */
        long[] clones();

        /** Whether {@code cloneId} is a valid, live snapclone still copying, neither paused nor stalled. */
        boolean runnable(long cloneId);

        /** One BGCOPY step of at most {@code maxSegments} segments; returns how many were copied. */
        int step(long cloneId, int maxSegments);

        /** The step of {@code cloneId} failed unexpectedly: it stops (stalls) until resumed. */
        void stopped(long cloneId);
    }

    /** The state a copying clone reports: paused over stalled over running. */
    public static BgCopyState state(boolean paused, boolean stalled) {
        return paused ? BgCopyState.PAUSED : stalled ? BgCopyState.STALLED_NO_SPACE : BgCopyState.RUNNING;
    }

    private final Host host;
    private final BgCopyThrottle throttle;
    private final int batch;
    private final int segBytes;
    private final Object signal = new Object();
    private volatile boolean closed;
    private Thread thread;

    public BgCopyEngine(Host host, BgCopyThrottle throttle, int batch, int segBytes) {
        this.host = host;
        this.throttle = throttle;
        this.batch = batch;
        this.segBytes = segBytes;
    }

    /** Starts the {@code sharing-bgcopy} daemon thread (once). */
    public synchronized void start() {
        if (thread == null) {
            thread = new Thread(this::loop, "sharing-bgcopy");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** A clone was created or resumed: the thread stops waiting. */
    public void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            wake();
            try {
                t.join(5000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        throttle.start();
        while (!closed) {
            boolean any = false;
            for (long id : host.clones()) {
                if (closed) {
                    return;
                }
                if (!host.runnable(id)) {
                    continue;
                }
                any = true;
                int n;
                try {
                    n = host.step(id, batch);
                } catch (StorageException ex) {
                    continue;
                } catch (RuntimeException ex) {
                    LOG.log(System.Logger.Level.ERROR, "BGCOPY of snapclone " + id + " stopped", ex);
                    host.stopped(id);
                    continue;
                }
                if (!throttle.pace(n, segBytes)) {
                    return;
                }
            }
            if (!any) {
                synchronized (signal) {
                    try {
                        signal.wait(50);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }
}
