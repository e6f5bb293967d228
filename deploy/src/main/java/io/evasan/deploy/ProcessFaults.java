package io.evasan.deploy;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cell.drill.ControllerFaults;
import io.evasan.nsc.cell.drill.DrillHistory;
import io.evasan.nsc.cell.drill.TakeoverTimes;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clustered cell's {@link ControllerFaults}, run by the leader process ({@code self}): a drill acts on the real
 * controller processes as {@code deploy/cell.sh drill} does ({@link ProcessActions}). On the follower: SIGKILL, or
 * SIGSTOP with SIGCONT {@code faultMillis} later, or the bus cut for {@code faultMillis}; the leader then measures
 * what it sees (the partner silent, the caches cut loose and its host ports served here) and writes the report. On
 * the leader itself: the report is answered as started (stored by the caller first) and the process halts or stops
 * only at {@link #act}; the survivor completes that report ({@link #tookOver}).
 *
 * <p>Invariants: a drill runs only while the partner follows (else INVALID_STATE naming why) and one at a time;
 * a refused drill sends no signal and cuts nothing; {@link #act} acts only on a started drill of this process, once.
 */
final class ProcessFaults implements ControllerFaults {
    /** The follower as the leader sees it. */
    interface Partner {
        /** Why the partner does not follow now (down, joining, silent), or null when it follows. */
        String whyNotFollowing();

        /** The partner process's id, as it answered (-1: it does not answer). */
        long pid();
    }

    private final NscId self;
    private final Partner partner;
    private final ProcessActions actions;
    /** How long a hang or a partition lasts. */
    private final long faultMillis;
    /** How long a drill on the follower waits for the leader to see it and cut it loose. */
    private final long waitMillis;
    private final AtomicLong ids = new AtomicLong();
    private final List<Drill> drills = new ArrayList<>();
    private volatile DrillHistory history;

    /** One drill on this process's partner (or, started, on itself), filled in as it progresses. */
    private static final class Drill {
        final long id;
        final String kind;
        final NscId target;
        final long startedAtMillis = System.currentTimeMillis();
        final long t0 = System.nanoTime();
        final CountDownLatch handled = new CountDownLatch(1);
        volatile long detectedNanos = -1;
        volatile long handledNanos = -1;
        volatile String outcome;
        volatile boolean acted;
        volatile long acknowledged;
        volatile long verified;
        volatile long lost;

        Drill(long id, String kind, NscId target, String outcome) {
            this.id = id;
            this.kind = kind;
            this.target = target;
            this.outcome = outcome;
        }

        DrillReport report() {
            return new DrillReport(id, kind, target, startedAtMillis, ms(detectedNanos), ms(handledNanos), -1, 0,
                    acknowledged, verified, lost, outcome);
        }

        private long ms(long at) {
            return at < 0 ? -1 : Math.max(0, TimeUnit.NANOSECONDS.toMillis(at - t0));
        }
    }

    ProcessFaults(NscId self, Partner partner, ProcessActions actions, long faultMillis, long waitMillis) {
        this.self = Objects.requireNonNull(self, "self");
        this.partner = Objects.requireNonNull(partner, "partner");
        this.actions = Objects.requireNonNull(actions, "actions");
        this.faultMillis = faultMillis;
        this.waitMillis = waitMillis;
    }

    private static String proc(NscId id) {
        return ClusterNode.procName(id);
    }

    @Override
    public void checkReady(String kind, NscId target, boolean verify) {
        String why = partner.whyNotFollowing();
        if (why != null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "a " + kind + " drill needs the partner process "
                    + proc(self.partner()) + " following the leader " + proc(self) + ": " + why);
        }
        if (verify && target == self && !"partition".equals(kind)) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "verify: the verifier runs in the leader "
                    + proc(self) + ", which this " + kind + " drill stops: drill the follower " + self.partner()
                    + " with verify, or this one without it");
        }
    }

    @Override
    public DrillReport kill(NscId target) {
        if (target == self) {
            return started("kill", "SIGKILL of " + proc(self) + ", the leader answering the request, once the answer "
                    + "has left; " + proc(self.partner()) + " completes this report when it takes over");
        }
        return onPartner("kill", "KILL", proc(target) + " killed (SIGKILL)");
    }

    @Override
    public DrillReport hang(NscId target) {
        if (target == self) {
            return started("hang", "SIGSTOP of " + proc(self) + ", the leader answering the request, once the answer "
                    + "has left, SIGCONT " + faultMillis + " ms later (it then finds its lease taken and halts "
                    + "without writing); " + proc(self.partner()) + " completes this report when it takes over");
        }
        return onPartner("hang", "STOP", proc(target) + " stopped (SIGSTOP) for " + faultMillis + " ms");
    }

    @Override
    public DrillReport partition() {
        Drill d = newDrill("partition", self.partner(), "running");
        actions.cutBus(faultMillis);
        return await(d, "the bus between " + proc(self) + " and " + proc(self.partner()) + " cut for " + faultMillis
                + " ms; " + proc(self) + " kept the quorum lease");
    }

    private DrillReport started(String kind, String what) {
        return newDrill(kind, self, DrillReport.STARTED + ": " + what).report();
    }

    private DrillReport onPartner(String kind, String signal, String what) {
        long pid = partner.pid();
        if (pid <= 0) {
            throw new StorageException(ErrorCode.INVALID_STATE, "a " + kind + " drill needs the partner process "
                    + proc(self.partner()) + " answering: it does not tell its process id");
        }
        Drill d = newDrill(kind, self.partner(), "running");
        try {
            actions.signal(pid, signal);
        } catch (RuntimeException e) {
            d.outcome = "not run: " + e.getMessage();
            throw e;
        }
        if ("STOP".equals(signal)) {
            resumeLater(pid);
        }
        return await(d, what + " (pid " + pid + ")");
    }

    private void resumeLater(long pid) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(faultMillis);
                actions.signal(pid, "CONT");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                System.err.println("evasan: cluster: SIGCONT to " + pid + " after the hang drill failed: " + e);
            }
        }, "evasan-drill-resume");
        t.setDaemon(true);
        t.start();
    }

    private synchronized Drill newDrill(String kind, NscId target, String outcome) {
        for (Drill d : drills) {
            if ("running".equals(d.outcome)) {
                throw new StorageException(ErrorCode.INVALID_STATE, "drill " + d.id + " (" + d.kind + ") is still "
                        + "running: one drill at a time");
            }
        }
        Drill d = new Drill(ids.incrementAndGet(), kind, target, outcome);
        drills.add(d);
        return d;
    }

    private DrillReport await(Drill d, String what) {
        try {
            d.handled.await(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String after = d.handledNanos >= 0 ? d.outcome : d.detectedNanos >= 0 ? "seen silent, not cut loose within "
                + waitMillis + " ms" : "not seen silent within " + waitMillis + " ms";
        d.outcome = what + ": " + after;
        return d.report();
    }

    private synchronized Drill running() {
        for (int i = drills.size() - 1; i >= 0; i--) {
            Drill d = drills.get(i);
            if ("running".equals(d.outcome)) {
                return d;
            }
        }
        return null;
    }

    /** The leader heard its partner fall silent (at {@code nanos}): a running drill's detection. */
    void partnerSilent(long nanos) {
        Drill d = running();
        if (d != null && d.detectedNanos < 0) {
            d.detectedNanos = nanos;
        }
    }

    /** The leader cut its partner loose at {@code nanos} ({@code what} it does now): a running drill's takeover. */
    void partnerHandled(long nanos, String what) {
        Drill d = running();
        if (d != null) {
            if (d.detectedNanos < 0) {
                d.detectedNanos = nanos;
            }
            d.outcome = "leader " + proc(self) + " " + what;   // before the time: await reads it once the latch opens
            d.handledNanos = nanos;
            d.handled.countDown();
        }
    }

    /**
     * This process took over from its partner: completes the partner's started report in the history with
     * {@code times}; false when there is none (the partner died of something else than a drill).
     */
    boolean tookOver(TakeoverTimes times) {
        DrillHistory h = history;
        return h != null && h.completeStarted(self.partner(), times).isPresent();
    }

    @Override
    public void act(long id) {
        Drill d;
        synchronized (this) {
            d = drills.stream().filter(x -> x.id == id && x.target == self && !x.acted
                    && x.outcome.startsWith(DrillReport.STARTED)).findFirst().orElse(null);
            if (d == null) {
                return;
            }
            d.acted = true;
        }
        if ("kill".equals(d.kind)) {
            actions.haltSelf();
        } else {
            actions.stopSelf(faultMillis);
        }
    }

    @Override
    public List<Integer> restart(NscId target) {
        if (target == self) {
            throw new StorageException(ErrorCode.INVALID_STATE, "controller " + self + " is the leader process "
                    + proc(self) + " answering this request: it runs, nothing to restart");
        }
        long pid = partner.pid();
        if (pid > 0) {
            throw new StorageException(ErrorCode.INVALID_STATE, "controller " + target + " runs (process " + proc(target)
                    + ", pid " + pid + "): nothing to restart");
        }
        long started = actions.start(target);
        System.out.println("evasan: cluster: " + proc(self) + ": restart drill: " + proc(target) + " started again (pid "
                + started + "); it follows once it joins");
        return List.of();   // the leader runs both controllers' units: none moves back to a follower
    }

    @Override
    public synchronized void verified(long id, long acknowledged, long verified, long lost, String note) {
        for (Drill d : drills) {
            if (d.id == id) {
                d.acknowledged = acknowledged;
                d.verified = verified;
                d.lost = lost;
                if (note != null) {
                    d.outcome = d.outcome + "; " + note;
                }
            }
        }
    }

    @Override
    public synchronized List<DrillReport> drills() {
        List<DrillReport> out = new ArrayList<>();
        for (Drill d : drills) {
            out.add(d.report());
        }
        return out;
    }

    @Override
    public void continueDrillIds(long lastId) {
        ids.accumulateAndGet(lastId, Math::max);
    }

    @Override
    public long nextDrillId() {
        return ids.incrementAndGet();
    }

    @Override
    public void historyOpened(DrillHistory history) {
        this.history = history;
    }
}
