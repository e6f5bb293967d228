package io.evasan.nsc;

import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.marker.SnapshotMarker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Concurrent management model test (issue 11): several clients issue random create / delete / resize /
 * snapshot / snapclone / delete-snapshot / present / unpresent operations (host presentations to two
 * initiators) on a few overlapping names, at once. Afterwards, and after each restart:
 * <ul>
 * <li>the controller's catalogue change history ({@link Controller#addChangeListener}) is a valid serial
 *     execution: replayed in order over a model, every change's precondition holds there (names unique
 *     across LUNs and snapshots, a snapshot of an existing LUN at its size, a free host LUN, ...);</li>
 * <li>the model after the replay equals the state the controller reports (LUNs and sizes, snapshots with
 *     their LUN and size, presentations), and again after a restart;</li>
 * <li>the history holds exactly the successful state-changing operations the clients saw (each once,
 *     under the requested name), none of the refused ones; refusals are StorageExceptions only;</li>
 * <li>every restart succeeds and quarantines nothing.</li>
 * </ul>
 * Seeded: {@code -Devasan.seed=S}; length {@code -Devasan.steps=N} (operations per round, default 480,
 * 3 rounds). The seed is printed; a failure names the seed and the failing step.
 */
class ControllerConcurrentModelTest {
    private static final long MIB = 1L << 20;
    private static final int CLIENTS = 4;
    private static final int ROUNDS = 3;
    private static final String[] NAMES = {"n0", "n1", "n2", "n3", "n4", "n5"};
    private static final String[] INITIATORS = {"iqn.2026-01.test:h1", "iqn.2026-01.test:h2"};

    /** One client operation and what it got. */
    record Step(int index, int client, String op, String name, String lun, long size, String initiator, int hostLun,
                String outcome, boolean changed) {
        @Override
        public String toString() {
            return "#" + index + " client " + client + " " + op + " " + name + (lun != null ? " of " + lun : "")
                    + (size > 0 ? " size " + size : "") + (initiator != null ? " " + initiator + "/" + hostLun : "") + " -> " + outcome;
        }
    }

    @Test
    void shouldKeepOneSerialHistoryUnderConcurrentManagementOperations() throws Exception {
        long seed = Long.getLong("evasan.seed", new Random().nextLong());
        int steps = Integer.getInteger("evasan.steps", 480);
        System.out.println("ControllerConcurrentModelTest seed " + seed + " steps " + steps
                + " (rerun: -Devasan.seed=" + seed + " -Devasan.steps=" + steps + ")");
        Random seeds = new Random(seed);
        // destage throttled: a host writer keeps data cached, so markers wait in the cache while other clients act
        try (Nsc n = new Nsc("cmd-model", c -> c.cache().destageBytesPerSecond(32L << 20))) {
            Model model = new Model();
            int index = 0;
            for (int round = 0; round < ROUNDS; round++) {
                List<CatalogChange> history = Collections.synchronizedList(new ArrayList<>());
                n.ctl.commandLog().subscribe(new Changes(n.ctl, history));
                List<Step> log = Collections.synchronizedList(new ArrayList<>());
                ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
                List<Future<?>> clients = new ArrayList<>();
                int per = Math.max(1, steps / CLIENTS);
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    long clientSeed = seeds.nextLong();
                    int first = index + c * per;
                    clients.add(pool.submit(() -> {
                        Random r = new Random(clientSeed);
                        for (int i = 0; i < per; i++) {
                            log.add(step(n.ctl, r, first + i, client));
                        }
                        return null;
                    }));
                }
                index += CLIENTS * per;
                java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
                long writerSeed = seeds.nextLong();
                Future<?> writer = pool.submit(() -> {
                    Random r = new Random(writerSeed);
                    byte[] data = new byte[64 * 1024];
                    while (writing.get()) {
                        r.nextBytes(data);
                        try {
                            io.evasan.scsi.lu.LogicalUnit lu = n.ctl.logicalUnit(NAMES[r.nextInt(NAMES.length)]);
                            lu.write(r.nextInt(16) * 128L, 128, java.nio.ByteBuffer.wrap(data), false);
                        } catch (StorageException | io.evasan.scsi.lu.LuException e) {
                            // no such LUN, being deleted or resized, or beyond its end: a host gets an error too
                        }
                    }
                    return null;
                });
                pool.shutdown();
                try {
                    for (Future<?> f : clients) {
                        f.get(120, TimeUnit.SECONDS);
                    }
                    writing.set(false);
                    writer.get(120, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("seed " + seed + ": round " + round + " did not finish in 120 s (deadlock?); last steps "
                            + tail(log) + "\n" + threadDump());
                } catch (ExecutionException e) {
                    fail("seed " + seed + ": round " + round + ": " + e.getCause() + "; last steps " + tail(log), e.getCause());
                }
                String where = "seed " + seed + " round " + round;
                long ok = log.stream().filter(Step::changed).count();
                long raced = log.stream().filter(x -> x.outcome().contains("was deleted before snapshot")).count();
                System.out.println(where + ": " + log.size() + " steps, " + ok + " succeeded, " + raced
                        + " snapshot markers outlived their LUN, " + history.size() + " changes in the history");
                model.replay(history, where, log);
                checkClients(log, history, where);
                model.check(n.ctl, where + " (before restart)");
                n.reopen();
                if (!n.ctl.quarantine().isEmpty()) {
                    fail(where + ": the restart quarantined " + n.ctl.quarantine());
                }
                model.check(n.ctl, where + " (after restart)");
            }
        }
    }

