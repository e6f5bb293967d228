package io.evasan.leveling;

import io.evasan.leveling.api.LevelingProgress;
import io.evasan.leveling.api.LevelingState;
import io.evasan.leveling.api.MoveOutcome;
import io.evasan.leveling.api.PlannedMove;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.drive.DriveLabelDescriptor;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The background leveling job of one disk group: plans ({@link LevelingPlanner}) on a fresh
 * {@link GroupLayout}, executes the moves one by one ({@link PsegMove}) under a {@link Throttle}, and replans
 * after each plan or after a move that did not happen, until the group is balanced or no move is possible.
 * Pausable between moves; a stop abandons the move in flight (its target is freed). Nothing is persisted:
 * after a crash a new job plans from what the disk group holds, which is always a state before or after a
 * whole move.
 *
 * <p>Invariants: one thread ({@code leveling-<group>}) runs the job; the progress figures only grow, except
 * that planned figures drop by the moves a replan discards, so done &lt;= planned always holds.
 */
public final class Leveler implements LevelingProgress, AutoCloseable {
    /** Plans in a row that moved nothing before the job gives up (STUCK). */
    static final int MAX_IDLE_ROUNDS = 5;
    private static final long PSEG_BYTES = DriveLabelDescriptor.PSEG_BYTES;

    private final DiskGroup group;
    private final Throttle throttle;
    private final LevelingPlanner planner = new LevelingPlanner();
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong planned = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong bytesMoved = new AtomicLong();
    private final AtomicLong bytesPlanned = new AtomicLong();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Object pauseLock = new Object();
    private volatile LevelingState state = LevelingState.IDLE;
    private volatile boolean paused;
    private volatile boolean stopped;
    private volatile String lastError;
    private Thread thread;

    public Leveler(DiskGroup group, Throttle throttle) {
        this.group = group;
        this.throttle = throttle;
    }

    /** Starts the job on its own daemon thread. */
    public synchronized Leveler start() {
        if (thread != null) {
            throw new IllegalStateException("leveling of disk group " + group.name() + " already started");
        }
        state = LevelingState.RUNNING;
        thread = new Thread(this::run, "leveling-" + group.name());
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** Pauses before the next move (the move in flight finishes); the state turns PAUSED once the job waits. */
    public void pause() {
        synchronized (pauseLock) {
            paused = true;
        }
    }

    public void resume() {
        synchronized (pauseLock) {
            paused = false;
            pauseLock.notifyAll();
        }
    }

    /** Sets the copy rate (bytes/s, 0 = unthrottled) of the running job. */
    public void setRate(long bytesPerSecond) {
        throttle.setRate(bytesPerSecond);
    }

    /** Waits until the job ended (balanced, stuck, stopped or failed); returns whether it did. */
    public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return finished.await(timeout, unit);
    }

    /** Asks the job to stop: the move in flight is abandoned after its current row (its target freed). */
    public void stop() {
        stopped = true;
        resume();
    }

    /** Stops the job and waits for its thread. */
    @Override
    public void close() {
        stop();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        LevelingState end = LevelingState.FAILED;
        try {
            end = levelUntilDone();
        } catch (InterruptedException e) {
            end = LevelingState.STOPPED;
        } catch (RuntimeException | Error e) {
            lastError = e.toString();
            end = stopped ? LevelingState.STOPPED : LevelingState.FAILED;
        } finally {
            state = end;
            finished.countDown();
        }
    }

    private LevelingState levelUntilDone() throws InterruptedException {
        int idle = 0;
        while (!stopped) {
            waitWhilePaused();
            if (stopped) {
                break;
            }
            GroupLayout layout = GroupLayout.of(group);
            List<PlannedMove> plan = planner.plan(layout);
            if (plan.isEmpty()) {
                GroupLayout now = GroupLayout.of(group);
                if (ProportionalShare.balanced(now)) {
                    return LevelingState.BALANCED;
                }
                lastError = "no valid move left; worst deviation " + ProportionalShare.worst(now) + " PSEGs";
                return LevelingState.STUCK;
            }
            for (PlannedMove mv : plan) {
                planned.incrementAndGet();
                bytesPlanned.addAndGet(mv.psegs() * PSEG_BYTES);
            }
            int movedThisRound = 0;
            for (int i = 0; i < plan.size(); i++) {
                waitWhilePaused();
                if (stopped) {
                    discard(plan, i);
                    break;
                }
                PlannedMove mv = plan.get(i);
                MoveOutcome o = new PsegMove(group, mv).run(throttle, b -> { }, () -> stopped);
                if (o == MoveOutcome.MOVED) {
                    done.incrementAndGet();
                    bytesMoved.addAndGet(mv.psegs() * PSEG_BYTES);
                    movedThisRound++;
                } else {
                    skipped.incrementAndGet();
                    lastError = "move of RSD " + mv.rsdId() + ": " + o;
                    discard(plan, i);
                    break;
                }
            }
            idle = movedThisRound == 0 ? idle + 1 : 0;
            if (idle >= MAX_IDLE_ROUNDS) {
                return LevelingState.STUCK;
            }
            if (movedThisRound == 0) {
                Thread.sleep(100); // a rebuild or another move holds the RStore: let it finish
            }
        }
        return LevelingState.STOPPED;
    }

    private void discard(List<PlannedMove> plan, int from) {
        for (int j = from; j < plan.size(); j++) {
            planned.decrementAndGet();
            bytesPlanned.addAndGet(-plan.get(j).psegs() * PSEG_BYTES);
        }
    }

    private void waitWhilePaused() throws InterruptedException {
        synchronized (pauseLock) {
            while (paused && !stopped) {
                state = LevelingState.PAUSED;
                pauseLock.wait();
            }
            state = LevelingState.RUNNING;
        }
    }

    @Override
    public LevelingState state() {
        return state;
    }

    @Override
    public long movesDone() {
        return done.get();
    }

    @Override
    public long movesPlanned() {
        return planned.get();
    }

    @Override
    public long movesSkipped() {
        return skipped.get();
    }

    @Override
    public long bytesMoved() {
        return bytesMoved.get();
    }

    @Override
    public long bytesPlanned() {
        return bytesPlanned.get();
    }

    @Override
    public long rateBytesPerSecond() {
        return throttle.rate();
    }

    @Override
    public String lastError() {
        return lastError;
    }

    @Override
    public String toString() {
        return "leveling of " + group.name() + ": " + state + ", moves " + done + "/" + planned + " (" + skipped
                + " skipped), " + (bytesMoved.get() >> 20) + "/" + (bytesPlanned.get() >> 20) + " MiB";
    }
}
