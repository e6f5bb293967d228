package io.evasan.nsc.cell.drill;

import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.Records;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cell's finished drills, kept as named records {@code drill/<id>} ({@link DrillReportDescriptor}) so the history
 * outlives the appliance. Invariant: a report is in {@link #all} only once it is stored (when a store is given);
 * storing a report again with the same id replaces it (a first-I/O time learned later). A damaged record is
 * skipped at load (logged), never fatal: the history is a report, not state the data path depends on.
 */
public final class DrillHistory {
    public static final String KIND = "drill";
    private static final System.Logger LOG = System.getLogger(DrillHistory.class.getName());

    private final Records store;
    private final Map<Long, DrillReport> byId = new TreeMap<>();

    /** Loads what {@code store} holds; {@code store} null keeps the history in memory only (a cell without MLD). */
    public DrillHistory(Records store) {
        this.store = store;
        if (store != null) {
            for (String key : store.keys(KIND)) {
                store.get(KIND, key).ifPresent(b -> {
                    try {
                        DrillReport r = DrillReportDescriptor.decode(b);
                        byId.put(r.id(), r);
                    } catch (io.evasan.error.StorageException e) {
                        LOG.log(System.Logger.Level.WARNING, "drill record " + key + " skipped: " + e.getMessage());
                    }
                });
            }
        }
    }

    /** The record key of drill {@code id}: zero-padded, so keys sort as ids do. */
    static String key(long id) {
        return String.format("%020d", id);
    }

    /** Stores {@code r} (durably first), unless the same report is stored already. */
    public synchronized void save(DrillReport report) {
        DrillReport r = DrillReportDescriptor.decode(DrillReportDescriptor.encode(report));   // as stored
        if (r.equals(byId.get(r.id()))) {
            return;
        }
        if (store != null) {
            store.put(KIND, key(r.id()), DrillReportDescriptor.encode(r));
        }
        byId.put(r.id(), r);
    }

    /** Whether drill {@code id} is stored exactly as {@code r}. */
    public synchronized boolean holds(DrillReport r) {
        return DrillReportDescriptor.decode(DrillReportDescriptor.encode(r)).equals(byId.get(r.id()));
    }

    /** The largest id stored (0: none). */
    public synchronized long lastId() {
        return byId.isEmpty() ? 0 : ((TreeMap<Long, DrillReport>) byId).lastKey();
    }

    /**
     * Completes the newest report on {@code target} still {@linkplain DrillReport#started() started} with the
     * survivor's {@code times}, durably; empty (nothing changed) when there is none.
     */
    public synchronized java.util.Optional<DrillReport> completeStarted(io.evasan.nsc.api.NscId target,
                                                                        TakeoverTimes times) {
        DrillReport found = null;
        for (DrillReport r : byId.values()) {
            if (r.started() && r.target() == target) {
                found = r;
            }
        }
        if (found == null) {
            return java.util.Optional.empty();
        }
        DrillReport done = times.complete(found);
        save(done);
        return java.util.Optional.of(byId.get(done.id()));
    }

    /** Every stored report, oldest (lowest id) first. */
    public synchronized List<DrillReport> all() {
        return new ArrayList<>(byId.values());
    }
}
