package io.evasan.nsc.cell.pair;

import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.Records;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which controller owns each unit. Invariant: a change is written to the store (the MLD's named records, so also a
 * record for the partner) before it is visible here, so after any crash the stored table is at least as new as
 * anything a cache acted on; a unit is given an owner (the less loaded live controller) the first time it is
 * routed, before its first write enters a cache.
 */
final class OwnershipTable {
    static final String KIND = "lun-owner";

    private final Records store;
    private final Map<Integer, LunOwnership> byUnit = new ConcurrentHashMap<>();
    /** Told (on its own thread, never under a caller's lock) after each change; null: nobody. */
    private volatile Runnable onChange;
    /** Told the unit at once (under this table's lock) after each stored change or removal; null: nobody. */
    private volatile java.util.function.IntConsumer onUnitChange;

    /** Loads what {@code store} holds; {@code store} null keeps the table in memory only (tests). */
    OwnershipTable(Records store) {
        this.store = store;
        if (store != null) {
            for (String key : store.keys(KIND)) {
                int unit = Integer.parseInt(key);
                store.get(KIND, key).ifPresent(b -> byUnit.put(unit, OwnershipDescriptor.decode(unit, b)));
            }
        }
    }

    void onChange(Runnable r) {
        this.onChange = r;
    }

    /**
     * {@code l} learns each unit whose record was put or removed, right after the change and before the caller goes
     * on (the router re-reads the unit's owner); it runs under this table's lock, so it must not call back into it
     * except through the lock-free {@link #get}.
     */
    void onUnitChange(java.util.function.IntConsumer l) {
        this.onUnitChange = l;
    }

    LunOwnership get(int unit) {
        return byUnit.get(unit);
    }

    /**
     * The unit's ownership, assigning {@code choose}'s controller (no preference) if it has none yet. The assignment
     * is stored but not announced: {@code choose} is the default hosts were already shown for an unassigned unit.
     */
    LunOwnership getOrAssign(int unit, java.util.function.IntFunction<NscId> choose) {
        LunOwnership o = byUnit.get(unit);
        if (o != null) {
            return o;
        }
        synchronized (this) {
            o = byUnit.get(unit);
            if (o == null) {
                o = new LunOwnership(unit, choose.apply(unit), null, FailoverMode.NO_PREFERENCE);
                store(o);
            }
            return o;
        }
    }

    synchronized void put(LunOwnership o) {
        if (o.equals(byUnit.get(o.unitId()))) {
            return;
        }
        store(o);
        unitChanged(o.unitId());
        Runnable r = onChange;
        if (r != null) {
            r.run();
        }
    }

    private void store(LunOwnership o) {
        if (store != null) {
            store.put(KIND, Integer.toString(o.unitId()), OwnershipDescriptor.encode(o));
        }
        byUnit.put(o.unitId(), o);
    }

    synchronized void remove(int unit) {
        if (store != null) {
            store.remove(KIND, Integer.toString(unit));
        }
        byUnit.remove(unit);
        unitChanged(unit);
    }

    private void unitChanged(int unit) {
        java.util.function.IntConsumer l = onUnitChange;
        if (l != null) {
            l.accept(unit);
        }
    }

    /** Every unit's ownership, by unit id. */
    List<LunOwnership> all() {
        List<LunOwnership> out = new ArrayList<>(byUnit.values());
        out.sort(Comparator.comparingInt(LunOwnership::unitId));
        return out;
    }

    /** Units owned by {@code nsc}, ascending. */
    List<Integer> ownedBy(NscId nsc) {
        List<Integer> out = new ArrayList<>();
        for (LunOwnership o : all()) {
            if (o.owner() == nsc) {
                out.add(o.unitId());
            }
        }
        return out;
    }
}