    private static Step step(Controller ctl, Random r, int index, int client) {
        String name = NAMES[r.nextInt(NAMES.length)];
        String other = NAMES[r.nextInt(NAMES.length)];
        long size = (1 + r.nextInt(3)) * MIB;
        String init = INITIATORS[r.nextInt(INITIATORS.length)];
        int hostLun = r.nextInt(3);
        int op = r.nextInt(104);
        try {
            if (op >= 100) {   // a destage stall (slow back end): markers queue while the other clients act
                ctl.cache().pauseDestage();
                try {
                    Thread.sleep(2 + r.nextInt(10));
                } finally {
                    ctl.cache().resumeDestage();
                }
                return new Step(index, client, "STALL", "-", null, 0, null, -1, "stalled", false);
            }
            if (op < 18) {
                ctl.createLun(name, size);
                return new Step(index, client, "CREATE_LUN", name, null, size, null, -1, "ok", true);
            } else if (op < 28) {
                ctl.deleteLun(name, true);   // forced: the model deletes LUNs with snapshots
                return new Step(index, client, "DELETE_LUN", name, null, 0, null, -1, "ok", true);
            } else if (op < 38) {
                ctl.resizeLun(name, size, true);   // to the size it has already: succeeds without a change (history may lack it)
                return new Step(index, client, "RESIZE_LUN", name, null, size, null, -1, "ok", true);
            } else if (op < 60) {
                boolean clone = op >= 54;
                SnapshotMarker m = ctl.snapshot(other, name, clone);
                try {
                    m.taken().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof StorageException s ? s : new IllegalStateException(e.getCause());
                }
                return new Step(index, client, clone ? "SNAPCLONE" : "SNAPSHOT", name, other, 0, null, -1, "ok", true);
            } else if (op < 70) {
                ctl.deleteSnapshot(name);
                return new Step(index, client, "DELETE_SNAPSHOT", name, null, 0, null, -1, "ok", true);
            } else if (op < 82) {
                if (r.nextBoolean()) {
                    ctl.presentLun(init, hostLun, name);
                } else {
                    ctl.presentSnapshot(init, hostLun, name);
                }
                return new Step(index, client, "PRESENT", name, null, 0, init, hostLun, "ok", true);
            } else if (op < 94) {
                boolean had = ctl.unpresentLun(init, hostLun);
                return new Step(index, client, "UNPRESENT", "*", null, 0, init, hostLun, had ? "ok" : "nothing", had);
            } else {
                boolean had = ctl.unpresentSnapshot(init, hostLun, name);
                return new Step(index, client, "UNPRESENT_SNAPSHOT", name, null, 0, init, hostLun, had ? "ok" : "nothing", had);
            }
        } catch (StorageException e) {
            return new Step(index, client, "op" + op, name, other, size, init, hostLun, e.code().name() + ": " + e.getMessage(), false);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("step " + index + " (client " + client + "): a snapshot marker was not taken in 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (RuntimeException e) {
            throw new AssertionError("step " + index + " (client " + client + ", op " + op + " " + name + "): not a"
                    + " StorageException: " + e, e);
        }
    }

    /**
     * Every successful state-changing client operation is in the history exactly once (by op and name),
     * and nothing else is: refused operations changed nothing. Presents and resizes may succeed without a
     * change (same slot, same size), so the history holds at most as many of them as succeeded.
     */
    private static void checkClients(List<Step> log, List<CatalogChange> history, String where) {
        Map<String, Integer> seen = new TreeMap<>();
        Map<String, Integer> done = new TreeMap<>();
        for (CatalogChange c : history) {
            String key = c.op() == CatalogChange.Op.UNPRESENT ? "UNPRESENT " + c.initiator() + "/" + c.hostLun()
                    : c.op() + " " + c.name() + (c.lun() != null ? " of " + c.lun() : "");
            seen.merge(key, 1, Integer::sum);
        }
        for (Step s : log) {
            if (!s.outcome().equals("ok") && !s.outcome().equals("nothing")) {
                continue;
            }
            String key = key(s);
            if (s.changed()) {
                done.merge(key, 1, Integer::sum);
            }
        }
        for (String k : new java.util.TreeSet<>(union(seen.keySet(), done.keySet()))) {
            int h = seen.getOrDefault(k, 0);
            int c = done.getOrDefault(k, 0);
            boolean mayBeFewer = k.startsWith("PRESENT ") || k.startsWith("RESIZE_LUN ");
            if (mayBeFewer ? h > c : h != c) {
                List<Step> related = new ArrayList<>();
                for (Step s : log) {
                    if (s.changed() && key(s).equals(k)) {
                        related.add(s);
                    }
                }
                fail(where + ": the history holds " + h + " x " + k + " but the clients saw " + c + " succeed; failing steps "
                        + related + "\nhistory " + history);
            }
        }
    }

    /** A step's key in the history: op and name, the source LUN of a snapshot, the slot of an unpresent. */
    private static String key(Step s) {
        return s.op().startsWith("UNPRESENT") ? "UNPRESENT " + s.initiator() + "/" + s.hostLun()
                : s.op() + " " + s.name() + (s.op().startsWith("SNAP") ? " of " + s.lun() : "");
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }

    /** A cell record as the serial model checks it: operation, names, size, slot. */
    record CatalogChange(long seq, Op op, String name, String lun, long sizeBytes, String initiator, int hostLun) {
        enum Op { CREATE_LUN, DELETE_LUN, RESIZE_LUN, SNAPSHOT, SNAPCLONE, DELETE_SNAPSHOT, PRESENT, UNPRESENT, OTHER }
    }

    /** Turns the controller's cell records into {@link CatalogChange}s (runs under the log's lock: no call back). */
    static final class Changes implements java.util.function.Consumer<io.evasan.nsc.api.CellRecord.Committed> {
        private final Map<Integer, String> lunNames = new HashMap<>();
        private final List<CatalogChange> out;

        Changes(Controller ctl, List<CatalogChange> out) {
            for (LunRecord r : ctl.listLuns()) {
                lunNames.put(r.id(), r.name());
            }
            this.out = out;
        }

        @Override
        public void accept(io.evasan.nsc.api.CellRecord.Committed c) {
            long q = c.seq();
            io.evasan.nsc.api.CellRecord rec = c.record();
            CatalogChange x;
            if (rec instanceof io.evasan.nsc.api.CellRecord.LunCreated r) {
                lunNames.put(r.id(), r.name());
                x = new CatalogChange(q, CatalogChange.Op.CREATE_LUN, r.name(), null, r.sizeBytes(), null, -1);
            } else if (rec instanceof io.evasan.nsc.api.CellRecord.LunDeleted r) {
                x = new CatalogChange(q, CatalogChange.Op.DELETE_LUN, r.name(), null, 0, null, -1);
            } else if (rec instanceof io.evasan.nsc.api.CellRecord.LunResized r) {
                x = new CatalogChange(q, CatalogChange.Op.RESIZE_LUN, r.name(), null, r.sizeBytes(), null, -1);
            } else if (rec instanceof io.evasan.nsc.api.CellRecord.SnapshotTaken r) {
                x = new CatalogChange(q, r.snapclone() ? CatalogChange.Op.SNAPCLONE : CatalogChange.Op.SNAPSHOT, r.name(),
                        lunNames.get(r.lunId()), r.sizeBytes(), null, -1);
            } else if (rec instanceof io.evasan.nsc.api.CellRecord.SnapshotDeleted r) {
                x = new CatalogChange(q, CatalogChange.Op.DELETE_SNAPSHOT, r.name(), null, 0, null, -1);
            } else if (rec instanceof io.evasan.nsc.api.CellRecord.Presented r) {
                x = new CatalogChange(q, CatalogChange.Op.PRESENT, r.name(), null, 0, r.initiator(), r.hostLun());
            } else if (rec instanceof io.evasan.nsc.api.CellRecord.Unpresented r) {
                x = new CatalogChange(q, CatalogChange.Op.UNPRESENT, r.name(), null, 0, r.initiator(), r.hostLun());
            } else {
                x = new CatalogChange(q, CatalogChange.Op.OTHER, rec.type().name(), null, 0, null, -1);
            }
            out.add(x);
        }
    }

    /** The serial model: LUN name to size, snapshot name to (LUN, size, clone), slot to unit name. */
    static final class Model {
        final Map<String, Long> luns = new TreeMap<>();
        final Map<String, String> snapLun = new TreeMap<>();
        final Map<String, Long> snapSize = new TreeMap<>();
        final Map<String, String> slots = new TreeMap<>();

        void replay(List<CatalogChange> history, String where, List<Step> log) {
            long last = 0;
            for (CatalogChange c : history) {
                String why = apply(c);
                if (c.seq() != last + 1) {
                    why = "history out of order (seq " + c.seq() + " after " + last + ")";
                }
                last = c.seq();
                if (why != null) {
                    Step step = null;
                    for (Step s : new ArrayList<>(log)) {
                        if (s.changed() && c.name().equals(s.name()) && s.op().equals(c.op().name())) {
                            step = s;
                        }
                    }
                    fail(where + ": change " + c + " is not valid in the serial order: " + why + "; failing step "
                            + step + "\nhistory " + history);
                }
            }
        }

        private String apply(CatalogChange c) {
            String n = c.name();
            switch (c.op()) {
                case CREATE_LUN -> {
                    if (luns.containsKey(n) || snapLun.containsKey(n)) {
                        return "name " + n + " is taken";
                    }
                    luns.put(n, c.sizeBytes());
                }
                case DELETE_LUN -> {
                    if (!luns.containsKey(n)) {
                        return "no LUN " + n;
                    }
                    luns.remove(n);
                    List<String> gone = new ArrayList<>(List.of(n));
                    snapLun.entrySet().removeIf(e -> {
                        if (e.getValue().equals(n)) {
                            gone.add(e.getKey());
                            return true;
                        }
                        return false;
                    });
                    snapSize.keySet().retainAll(snapLun.keySet());
                    slots.values().removeIf(gone::contains);
                }
                case RESIZE_LUN -> {
                    if (!luns.containsKey(n)) {
                        return "no LUN " + n;
                    }
                    luns.put(n, c.sizeBytes());
                }
                case SNAPSHOT, SNAPCLONE -> {
                    if (!luns.containsKey(c.lun())) {
                        return "no LUN " + c.lun();
                    }
                    if (luns.containsKey(n) || snapLun.containsKey(n)) {
                        return "name " + n + " is taken";
                    }
                    if (luns.get(c.lun()) != c.sizeBytes()) {
                        return "snapshot size " + c.sizeBytes() + " is not LUN " + c.lun() + "'s " + luns.get(c.lun());
                    }
                    snapLun.put(n, c.lun());
                    snapSize.put(n, c.sizeBytes());
                }
                case DELETE_SNAPSHOT -> {
                    if (!snapLun.containsKey(n)) {
                        return "no snapshot " + n;
                    }
                    if (slots.containsValue(n)) {
                        return "snapshot " + n + " is presented";
                    }
                    snapLun.remove(n);
                    snapSize.remove(n);
                }
                case PRESENT -> {
                    if (!luns.containsKey(n) && !snapLun.containsKey(n)) {
                        return "no LUN or snapshot " + n;
                    }
                    String slot = c.initiator() + "/" + c.hostLun();
                    if (slots.containsKey(slot)) {
                        return "slot " + slot + " presents " + slots.get(slot);
                    }
                    slots.put(slot, n);
                }
                case UNPRESENT -> {
                    String slot = c.initiator() + "/" + c.hostLun();
                    if (!Objects.equals(slots.get(slot), n)) {
                        return "slot " + slot + " presents " + slots.get(slot) + ", not " + n;
                    }
                    slots.remove(slot);
                }
                default -> {
                    return "unexpected change " + c.op();
                }
            }
            return null;
        }

        void check(Controller ctl, String where) {
            Map<String, Long> l = new TreeMap<>();
            Map<Integer, String> byId = new HashMap<>();
            for (LunRecord r : ctl.listLuns()) {
                l.put(r.name(), r.sizeBytes());
                byId.put(r.id(), r.name());
            }
            Map<String, String> sl = new TreeMap<>();
            Map<String, Long> ss = new TreeMap<>();
            for (SnapshotRecord s : ctl.listSnapshots()) {
                sl.put(s.name(), byId.get(s.lunId()));
                ss.put(s.name(), s.sizeBytes());
                byId.put(s.id(), s.name());
            }
            Map<String, String> p = new TreeMap<>();
            for (Presentation x : ctl.listPresentations()) {
                p.put(x.initiator() + "/" + x.hostLun(), byId.get(x.lunId()));
            }
            if (!l.equals(luns) || !sl.equals(snapLun) || !ss.equals(snapSize) || !p.equals(slots)) {
                fail(where + ": the controller's state is not the serial model's:\n LUNs " + l + " vs model " + luns
                        + "\n snapshots " + sl + " " + ss + " vs model " + snapLun + " " + snapSize
                        + "\n presentations " + p + " vs model " + slots);
            }
        }
    }

    private static String tail(List<Step> log) {
        List<Step> copy = new ArrayList<>(log);
        return copy.subList(Math.max(0, copy.size() - 8), copy.size()).toString();
    }

    private static String threadDump() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            b.append(e.getKey().getName()).append('\n');
            for (StackTraceElement s : e.getValue()) {
                b.append("    at ").append(s).append('\n');
            }
        }
        return b.toString();
    }
}
