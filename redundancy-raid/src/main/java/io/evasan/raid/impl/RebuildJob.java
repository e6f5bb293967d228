package io.evasan.raid.impl;

import io.evasan.raid.RaidStats;
import io.evasan.raid.Rebuild;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A running or finished rebuild; see {@link Rebuild}. Thread-safe. */
final class RebuildJob implements Rebuild {
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final AtomicInteger members = new AtomicInteger();
    private final Set<Long> unrecoverable = ConcurrentHashMap.newKeySet();
    private final CountDownLatch latch = new CountDownLatch(1);
    private final RaidStats stats;
    private volatile Throwable failure;
    volatile boolean rescan;

    RebuildJob(RaidStats stats) {
        this.stats = stats;
    }

    void addTotal(long rows) {
        total.addAndGet(rows);
        stats.rebuildProgress(done.get(), total.get());
    }

    void rowDone() {
        long d = done.incrementAndGet();
        if (d > total.get()) {
            total.set(d);
        }
        stats.rebuildProgress(d, total.get());
    }

    void memberDone(int n) {
        members.addAndGet(n);
        for (int i = 0; i < n; i++) {
            stats.memberRebuilt();
        }
    }

    void unrecoverable(long rsdId) {
        unrecoverable.add(rsdId);
    }

    void recovered(long rsdId) {
        unrecoverable.remove(rsdId);
    }

    void finish(Throwable t) {
        failure = t;
        latch.countDown();
    }

    @Override
    public long done() {
        return done.get();
    }

    @Override
    public long total() {
        return total.get();
    }

    @Override
    public int membersRebuilt() {
        return members.get();
    }

    @Override
    public boolean isDone() {
        return latch.getCount() == 0;
    }

    @Override
    public void await() throws InterruptedException {
        latch.await();
    }

    @Override
    public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return latch.await(timeout, unit);
    }

    @Override
    public List<Long> unrecoverable() {
        List<Long> l = new ArrayList<>(unrecoverable);
        l.sort(null);
        return l;
    }

    @Override
    public Throwable failure() {
        return failure;
    }

    @Override
    public String toString() {
        return "rebuild " + done() + "/" + total() + " rows, " + members.get() + " members"
                + (isDone() ? " done" : " running") + (unrecoverable.isEmpty() ? "" : ", unrecoverable RSDs "
                + unrecoverable());
    }
}
