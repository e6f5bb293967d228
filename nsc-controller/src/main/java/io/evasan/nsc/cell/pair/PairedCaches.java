package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.CachedItem;
import io.evasan.nsc.cache.WriteCache;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The cell's write cache as the controller's services see it: every call on a unit goes to the cache of the
 * controller that owns the unit ({@link OwnershipTable}); the partner's I/O for it (the active/non-optimized path)
 * is carried out by the owner's cache.
 *
 * <p>Invariants:
 * <ul>
 * <li>Each unit's writes and markers are in exactly one controller's cache at a time. An ownership change (a planned
 *     move or a takeover) runs under the exclusive side of {@code gate}, which every routed call holds shared, so no
 *     call straddles it; a move first drains the unit from the old owner's cache (writes destaged, markers fired).</li>
 * <li>A call whose owner is down (crashed or fenced, not yet taken over) waits for the takeover, up to
 *     {@code transitionMillis}, then gets BUSY; a write that the owner's crash interrupted before acknowledging it
 *     is carried out again on the new owner (the same bytes at the same place: the host has no acknowledgement yet,
 *     so no later write of its own can be ordered after it).</li>
 * <li>A call finds its unit's owner and serving cache in the unit's route ({@link UnitRoutes}: one volatile field,
 *     made at the unit's first call, changed with every ownership change and cache install), so a host read or write
 *     takes the gate shared and nothing else here: no look-up in the ownership table, no allocation.</li>
 * <li>A snapshot request naming units of both controllers is refused (INVALID_STATE): one marker orders the
 *     writes of one cache.</li>
 * <li>Every marker handed out is answered: fired by its cache, or, when its controller went down first, taken by
 *     the survivor's replay of the replica ({@link #replayedMarker}) or failed BUSY if the replica never held it
 *     ({@link #failMarkersNotReplayed}).</li>
 * </ul>
 */
public final class PairedCaches implements WriteCache {
    private final OwnershipTable table;
    /** Each unit's owner and serving cache (a unit routed the first time goes to the owner hosts were shown). */
    private final UnitRoutes routes;
    private final AtomicReferenceArray<WriteBackCache> caches = new AtomicReferenceArray<>(2);
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private final ReentrantLock changeLock = new ReentrantLock();
    private final Condition changed = changeLock.newCondition();
    private final long transitionNanos;
    private final int maxWriteBytes;
    /**
     * Snapshot markers handed out and not yet taken, by request id: a marker the owner's crash left in its
     * partner's replica is taken by the survivor, which completes the requester's {@code taken()} through here.
     */
    private final java.util.Map<Long, SnapshotMarker> markersInFlight = new java.util.concurrent.ConcurrentHashMap<>();
    /** Armed by a takeover ({@link #armFirstIo}); the first routed call that completes after it sets the time. */
    private final java.util.concurrent.atomic.AtomicLong firstIoNanos = new java.util.concurrent.atomic.AtomicLong(-1);
    /** When {@link #armFirstIo} was called: calls that entered before (carried over, or waiting) do not count. */
    private volatile long armedNanos;

    PairedCaches(OwnershipTable table, java.util.function.IntFunction<NscId> defaultOwner, long transitionMillis,
                 int maxWriteBytes) {
        this.table = table;
        this.routes = new UnitRoutes(table, defaultOwner);
        this.transitionNanos = TimeUnit.MILLISECONDS.toNanos(transitionMillis);
        this.maxWriteBytes = maxWriteBytes;
    }

    // ------------------------------------------------------------------ for the pair

    /** The serving cache of {@code nsc}, or null while it is down. */
    WriteBackCache cache(NscId nsc) {
        return caches.get(nsc.ordinal());
    }

    /** {@code nsc} serves through {@code cache} (null: it is down). Wakes calls waiting for a takeover. */
    void install(NscId nsc, WriteBackCache cache) {
        caches.set(nsc.ordinal(), cache);
        routes.install(nsc, cache);
        signal();
    }

    /** Runs {@code change} with no routed call under way (the exclusive side of the gate), then wakes waiters. */
    <T> T exclusive(java.util.function.Supplier<T> change) {
        gate.writeLock().lock();
        try {
            return change.get();
        } finally {
            gate.writeLock().unlock();
            signal();
        }
    }

    private void signal() {
        changeLock.lock();
        try {
            changed.signalAll();
        } finally {
            changeLock.unlock();
        }
    }

    /**
     * From now, remember when the next routed call that enters from now on completes (the first host I/O served
     * after a takeover: a call carried over from the dead owner may have lost its host with the owner's ports).
     */
    void armFirstIo() {
        armedNanos = System.nanoTime();
        firstIoNanos.set(0);
    }

    /** When the first routed call after {@link #armFirstIo} completed ({@code System.nanoTime()}), or -1 / 0. */
    long firstIoNanos() {
        return firstIoNanos.get();
    }

    OwnershipTable table() {
        return table;
    }

    // ------------------------------------------------------------------ routing

    /** A routed call on one unit (the rare kinds; reads and writes have loops of their own); {@code c}: the owner's cache. */
    @FunctionalInterface
    private interface Call<T> {
        T on(WriteBackCache c);
    }

    /**
     * Runs {@code call} on the owner's cache with the gate held shared; waits for a takeover while the owner is
     * down; carries the call over to the new owner if the owner crashed under it.
     */
    private <T> T route(int unit, Call<T> call) {
        long entered = System.nanoTime();
        while (true) {
            WriteBackCache c = enter(unit, entered);
            try {
                T r = call.on(c);
                served(entered);
                return r;
            } catch (StorageException e) {
                carryOver(c, e);
            } finally {
                gate.readLock().unlock();
            }
        }
    }

    /**
     * Takes the gate shared and returns the unit's serving cache, up; while its owner is down, waits (the gate
     * released) for a takeover until {@code transitionNanos} after {@code entered}, then fails BUSY. The caller
     * releases the gate. A unit routed the first time gets its owner here, under the gate (a takeover then sees it).
     */
    private WriteBackCache enter(int unit, long entered) {
        while (true) {
            gate.readLock().lock();
            UnitRoutes.Unit u;
            WriteBackCache c;
            try {
                u = routes.unit(unit);
                c = routes.route(u).cache;
            } catch (RuntimeException e) {
                gate.readLock().unlock();
                throw e;
            }
            if (c != null && !c.halted()) {
                return c;
            }
            gate.readLock().unlock();
            awaitChange(u, c, entered + transitionNanos);
        }
    }

    /** A call that entered at {@code entered} completed: the first after {@link #armFirstIo} sets the time. */
    private void served(long entered) {
        if (firstIoNanos.get() == 0 && entered - armedNanos >= 0) {   // a call that arrived after the takeover
            firstIoNanos.compareAndSet(0, System.nanoTime());
        }
    }

    /** {@code e} ends the call unless {@code c}'s controller crashed under it: then it is carried over (returns). */
    private static void carryOver(WriteBackCache c, StorageException e) {
        if (!c.halted()) {
            throw e;
        }
    }

    private void awaitChange(UnitRoutes.Unit u, WriteBackCache down, long deadline) {
        changeLock.lock();
        try {
            while (true) {
                UnitRoutes.Route r = u.route;
                if (r == null || r.cache != null && r.cache != down && !r.cache.halted()) {
                    return;   // a new cache serves the unit (or its record went: the next call assigns one)
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new StorageException(ErrorCode.BUSY, "unit " + u.id + ": its controller is down and no "
                            + "partner has taken it over yet");
                }
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.BUSY, "interrupted while unit " + u.id + " changed controllers");
        } finally {
            changeLock.unlock();
        }
    }

    @Override
    public long write(int initiatorId, int lunId, long byteOffset, ByteBuffer src, boolean fua) {
        long entered = System.nanoTime();
        int pos = src.position();
        while (true) {
            WriteBackCache c = enter(lunId, entered);
            try {
                long seq = c.write(initiatorId, lunId, byteOffset, src, fua);
                served(entered);
                return seq;
            } catch (StorageException e) {
                carryOver(c, e);
                src.position(pos);   // the same bytes again, on the new owner
            } finally {
                gate.readLock().unlock();
            }
        }
    }

    @Override
    public long tryWrite(int initiatorId, int lunId, long byteOffset, ByteBuffer src) {
        long entered = System.nanoTime();
        int pos = src.position();
        while (true) {
            WriteBackCache c = enter(lunId, entered);
            try {
                long seq = c.tryWrite(initiatorId, lunId, byteOffset, src);
                served(entered);
                return seq;
            } catch (StorageException e) {
                carryOver(c, e);
                src.position(pos);
            } finally {
                gate.readLock().unlock();
            }
        }
    }

    @Override
    public CompletableFuture<Void> whenSpaceFor(int bytes) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                all.add(c.whenSpaceFor(bytes));
            }
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture[0]));
    }

    @Override
    public void read(int lunId, long byteOffset, ByteBuffer dst) {
        long entered = System.nanoTime();
        int pos = dst.position();
        while (true) {
            WriteBackCache c = enter(lunId, entered);
            try {
                c.read(lunId, byteOffset, dst);
                served(entered);
                return;
            } catch (StorageException e) {
                carryOver(c, e);
                dst.position(pos);
            } finally {
                gate.readLock().unlock();
            }
        }
    }

    @Override
    public void synchronize(int lunId, long byteOffset, long length) {
        route(lunId, c -> {
            c.synchronize(lunId, byteOffset, length);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> synchronizeAsync(int lunId, long byteOffset, long length) {
        return route(lunId, c -> c.synchronizeAsync(lunId, byteOffset, length));
    }

    @Override
    public void synchronizeAll() {
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                c.synchronizeAll();
            }
        }
    }

    @Override
    public SnapshotMarker insertMarker(SnapshotRequest request) {
        int[] units = request.lunIds();
        return route(units[0], c -> {
            NscId owner = table.get(units[0]).owner();
            for (int u : units) {
                if (table.getOrAssign(u, x -> owner).owner() != owner) {
                    throw new StorageException(ErrorCode.INVALID_STATE, "snapshot request " + request.name()
                            + " names units of both controllers (unit " + units[0] + " on " + owner + ", unit " + u
                            + " on " + owner.partner() + "): move them to one controller first");
                }
            }
            SnapshotMarker m = c.insertMarker(request);
            markersInFlight.put(request.requestId(), m);
            m.taken().whenComplete((r, e) -> markersInFlight.remove(request.requestId(), m));
            return m;
        });
    }

    /**
     * The survivor took (or failed to take, {@code failure} non-null) the snapshot of {@code request} while
     * replaying a dead owner's replica: the requester's marker learns it.
     */
    void replayedMarker(SnapshotRequest request, RuntimeException failure) {
        SnapshotMarker m = markersInFlight.remove(request.requestId());
        if (m == null) {
            return;
        }
        if (failure == null) {
            m.taken().complete(request);
        } else {
            m.taken().completeExceptionally(failure);
        }
    }

    /**
     * After a takeover replayed the replica of {@code dead} (halted, of controller {@code deadName}): each marker still
     * pending there whose requester was not answered by the replay was never in the replica (never acknowledged by
     * the partner), and nothing takes it later (the dead controller's log drops the units its partner took over): its
     * requester learns that it failed, BUSY, naming the snapshot and the controller.
     */
    void failMarkersNotReplayed(WriteBackCache dead, String deadName) {
        for (CachedItem it : dead.pendingItems()) {
            if (it.marker()) {
                replayedMarker(it.request(), new StorageException(ErrorCode.BUSY, "snapshot " + it.request().name()
                        + ": its marker was in " + deadName + "'s cache when " + deadName + " went down, and its "
                        + "partner's replica did not hold it: not taken (request it again)"));
            }
        }
    }

    @Override
    public void setInitiatorWeight(int initiatorId, int weight) {
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                c.setInitiatorWeight(initiatorId, weight);
            }
        }
    }

    @Override
    public long dirtyBytes() {
        long sum = 0;
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                sum += c.dirtyBytes();
            }
        }
        return sum;
    }

    @Override
    public long capacityBytes() {
        long sum = 0;
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                sum += c.capacityBytes();
            }
        }
        return sum;
    }

    @Override
    public List<CachedItem> pendingItems() {
        List<CachedItem> all = new ArrayList<>();
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                all.addAll(c.pendingItems());
            }
        }
        return all;
    }

    @Override
    public void pauseDestage() {
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                c.pauseDestage();
            }
        }
    }

    @Override
    public void resumeDestage() {
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                c.resumeDestage();
            }
        }
    }

    @Override
    public int maxWriteBytes() {
        return maxWriteBytes;
    }

    /** Closing is the pair's ({@link ControllerPair#close}): it drains both caches in order. */
    @Override
    public void close() {
        for (NscId n : NscId.values()) {
            WriteBackCache c = cache(n);
            if (c != null && !c.halted()) {
                c.close();
            }
        }
    }
}
