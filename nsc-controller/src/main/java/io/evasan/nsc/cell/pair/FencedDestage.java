package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.marker.SnapshotAction;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntPredicate;

/**
 * One controller's way into the shared backend (its cache destages and fires markers through it), with the fence
 * its partner closes before taking its units over.
 *
 * <p>Invariants: once {@link #fence} has returned, no write, flush or snapshot of this controller reaches the
 * backend, and none is under way (a fenced attempt fails with BUSY, which a cache retries and never counts as data
 * loss). While the controller's cache replays its log at open ({@link #replayOnly}), writes and markers of units
 * the controller does not own are dropped: the partner took those over (a planned move destages them first, a
 * failover replays the partner's mirror), so replaying them would put stale data over newer. With a quorum lease
 * ({@link PairLease}) every write, flush and snapshot also needs the controller's permission at that moment.
 */
final class FencedDestage implements DestageTarget, SnapshotAction {
    private final DestageTarget target;
    private final SnapshotAction action;
    private final String name;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private volatile boolean fenced;
    private volatile IntPredicate replayOwned;
    private volatile long droppedAtReplay;
    /** The quorum-lease permission asked before every backend change; null: none (a cell without a lease). */
    private final io.evasan.mld.lease.Fence permit;
    private final long permitWaitMillis;

    FencedDestage(String name, DestageTarget target, SnapshotAction action) {
        this(name, target, action, null, 0);
    }

    /**
     * @param permit          asked before every write, flush and snapshot; a refusal is BUSY (retried by the cache,
     *                        never data loss)
     * @param permitWaitMillis how long a snapshot waits for the permission before it fails (writes do not wait: the
     *                        cache retries them)
     */
    FencedDestage(String name, DestageTarget target, SnapshotAction action, io.evasan.mld.lease.Fence permit,
                  long permitWaitMillis) {
        this.name = name;
        this.target = target;
        this.action = action;
        this.permit = permit;
        this.permitWaitMillis = permitWaitMillis;
    }

    /** From now until {@link #replayDone}: drop what {@code owned} rejects. */
    void replayOnly(IntPredicate owned) {
        this.replayOwned = owned;
    }

    void replayDone() {
        this.replayOwned = null;
    }

    long droppedAtReplay() {
        return droppedAtReplay;
    }

    /** Closes the fence, waiting for a backend call under way to finish. */
    void fence() {
        rw.writeLock().lock();
        try {
            fenced = true;
        } finally {
            rw.writeLock().unlock();
        }
    }

    boolean fenced() {
        return fenced;
    }

    private void enter() {
        rw.readLock().lock();
        if (fenced) {
            rw.readLock().unlock();
            throw new StorageException(ErrorCode.BUSY, "controller " + name + " is fenced: its partner owns its units");
        }
        io.evasan.mld.lease.Fence p = permit;
        if (p != null && !p.mayWrite()) {
            rw.readLock().unlock();
            String why;
            try {
                p.checkWrite("write shared storage");
                why = "controller " + name + " lost its write permission";
            } catch (RuntimeException e) {
                why = e.getMessage();
            }
            throw new StorageException(ErrorCode.BUSY, why);
        }
    }

    /** Waits (up to the permit wait) until the lease permits a change; returns at once when fenced or permitted. */
    private void awaitPermit() {
        io.evasan.mld.lease.Fence p = permit;
        if (p == null) {
            return;
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(permitWaitMillis);
        while (!fenced && !p.mayWrite() && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    @Override
    public long lunSizeBytes(int lunId) {
        return target.lunSizeBytes(lunId);
    }

    @Override
    public void write(int lunId, long byteOffset, ByteBuffer src) {
        IntPredicate r = replayOwned;
        if (r != null && !r.test(lunId)) {
            droppedAtReplay++;
            src.position(src.limit());
            return;
        }
        enter();
        try {
            target.write(lunId, byteOffset, src);
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        target.read(lunId, byteOffset, dst);
    }

    @Override
    public void flush(int lunId) {
        awaitPermit();   // not retried by the cache: wait out a brief loss of contact
        enter();
        try {
            target.flush(lunId);
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public void flushAll() {
        awaitPermit();   // not retried by the cache: wait out a brief loss of contact
        enter();
        try {
            target.flushAll();
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public void destageLost(int lunId, long byteOffset, long length, StorageException cause) {
        if (!fenced) {
            target.destageLost(lunId, byteOffset, length, cause);
        }
    }

    @Override
    public void takeSnapshot(SnapshotRequest request) {
        IntPredicate r = replayOwned;
        if (r != null) {
            for (int lun : request.lunIds()) {
                if (!r.test(lun)) {
                    droppedAtReplay++;
                    return;
                }
            }
        }
        awaitPermit();   // a snapshot is not retried: wait out a brief loss of contact instead of failing it
        enter();
        try {
            action.takeSnapshot(request);
        } finally {
            rw.readLock().unlock();
        }
    }
}
