package io.evasan.mld.lease;

import io.evasan.raid.drive.QuorumArea;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A seeded random schedule of two controllers over three shared quorum areas, in simulated real
 * time. Each controller has its own monotonic clock ({@code offset + rate * real}, rates drawn in
 * [0.97, 1.03]: bounded drift, well inside the 10 % margin). Every quorum I/O of every lease
 * operation is one scheduler step, so a controller can be paused (SIGSTOP) between any two of its
 * I/Os: between the read and the write of a renewal, between a claim's write and its read-back,
 * and so on; the paused controller's clock keeps running, it just runs no code until resumed.
 * Idle controllers renew when due, try to acquire when not holding, release now and then, and
 * write through the fence.
 *
 * <p>Claim, checked after every step: at no instant of real time do both controllers'
 * {@link Fence#mayWrite()} answer true. The seed is printed; a failure names the seed, the step
 * and the last events. Replay with {@code -Devasan.seed=S}; {@code -Devasan.lease.iterations=N}
 * runs more seeds.
 */
class DiskLeaseScheduleTest {
    static final long MS = 1_000_000L;
    static final LeaseOptions OPTS = new LeaseOptions(3000, 300);
    static final long D = 3000 * MS;
    static final int STEPS = 20_000;

    private long real; // simulated real time, ns; written by the scheduler only while every worker is parked

    private final class Node {
        final int id;
        final long offset;
        final double rate;
        final Semaphore permit = new Semaphore(0);
        final Semaphore arrived = new Semaphore(0);
        final ExecutorService exec;
        volatile Thread worker;
        DiskLease lease;
        Future<Boolean> op;
        String opName;
        volatile boolean opDone;
        boolean paused;
        long resumeAt;
        long lastOpStart = Long.MIN_VALUE / 2;
        long renewAfter = D / 3;
        long writes;
        long takeovers;
        long fences;
        long midOpPauses;

        Node(int id, Random r) {
            this.id = id;
            this.offset = r.nextLong() >> 8;
            this.rate = 0.97 + 0.06 * r.nextDouble();
            this.exec = Executors.newSingleThreadExecutor(run -> {
                Thread t = new Thread(run, "sim-controller-" + LeaseRecord.name(id));
                worker = t;
                return t;
            });
        }

        long clock() {
            return offset + (long) (real * rate);
        }

        void gate() {
            if (Thread.currentThread() == worker) {
                arrived.release();
                permit.acquireUninterruptibly();
            }
        }

        String name() {
            return LeaseRecord.name(id);
        }
    }

    private final ArrayDeque<String> events = new ArrayDeque<>();

    private void log(String e) {
        events.addLast(String.format("%10.3f ms  %s", real / 1e6, e));
        if (events.size() > 60) {
            events.removeFirst();
        }
    }

    private void start(Node n, String name, Callable<Boolean> c) {
        n.opName = name;
        n.opDone = false;
        n.lastOpStart = n.clock();
        n.op = n.exec.submit(() -> {
            try {
                return c.call();
            } finally {
                n.opDone = true;
                n.arrived.release();
            }
        });
        n.arrived.acquireUninterruptibly();
        finishIfDone(n);
    }

    private void step(Node n) {
        n.permit.release();
        n.arrived.acquireUninterruptibly();
        finishIfDone(n);
    }

    private void finishIfDone(Node n) {
        if (!n.opDone) {
            return;
        }
        boolean ok;
        try {
            ok = n.op.get();
        } catch (Exception e) {
            throw new AssertionError("operation " + n.opName + " of " + n.name() + " threw", e);
        }
        n.op = null;
        if (n.opName.equals("acquire") && ok) {
            n.takeovers++;
            log(n.name() + " ACQUIRED generation " + n.lease.heldGeneration());
        } else if (n.opName.equals("renew") && !ok && n.lease.fencedGeneration() >= 0 && n.lease.heldGeneration() < 0) {
            n.fences++;
            log(n.name() + " renew failed: FENCED from generation " + n.lease.fencedGeneration());
        } else {
            log(n.name() + " " + n.opName + " -> " + ok);
        }
    }

    @Test
    void shouldNeverLetBothControllersWriteAtOnce() {
        long base = Long.getLong("evasan.seed", new Random().nextLong());
        int iterations = Integer.getInteger("evasan.lease.iterations", 4);
        System.out.println("[lease] DiskLeaseScheduleTest base seed " + base + " (replay: -Devasan.seed=" + base
                + " -Devasan.lease.iterations=N)");
        for (int it = 0; it < iterations; it++) {
            run(base + it);
        }
    }

    private void run(long seed) {
        real = 0;
        events.clear();
        Random r = new Random(seed);
        List<QuorumArea> shared = List.of(new MemoryQuorumArea(64 << 10), new MemoryQuorumArea(64 << 10),
                new MemoryQuorumArea(64 << 10));
        Node[] nodes = {new Node(0, r), new Node(1, r)};
        for (Node n : nodes) {
            List<QuorumArea> view = new ArrayList<>();
            for (QuorumArea a : shared) {
                view.add(new GatedArea(a, n::gate));
            }
            n.lease = new DiskLease(LeaseStore.open(view), n.id, OPTS, n::clock);
        }
        long bothIdleChecks = 0;
        try {
            for (int step = 0; step < STEPS; step++) {
                real += 1 + (long) (r.nextDouble() * D / 60);
                Node n = nodes[r.nextInt(2)];
                if (n.paused) {
                    if (real >= n.resumeAt) {
                        n.paused = false;
                        log(n.name() + " SIGCONT" + (n.op != null ? " (inside " + n.opName + ")" : ""));
                    }
                } else {
                    int dice = r.nextInt(1000);
                    // stops inside an operation are the interesting ones: likelier, and as long as a takeover takes
                    if (dice < (n.op != null ? 20 : 3)) {
                        n.paused = true;
                        n.resumeAt = real + (long) (r.nextDouble() * (n.op != null ? 2 : 3) * D);
                        if (n.op != null) {
                            n.midOpPauses++;
                        }
                        log(n.name() + " SIGSTOP for " + (n.resumeAt - real) / MS + " ms"
                                + (n.op != null ? " inside " + n.opName : ""));
                    } else if (n.op != null) {
                        step(n);
                    } else {
                        DiskLease l = n.lease;
                        if (l.mayWrite() && r.nextBoolean()) {
                            l.checkWrite("write");
                            n.writes++;
                        }
                        long since = n.clock() - n.lastOpStart;
                        if (l.heldGeneration() >= 0) {
                            if (dice < 7) {
                                start(n, "release", () -> {
                                    n.lease.release();
                                    return true;
                                });
                            } else if (since >= n.renewAfter) {
                                // mostly on time, sometimes late (a slow or lapsed holder renews too)
                                n.renewAfter = D / 3 + (long) (Math.pow(r.nextDouble(), 3) * D);
                                start(n, "renew", l::renew);
                            }
                        } else if (since >= D / 10) {
                            start(n, "acquire", l::tryAcquire);
                        }
                    }
                }
                boolean a = nodes[0].lease.mayWrite();
                boolean b = nodes[1].lease.mayWrite();
                bothIdleChecks++;
                if (a && b) {
                    fail("seed " + seed + ", step " + step + ": both controllers may write at real time "
                            + real / 1e6 + " ms (A " + nodes[0].lease + ", B " + nodes[1].lease + ")\nlast events:\n  "
                            + String.join("\n  ", events));
                }
            }
        } finally {
            for (Node n : nodes) {
                while (n.op != null) {
                    step(n);
                }
                n.exec.shutdownNow();
            }
        }
        System.out.printf("[lease] seed %d: %d steps, %.1f s simulated; A: %d acquisitions, %d fences, %d writes,"
                        + " %d mid-operation stops; B: %d acquisitions, %d fences, %d writes, %d mid-operation stops;"
                        + " clock rates %.4f / %.4f%n", seed, STEPS, real / 1e9, nodes[0].takeovers, nodes[0].fences,
                nodes[0].writes, nodes[0].midOpPauses, nodes[1].takeovers, nodes[1].fences, nodes[1].writes,
                nodes[1].midOpPauses, nodes[0].rate, nodes[1].rate);
        assertTrue(bothIdleChecks == STEPS);
        assertTrue(nodes[0].takeovers + nodes[1].takeovers > 1, "seed " + seed + ": the schedule moved the lease");
    }
}
