package io.evasan.raid.impl;

import io.evasan.raid.Rebuild;
import io.evasan.raid.bitmap.BitmapDescriptor;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rsd.RsdDescriptor;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.RStoreImpl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Online rebuild and resync of one disk group: finds the members that need work (lost,
 * stale, evacuating), has {@link DiskGroupImpl#plan} place their targets, lets
 * {@link RStoreImpl#rebuild} (member migration) copy them, releases the old PSEGs and tracks
 * progress in a {@link RebuildJob}. Runs on one daemon thread {@code rebuild-<group>}.
 *
 * <p>Invariants: at most one rebuild job and one resync job run at a time (a rebuild request
 * while one runs sets its {@code rescan} flag, so no request is lost); a target PSEG is
 * allocated under the group's {@code allocLock} before its copy starts and is released again
 * if the migration fails; an old member's PSEG is released (RELEASED tombstone) only after
 * the RStore committed the new RSD. No job starts once the group is closed.
 *
 * <p>Locking: this object's monitor guards the executor and the current jobs (callers hold
 * nothing); workMask / plan / release run under the group's {@code allocLock}, which is never
 * held while a migration copies data; the copy itself takes the RStore's row locks and
 * {@code meta}. Lock order: this monitor is never held while taking {@code allocLock}.
 */
final class Rebuilder {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Rebuilder.class.getName());
    private final DiskGroupImpl group;
    private ExecutorService rebuildExec;
    private RebuildJob current;
    private RebuildJob resyncJob;
    private volatile boolean resyncPending;

    Rebuilder(DiskGroupImpl group) {
        this.group = group;
    }

    synchronized boolean rebuildInProgress() {
        return current != null && !current.isDone();
    }

    synchronized boolean resyncInProgress() {
        return resyncJob != null && !resyncJob.isDone();
    }

    Rebuild rebuild() {
        synchronized (this) {
            group.checkOpen();
            if (current != null && !current.isDone()) {
                current.rescan = true;
                return current;
            }
            if (rebuildExec == null) {
                rebuildExec = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "rebuild-" + group.name());
                    t.setDaemon(true);
                    return t;
                });
            }
            RebuildJob job = new RebuildJob(group.stats());
            current = job;
            rebuildExec.execute(() -> runRebuild(job));
            return job;
        }
    }

    /**
     * Starts the redundancy resync run after an unclean shutdown (see
     * {@link RStoreImpl#resync}); rebuilds queue behind it. Progress and completion as for a
     * rebuild; {@link Rebuild#unrecoverable()} lists RStores with rows that were skipped.
     */
    Rebuild resync() {
        synchronized (this) {
            group.checkOpen();
            if (resyncJob != null && !resyncJob.isDone()) {
                return resyncJob;
            }
            if (rebuildExec == null) {
                rebuildExec = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "rebuild-" + group.name());
                    t.setDaemon(true);
                    return t;
                });
            }
            RebuildJob job = new RebuildJob(group.stats());
            resyncJob = job;
            resyncPending = true;
            rebuildExec.execute(() -> {
                Throwable failure = null;
                try {
                    List<RStoreImpl> list = new ArrayList<>();
                    int redundant = 0;
                    BitmapDescriptor.Image marks = group.intent().found();
                    for (RStoreImpl s : group.rstoreList()) {
                        if (s.level() != RaidLevel.RAID0) {
                            redundant++;
                            if (marks == null || marks.isSet(s.rsdId())) {
                                list.add(s);
                                job.addTotal(RStoreImpl.ROWS);
                            }
                        }
                    }
                    group.stats().resyncPlanned(list.size());
                    LOG.info("disk group " + group.name() + ": resync after an unclean stop: " + list.size() + " of "
                            + redundant + " RAID1/RAID5 RStores (" + (long) list.size() * RStoreImpl.ROWS + " rows) "
                            + (marks == null ? "- full resync: " + group.intent().problem()
                            : "marked in the write-intent bitmap (sequence " + marks.sequence() + ")"));
                    for (RStoreImpl s : list) {
                        if (group.isClosed()) {
                            return;
                        }
                        if (!s.isFreed() && !s.resync(b -> job.rowDone())) {
                            job.unrecoverable(s.rsdId());
                        }
                    }
                    if (!group.isClosed()) {
                        resyncPending = false;
                        group.intent().allowClearing();
                    }
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    job.finish(failure);
                }
            });
            return job;
        }
    }

    /** The last resync job started, or null. */
    synchronized Rebuild lastResync() {
        return resyncJob;
    }

    /** True while a resync after an unclean shutdown has not completed. */
    boolean resyncPending() {
        return resyncPending;
    }

    private boolean lost(int drive) {
        Drive d = group.drive(drive);
        return d == null || !d.isAvailable();
    }

    /**
     * Members of {@code r} needing work: a mask, 0 for none, -1 if the RStore cannot be repaired.
     * {@code inPlace} receives the subset that is rebuilt where it is.
     */
    private int workMask(Rsd r, int[] inPlace) {
        int mask = 0;
        int place = 0;
        boolean bad = false;
        int n = r.members();
        switch (r.level()) {
            case RAID0 -> {
                for (int m = 0; m < n; m++) {
                    if (lost(r.drive(m))) {
                        bad = true;
                    } else if (group.isEvacuating(r.drive(m))) {
                        mask |= 1 << m;
                    }
                }
            }
            case RAID1 -> {
                for (int k = 0; k < n / 2; k++) {
                    int a = 2 * k;
                    int b = a + 1;
                    boolean goodA = !lost(r.drive(a)) && !r.isStale(a);
                    boolean goodB = !lost(r.drive(b)) && !r.isStale(b);
                    boolean move = lost(r.drive(a)) || lost(r.drive(b)) || group.isEvacuating(r.drive(a))
                            || group.isEvacuating(r.drive(b));
                    if (!goodA && !goodB) {
                        bad = true;
                    } else if (move) {
                        mask |= (1 << a) | (1 << b);
                    } else if (!goodA || !goodB) {
                        int s = goodA ? b : a;
                        mask |= 1 << s;
                        place |= 1 << s;
                    }
                }
            }
            case RAID5 -> {
                int badMask = 0;
                int evac = 0;
                for (int m = 0; m < n; m++) {
                    if (lost(r.drive(m)) || r.isStale(m)) {
                        badMask |= 1 << m;
                    } else if (group.isEvacuating(r.drive(m))) {
                        evac |= 1 << m;
                    }
                }
                if (Integer.bitCount(badMask) > 1) {
                    bad = true;
                } else if (badMask != 0) {
                    mask = badMask;
                    int m = Integer.numberOfTrailingZeros(badMask);
                    if (!lost(r.drive(m)) && !group.isEvacuating(r.drive(m))) {
                        place = badMask;
                    }
                } else if (evac != 0) {
                    mask = Integer.lowestOneBit(evac);
                }
            }
            default -> throw new IllegalStateException();
        }
        inPlace[0] = place;
        if (bad && mask == 0) {
            return -1;
        }
        return mask;
    }


    private void runRebuild(RebuildJob job) {
        Throwable failure = null;
        while (true) {
            try {
                rebuildPasses(job);
            } catch (Throwable t) {
                failure = t;
            }
            synchronized (this) {
                // rebuild() sets rescan under this lock only while the job is not done: no lost request
                if (failure != null || group.isClosed() || !job.rescan) {
                    job.finish(failure);
                    return;
                }
            }
        }
    }

    private void rebuildPasses(RebuildJob job) {
        for (int pass = 0; pass < 100 && !group.isClosed(); pass++) {
            job.rescan = false;
            List<RStoreImpl> list = group.rstoreList();
            list.sort((x, y) -> Long.compare(x.rsdId(), y.rsdId()));
            int[] place = new int[1];
            synchronized (group.allocLock()) {
                for (RStoreImpl s : list) {
                    int mask = workMask(s.rsd(), place);
                    if (mask > 0) {
                        job.addTotal((long) Integer.bitCount(mask) * RStoreImpl.ROWS);
                    }
                }
            }
            boolean progress = false;
            for (RStoreImpl s : list) {
                if (group.isClosed()) {
                    return;
                }
                int[][] target;
                int mask;
                int inPlace;
                Rsd before;
                synchronized (group.allocLock()) {
                    if (s.isFreed()) {
                        continue;
                    }
                    before = s.rsd();
                    mask = workMask(before, place);
                    if (mask == 0) {
                        job.recovered(s.rsdId());
                        continue;
                    }
                    if (mask < 0) {
                        job.unrecoverable(s.rsdId());
                        continue;
                    }
                    inPlace = place[0];
                    target = group.plan(before, mask, inPlace);
                    if (target == null) {
                        job.unrecoverable(s.rsdId());
                        continue;
                    }
                }
                long[] released = s.rebuild(mask, target[0], target[1], bytes -> job.rowDone());
                synchronized (group.allocLock()) {
                    if (released == null) {
                        for (int m = 0; m < before.members(); m++) {
                            if ((mask & ~inPlace & (1 << m)) != 0) {
                                group.releaseLocked(PsegAddress.encode(target[0][m], target[1][m]), 0, 0);
                            }
                        }
                        if (!s.isFreed()) {
                            job.unrecoverable(s.rsdId());
                        }
                    } else {
                        for (long a : released) {
                            if (a != PsegAddress.NONE) {
                                group.releaseLocked(a, RsdDescriptor.KIND_RELEASED, s.rsdId());
                            }
                        }
                        job.memberDone(Integer.bitCount(mask));
                        job.recovered(s.rsdId());
                        progress = true;
                    }
                }
            }
            if (!progress && !job.rescan) {
                return;
            }
        }
    }

    /** The resync and rebuild lines of {@link DiskGroupImpl#describe}. */
    synchronized void describe(StringBuilder b) {
        if (resyncJob != null) {
            b.append("  resync after unclean shutdown: ").append(resyncJob).append('\n');
        }
        if (current != null) {
            b.append("  ").append(current).append('\n');
        }
    }

    /** Stops the executor (waits up to 30 s for a running job); the group is already marked closed. */
    void close() {
        ExecutorService ex;
        synchronized (this) {
            ex = rebuildExec;
        }
        if (ex != null) {
            ex.shutdown();
            try {
                if (!ex.awaitTermination(30, TimeUnit.SECONDS)) {
                    ex.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
