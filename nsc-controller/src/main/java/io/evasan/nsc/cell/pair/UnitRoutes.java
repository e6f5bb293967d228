package io.evasan.nsc.cell.pair;

import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cache.impl.WriteBackCache;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * Where each unit's host calls go: the unit's owner and that owner's serving cache together in one volatile field
 * per unit ({@link Unit#route}), made at the unit's first call, so a routed call finds its cache with no look-up in
 * the ownership table and no allocation.
 *
 * <p>Invariant: a unit's route is the {@link Route} of the owner the table stores for it, holding the cache last
 * {@link #install installed} for that owner (null while it is down), or null when the table has no record (the next
 * call assigns one). Every table change reaches the routes before its caller goes on ({@link OwnershipTable#onUnitChange})
 * and every install before {@link #install} returns; both run under {@code lock}, which also orders them against a
 * route's creation. The pair makes both kinds of change under the router's exclusive gate, so a call holding the
 * gate shared sees one route throughout.
 */
final class UnitRoutes {
    /** Unit ids below this are found by index; the others (not made by the mapping's allocator) by a map. */
    private static final int DENSE_LIMIT = 1 << 16;

    /** One controller's installed cache (null: down): shared by the routes of every unit it owns. */
    static final class Route {
        final NscId owner;
        final WriteBackCache cache;

        Route(NscId owner, WriteBackCache cache) {
            this.owner = owner;
            this.cache = cache;
        }
    }

    /** One unit's route holder, kept for the router's lifetime. */
    static final class Unit {
        final int id;
        volatile Route route;

        Unit(int id) {
            this.id = id;
        }
    }

    private final OwnershipTable table;
    private final IntFunction<NscId> defaultOwner;
    private final Object lock = new Object();
    /** Each controller's current route, by ordinal (guarded by lock). */
    private final Route[] installed = new Route[NscId.values().length];
    private volatile AtomicReferenceArray<Unit> dense = new AtomicReferenceArray<>(64);
    private final Map<Integer, Unit> sparse = new ConcurrentHashMap<>();

    UnitRoutes(OwnershipTable table, IntFunction<NscId> defaultOwner) {
        this.table = table;
        this.defaultOwner = defaultOwner;
        for (NscId id : NscId.values()) {
            installed[id.ordinal()] = new Route(id, null);
        }
        table.onUnitChange(this::refresh);
    }

    /** The unit's route holder, made at its first call (its owner assigned first if it has none). */
    Unit unit(int id) {
        Unit u = find(id);
        return u != null ? u : create(id);
    }

    /** The unit's route, its owner assigned again first if its record was removed. */
    Route route(Unit u) {
        while (true) {
            Route r = u.route;
            if (r != null) {
                return r;
            }
            table.getOrAssign(u.id, defaultOwner);
            refresh(u.id);
        }
    }

    /** From now on the units {@code nsc} owns go to {@code cache} (null: {@code nsc} is down, their calls wait). */
    void install(NscId nsc, WriteBackCache cache) {
        synchronized (lock) {
            Route r = new Route(nsc, cache);
            installed[nsc.ordinal()] = r;
            AtomicReferenceArray<Unit> d = dense;
            for (int i = 0; i < d.length(); i++) {
                repoint(d.get(i), r);
            }
            for (Unit u : sparse.values()) {
                repoint(u, r);
            }
        }
    }

    private static void repoint(Unit u, Route r) {
        if (u != null) {
            Route now = u.route;
            if (now != null && now.owner == r.owner) {
                u.route = r;
            }
        }
    }

    /** The table changed the unit's record: its route follows. */
    private void refresh(int id) {
        synchronized (lock) {
            Unit u = find(id);
            if (u != null) {
                point(u);
            }
        }
    }

    private void point(Unit u) {
        LunOwnership o = table.get(u.id);
        u.route = o == null ? null : installed[o.owner().ordinal()];
    }

    private Unit find(int id) {
        if (id >= 0 && id < DENSE_LIMIT) {
            AtomicReferenceArray<Unit> d = dense;
            return id < d.length() ? d.get(id) : null;
        }
        return sparse.get(id);
    }

    private Unit create(int id) {
        table.getOrAssign(id, defaultOwner);   // before the lock: the table's lock calls refresh, which takes it
        synchronized (lock) {
            Unit u = find(id);
            if (u != null) {
                return u;
            }
            u = new Unit(id);
            point(u);
            if (id >= 0 && id < DENSE_LIMIT) {
                AtomicReferenceArray<Unit> d = dense;
                if (id >= d.length()) {
                    AtomicReferenceArray<Unit> grown = new AtomicReferenceArray<>(
                            Math.min(DENSE_LIMIT, Math.max(id + 1, 2 * d.length())));
                    for (int i = 0; i < d.length(); i++) {
                        grown.set(i, d.get(i));
                    }
                    d = grown;
                }
                d.set(id, u);
                dense = d;
            } else {
                sparse.put(id, u);
            }
            return u;
        }
    }
}
