package io.evasan.scsi.lu.impl;

import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LunMasking;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * In-memory LUN presentation table: per-initiator maps of host LUN -> LU, plus a wildcard
 * initiator {@link #ALL} whose entries every initiator sees (an initiator-specific entry for
 * the same host LUN wins). Readers see immutable snapshots (lock-free lookup on the hot path).
 *
 * <p>Invariant: a host LUN maps to at most one LU per initiator; host LUNs are 0..16383.
 */
public final class PresentationTable implements LunMasking {
    public static final String ALL = "*";
    public static final int MAX_LUN = 16383;

    private final Object lock = new Object();
    private volatile Map<String, TreeMap<Integer, LogicalUnit>> table = Map.of();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Presents {@code lu} at {@code hostLun} to {@code initiatorName} (or {@link #ALL}). */
    public void present(String initiatorName, int hostLun, LogicalUnit lu) {
        if (hostLun < 0 || hostLun > MAX_LUN || lu == null) {
            throw new IllegalArgumentException("hostLun " + hostLun);
        }
        synchronized (lock) {
            Map<String, TreeMap<Integer, LogicalUnit>> copy = copy();
            copy.computeIfAbsent(initiatorName, k -> new TreeMap<>()).put(hostLun, lu);
            table = copy;
        }
        fire(initiatorName);
    }

    /** Removes a presentation; returns whether it existed. */
    public boolean unpresent(String initiatorName, int hostLun) {
        boolean removed;
        synchronized (lock) {
            Map<String, TreeMap<Integer, LogicalUnit>> copy = copy();
            TreeMap<Integer, LogicalUnit> m = copy.get(initiatorName);
            removed = m != null && m.remove(hostLun) != null;
            if (m != null && m.isEmpty()) {
                copy.remove(initiatorName);
            }
            table = copy;
        }
        if (removed) {
            fire(initiatorName);
        }
        return removed;
    }

    private Map<String, TreeMap<Integer, LogicalUnit>> copy() {
        Map<String, TreeMap<Integer, LogicalUnit>> copy = new HashMap<>();
        table.forEach((k, v) -> copy.put(k, new TreeMap<>(v)));
        return copy;
    }

    private void fire(String initiatorName) {
        String who = ALL.equals(initiatorName) ? null : initiatorName;
        for (Listener l : listeners) {
            l.presentationChanged(who);
        }
    }

    @Override
    public LogicalUnit lookup(String initiatorName, int hostLun) {
        Map<String, TreeMap<Integer, LogicalUnit>> t = table;
        TreeMap<Integer, LogicalUnit> m = t.get(initiatorName);
        LogicalUnit lu = m == null ? null : m.get(hostLun);
        if (lu == null) {
            TreeMap<Integer, LogicalUnit> all = t.get(ALL);
            lu = all == null ? null : all.get(hostLun);
        }
        return lu;
    }

    @Override
    public int[] visibleLuns(String initiatorName) {
        Map<String, TreeMap<Integer, LogicalUnit>> t = table;
        TreeMap<Integer, LogicalUnit> merged = new TreeMap<>();
        TreeMap<Integer, LogicalUnit> all = t.get(ALL);
        if (all != null) {
            merged.putAll(all);
        }
        TreeMap<Integer, LogicalUnit> m = t.get(initiatorName);
        if (m != null) {
            merged.putAll(m);
        }
        return merged.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public Collection<LogicalUnit> allUnits() {
        Map<LogicalUnit, Boolean> seen = new IdentityHashMap<>();
        for (TreeMap<Integer, LogicalUnit> m : table.values()) {
            for (LogicalUnit lu : m.values()) {
                seen.put(lu, Boolean.TRUE);
            }
        }
        return Collections.unmodifiableList(new ArrayList<>(seen.keySet()));
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(listener);
    }
}
