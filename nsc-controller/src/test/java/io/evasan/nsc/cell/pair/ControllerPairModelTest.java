package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.NscState;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.nsc.marker.SnapshotMarker;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A randomized model test of the controller pair in the style of H2's TestRandomMapOps: one seeded sequence of host
 * writes (through the router or the LUN's logical unit), reads, unmaps, snapshots and snapclones, snapshot reads and
 * deletes, LUN create / delete / resize, ownership moves and preferences, kill and hang drills, restarts with
 * failback, destage pauses, and crashes of the whole appliance followed by a reopen, each checked against an oracle:
 * a byte array per LUN and per snapshot (the LUN's image when the snapshot was requested) and the ownership of every
 * unit the pair knows. Every step's outcome is checked right away; a failure names the seed, the step and the tail
 * of the operation history.
 *
 * <p>The seed is {@code -Devasan.seed} (default: the clock), the number of steps {@code -Devasan.pair.ops}
 * (default 500; the heartbeat variant runs a quarter of it); {@code tests/scripts/pair-model-soak.sh} runs a longer
 * soak over many seeds.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ControllerPairModelTest {
    private static final int BLOCK = 4096;
    private static final int MAX_IO = 64 * 1024;
    private static final int MAX_LUNS = 6;
    private static final int MAX_SNAPS = 8;
    private static final long MAX_LUN_BYTES = 6L << 20;
    /** Destage paused on both caches: writes stay dirty (in the logs and the partner's replica) up to this much. */
    private static final long MAX_PAUSED_BYTES = 1L << 20;
    private static final int HISTORY = 40;
    private static final long STUCK_MS = 20_000;
    /**
     * The heartbeat variant's interval and timeout: slower than {@link PairedStack}'s default, so that a loaded
     * machine seldom declares a live controller dead (the model follows such a takeover when it happens).
     */
    private static final long HEARTBEAT_INTERVAL_MS = 50;
    private static final long HEARTBEAT_TIMEOUT_MS = 1000;

    @TempDir
    Path dir;

    /** One LUN of the oracle: its unit id and its image. */
    private static final class Lun {
        final String name;
        final int id;
        byte[] image;

        Lun(String name, int id, byte[] image) {
            this.name = name;
            this.id = id;
            this.image = image;
        }
    }

    /** One snapshot of the oracle: the image of its LUN as of the request. */
    private static final class Snap {
        final String name;
        final String lun;
        final boolean clone;
        final byte[] image;

        Snap(String name, String lun, boolean clone, byte[] image) {
            this.name = name;
            this.lun = lun;
            this.clone = clone;
            this.image = image;
        }
    }

    /** One run: the stack under test, the oracle, the history. */
    private final class Run {
        final long seed;
        final Random rnd;
        final Vertx vertx;
        PairedStack s;
        final Map<String, Lun> luns = new TreeMap<>();
        final Map<String, Snap> snaps = new TreeMap<>();
        /** Every unit the pair's table holds, as the model expects it. */
        final Map<Integer, LunOwnership> owners = new TreeMap<>();
        /** The controller that is down (killed or hung, not restarted), or null. */
        NscId failed;
        boolean paused;
        long pausedBytes;
        int names;
        volatile int step;
        final Deque<String> history = new ArrayDeque<>();
        final int[] counts = new int[Op.values().length];
        final long[] nanos = new long[Op.values().length];

        /** {@code seed}: what -Devasan.seed reruns; {@code salt}: the variant's own (same seed, different runs). */
        Run(long seed, long salt, Vertx vertx) {
            this.seed = seed;
            this.rnd = new Random(seed ^ salt);
            this.vertx = vertx;
        }

        PairedStack open() {
            return new PairedStack(dir, vertx, HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS);
        }

        void log(String what) {
            synchronized (history) {
                history.addLast(step + ": " + what);
                while (history.size() > HISTORY) {
                    history.removeFirst();
                }
            }
        }

        String historyTail() {
            StringBuilder sb = new StringBuilder();
            synchronized (history) {
                for (String h : history) {
                    sb.append("  ").append(h).append('\n');
                }
            }
            return sb.toString();
        }

        /** Prints the history tail when one step takes longer than {@link #STUCK_MS} (the timeout shows no model). */
        Thread watchdog(String variant) {
            Thread t = new Thread(() -> {
                int seen = -1;
                long since = System.nanoTime();
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                    int now = step;
                    if (now != seen) {
                        seen = now;
                        since = System.nanoTime();
                    } else if (System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(STUCK_MS)) {
                        System.out.println("ControllerPairModelTest." + variant + " seed=" + seed + ": step " + now
                                + " has run for over " + STUCK_MS + " ms; history, oldest first:\n" + historyTail());
                        since = Long.MAX_VALUE / 2;   // once per step
                    }
                }
            }, "pair-model-watchdog");
            t.setDaemon(true);
            t.start();
            return t;
        }

        AssertionError failure(Throwable t, Op op) {
            StringBuilder sb = new StringBuilder();
            sb.append("seed ").append(seed).append(" (rerun with -Devasan.seed=").append(seed).append("), step ")
                    .append(step).append(" (").append(op).append(") failed: ").append(t).append('\n');
            sb.append("history, oldest first:\n").append(historyTail());
            try {
                sb.append("controllers: ").append(s.pair.nscs()).append('\n');
                sb.append("ownership: ").append(s.pair.ownerships()).append('\n');
            } catch (RuntimeException e) {
                sb.append("(pair state unavailable: ").append(e).append(")\n");
            }
            sb.append("model ownership: ").append(owners.values());
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                if (e.getKey().getName().startsWith("evasan-cell-failover")) {   // a takeover under way or stuck
                    sb.append("\nthread ").append(e.getKey().getName()).append(" (").append(e.getKey().getState())
                            .append("):");
                    for (StackTraceElement el : e.getValue()) {
                        sb.append("\n    at ").append(el);
                    }
                }
            }
            return new AssertionError(sb.toString(), t);
        }

        // ---------------------------------------------------------------- helpers

        Lun anyLun() {
            List<Lun> all = new ArrayList<>(luns.values());
            return all.get(rnd.nextInt(all.size()));
        }

        Snap anySnap() {
            List<Snap> all = new ArrayList<>(snaps.values());
            return all.get(rnd.nextInt(all.size()));
        }

        NscId online() {
            return failed == null ? NscId.values()[rnd.nextInt(2)] : failed.partner();
        }

        void resume() {
            if (paused) {
                s.ctl.writeCache().resumeDestage();
                paused = false;
                pausedBytes = 0;
                log("resume destage");
            }
        }

        String hex(long v) {
            return "0x" + Long.toHexString(v);
        }

        void compare(byte[] want, int wantOff, byte[] got, String what) {
            for (int i = 0; i < got.length; i++) {
                if (want[wantOff + i] != got[i]) {
                    int end = i;
                    while (end < got.length && want[wantOff + end] != got[end]) {
                        end++;
                    }
                    throw new AssertionError(what + ": bytes differ from " + hex(wantOff + i) + " (" + (end - i)
                            + " bytes in the first run): want " + want[wantOff + i] + ", got " + got[i]);
                }
            }
        }

        void readLun(Lun l, long off, int len, boolean viaLu, String what) throws LuException {
            byte[] got = new byte[len];
            if (viaLu) {
                s.ctl.logicalUnit(l.name).read(off / LogicalUnit.BLOCK_SIZE, len / LogicalUnit.BLOCK_SIZE,
                        ByteBuffer.wrap(got));
            } else {
                s.ctl.read(l.name, off, got);
            }
            compare(l.image, (int) off, got, what + ": LUN " + l.name + " (unit " + l.id + ") " + hex(off) + "+"
                    + hex(len) + (viaLu ? " via its LU" : " via the router"));
        }

        void verifyLun(Lun l, String what) throws LuException {
            assertEquals(l.image.length, s.ctl.lun(l.name).sizeBytes(), what + ": size of LUN " + l.name);
            for (int off = 0; off < l.image.length; off += 1 << 20) {
                readLun(l, off, Math.min(1 << 20, l.image.length - off), false, what);
            }
        }

        void verifySnap(Snap sn, long off, int len, String what) {
            byte[] got = new byte[len];
            s.ctl.readSnapshot(sn.name, off, got);
            compare(sn.image, (int) off, got, what + ": snapshot " + sn.name + " of " + sn.lun + " " + hex(off)
                    + "+" + hex(len));
        }

        /** A snapclone whose copy finished became a LUN of its own name: the oracle follows. */
        void followPromotions() {
            for (Snap sn : new ArrayList<>(snaps.values())) {
                if (sn.clone && s.ctl.listSnapshots().stream().noneMatch(r -> r.name().equals(sn.name))) {
                    LunRecord r = s.ctl.lun(sn.name);   // NOT_FOUND: the clone vanished
                    snaps.remove(sn.name);
                    luns.put(sn.name, new Lun(sn.name, r.id(), sn.image.clone()));
                    log("snapclone " + sn.name + " is now LUN unit " + r.id());
                }
            }
        }

        void verifyAll(String what) throws LuException {
            followPromotions();
            TreeSet<String> lunNames = new TreeSet<>();
            for (LunRecord r : s.ctl.listLuns()) {
                lunNames.add(r.name());
            }
            assertEquals(luns.keySet(), lunNames, what + ": LUNs");
            TreeSet<String> snapNames = new TreeSet<>();
            for (SnapshotRecord r : s.ctl.listSnapshots()) {
                snapNames.add(r.name());
            }
            assertEquals(snaps.keySet(), snapNames, what + ": snapshots");
            for (Lun l : luns.values()) {
                verifyLun(l, what);
            }
            for (Snap sn : snaps.values()) {
                verifySnap(sn, 0, sn.image.length, what);
            }
        }

        /** The pair's table against the model; a unit routed for the first time is adopted (owned by a live one). */
        void checkOwnership(String what) {
            List<LunOwnership> actual = s.pair.ownerships();
            for (LunOwnership o : actual) {
                LunOwnership m = owners.get(o.unitId());
                if (m == null) {
                    assertEquals(NscState.ONLINE, s.pair.state(o.owner()), what + ": unit " + o.unitId()
                            + " was first assigned to a controller that is down: " + o);
                    assertEquals(new LunOwnership(o.unitId(), o.owner(), null, FailoverMode.NO_PREFERENCE), o,
                            what + ": a new unit has no preference");
                    owners.put(o.unitId(), o);
                } else {
                    assertEquals(m, o, what + ": ownership of unit " + o.unitId());
                }
            }
            assertEquals(owners.size(), actual.size(), what + ": units in the table " + actual);
            for (NscId id : NscId.values()) {
                assertEquals(id == failed ? NscState.FAILED : NscState.ONLINE, s.pair.state(id), what + ": state of "
                        + id);
            }
        }

        /** With a heartbeat a loaded machine may declare a live controller dead: the model follows such a takeover. */
        void followUnplannedTakeover() {
            if (vertx == null || failed != null) {
                return;
            }
            for (NscId id : NscId.values()) {
                if (s.pair.state(id) == NscState.FAILED) {
                    // wait for the takeover to finish (the state changes first)
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (s.pair.ownerships().stream().anyMatch(o -> o.owner() == id)
                            && System.nanoTime() < deadline) {
                        sleep(5);
                    }
                    log("heartbeat: " + id + " declared dead without a drill (a loaded machine); the model follows");
                    System.out.println("seed " + seed + " step " + step + ": unplanned takeover of " + id);
                    takenOver(id);
                    return;
                }
            }
        }

        /**
         * After a management step that an unplanned takeover interrupted (which of its changes were stored is
         * unknown): the model takes the pair's table, which must have every unit on the live controller.
         */
        void adoptOwnership() {
            for (LunOwnership o : s.pair.ownerships()) {
                assertEquals(failed.partner(), o.owner(), "after the takeover of " + failed + ": " + o);
                owners.put(o.unitId(), o);
            }
        }

        /** Whether the heartbeat took a controller over that the model has online. */
        boolean unplannedTakeover() {
            if (vertx == null || failed != null) {
                return false;
            }
            for (NscId id : NscId.values()) {
                if (s.pair.state(id) != NscState.ONLINE) {
                    return true;
                }
            }
            return false;
        }

        void takenOver(NscId dead) {
            for (Map.Entry<Integer, LunOwnership> e : owners.entrySet()) {
                if (e.getValue().owner() == dead) {
                    e.setValue(e.getValue().ownedBy(dead.partner()));
                }
            }
            failed = dead;
        }

        // ---------------------------------------------------------------- operations

        void write(boolean viaLu) throws LuException {
            Lun l = anyLun();
            int len = BLOCK * (1 + rnd.nextInt(Math.min(MAX_IO, l.image.length) / BLOCK));
            long off = (long) BLOCK * rnd.nextInt((l.image.length - len) / BLOCK + 1);
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            int initiator = 1 + rnd.nextInt(4);
            boolean fua = rnd.nextInt(8) == 0 && !paused;   // FUA waits for the destage, which is paused
            log("write " + l.name + " (unit " + l.id + ") " + hex(off) + "+" + hex(len) + (viaLu ? " via LU" : "")
                    + " init " + initiator + (fua ? " fua" : ""));
            if (viaLu) {
                s.ctl.logicalUnit(l.name).write(initiator, off / LogicalUnit.BLOCK_SIZE, len / LogicalUnit.BLOCK_SIZE,
                        ByteBuffer.wrap(data), fua);
            } else {
                s.ctl.writeCache().write(initiator, l.id, off, ByteBuffer.wrap(data), fua);
            }
            System.arraycopy(data, 0, l.image, (int) off, len);
            if (paused) {
                pausedBytes += len;
                if (pausedBytes > MAX_PAUSED_BYTES) {
                    resume();
                }
            }
        }

        void read() throws LuException {
            Lun l = anyLun();
            int sectors = l.image.length / LogicalUnit.BLOCK_SIZE;
            int len = LogicalUnit.BLOCK_SIZE * (1 + rnd.nextInt(Math.min(MAX_IO / LogicalUnit.BLOCK_SIZE, sectors)));
            long off = (long) LogicalUnit.BLOCK_SIZE * rnd.nextInt(sectors - len / LogicalUnit.BLOCK_SIZE + 1);
            boolean viaLu = rnd.nextBoolean();
            log("read " + l.name + " " + hex(off) + "+" + hex(len) + (viaLu ? " via LU" : ""));
            readLun(l, off, len, viaLu, "read");
        }

        void unmap() throws LuException {
            resume();
            Lun l = anyLun();
            int len = BLOCK * (1 + rnd.nextInt(Math.min(MAX_IO, l.image.length) / BLOCK));
            long off = (long) BLOCK * rnd.nextInt((l.image.length - len) / BLOCK + 1);
            log("unmap " + l.name + " " + hex(off) + "+" + hex(len));
            s.ctl.logicalUnit(l.name).unmap(off / LogicalUnit.BLOCK_SIZE, len / LogicalUnit.BLOCK_SIZE);
            Arrays.fill(l.image, (int) off, (int) off + len, (byte) 0);
        }

        void snapshot(boolean clone) throws Exception {
            if (snaps.size() >= MAX_SNAPS) {
                deleteSnapshot();
                return;
            }
            resume();
            Lun l = anyLun();
            String name = (clone ? "clone" : "snap") + (++names);
            byte[] image = l.image.clone();
            log((clone ? "snapclone " : "snapshot ") + l.name + " -> " + name);
            try {
                SnapshotMarker m = s.ctl.snapshot(l.name, name, clone);
                m.taken().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                refused(e.getCause(), name);
                return;
            } catch (StorageException e) {
                refused(e, name);
                return;
            }
            snaps.put(name, new Snap(name, l.name, clone, image));
            verifySnap(snaps.get(name), 0, image.length, "just taken");
        }

        /** A snapshot the tree refuses (the LUN has a snapclone still copying, or snapshots for a clone). */
        void refused(Throwable t, String name) {
            if (!(t instanceof StorageException) || ((StorageException) t).code() != ErrorCode.INVALID_STATE) {
                throw new AssertionError("snapshot " + name + " failed", t);
            }
            log("  refused: " + t.getMessage());
            assertTrue(s.ctl.listSnapshots().stream().noneMatch(r -> r.name().equals(name)), name + " not taken");
        }

        void readSnapshot() {
            if (snaps.isEmpty()) {
                return;
            }
            Snap sn = anySnap();
            if (rnd.nextInt(4) == 0) {
                log("read snapshot " + sn.name + " whole");
                verifySnap(sn, 0, sn.image.length, "read snapshot");
                return;
            }
            int sectors = sn.image.length / LogicalUnit.BLOCK_SIZE;
            int len = LogicalUnit.BLOCK_SIZE * (1 + rnd.nextInt(Math.min(MAX_IO / LogicalUnit.BLOCK_SIZE, sectors)));
            long off = (long) LogicalUnit.BLOCK_SIZE * rnd.nextInt(sectors - len / LogicalUnit.BLOCK_SIZE + 1);
            log("read snapshot " + sn.name + " " + hex(off) + "+" + hex(len));
            verifySnap(sn, off, len, "read snapshot");
        }

        void deleteSnapshot() {
            if (snaps.isEmpty()) {
                return;
            }
            resume();
            Snap sn = anySnap();
            log("delete snapshot " + sn.name);
            s.ctl.deleteSnapshot(sn.name);
            snaps.remove(sn.name);
        }

        void createLun() throws LuException {
            if (luns.size() >= MAX_LUNS) {
                return;
            }
            String name = "lun" + (++names);
            int size = BLOCK * (16 + rnd.nextInt((3 << 20) / BLOCK));
            log("create " + name + " of " + hex(size));
            LunRecord r = s.ctl.createLun(name, size);
            Lun l = new Lun(name, r.id(), new byte[size]);
            luns.put(name, l);
            log("  unit " + r.id() + (owners.containsKey(r.id()) ? " (reused: " + owners.get(r.id()) + ")" : ""));
            verifyLun(l, "a new LUN reads zeros");
        }

        void deleteLun() {
            if (luns.size() <= 1) {
                return;
            }
            resume();
            Lun l = anyLun();
            log("delete " + l.name + " (unit " + l.id + ")");
            s.ctl.deleteLun(l.name, true);   // the model deletes presented LUNs and LUNs with snapshots
            luns.remove(l.name);
            for (Snap sn : new ArrayList<>(snaps.values())) {
                if (sn.lun.equals(l.name)) {
                    snaps.remove(sn.name);
                }
            }
            followPromotions();
            StorageException e = assertThrows(StorageException.class, () -> s.ctl.lun(l.name));
            assertEquals(ErrorCode.NOT_FOUND, e.code());
        }

        void resize() {
            resume();
            Lun l = anyLun();
            boolean grow = rnd.nextInt(4) != 0;
            int size = grow ? (int) Math.min(MAX_LUN_BYTES, l.image.length + BLOCK * (1L + rnd.nextInt(256)))
                    : Math.max(16 * BLOCK, l.image.length - BLOCK * (1 + rnd.nextInt(128)));
            log("resize " + l.name + " " + hex(l.image.length) + " -> " + hex(size));
            try {
                LunRecord r = s.ctl.resizeLun(l.name, size, true);
                assertEquals(size, r.sizeBytes());
            } catch (StorageException e) {
                boolean hasSnaps = snaps.values().stream().anyMatch(sn -> sn.lun.equals(l.name));
                if (e.code() != ErrorCode.INVALID_STATE || !grow || !hasSnaps) {
                    throw e;
                }
                log("  refused: " + e.getMessage());
                return;
            }
            l.image = Arrays.copyOf(l.image, size);
        }

        /** A LUN for a move or a preference (destage resumed: both drain the unit). */
        Lun lunForOwnershipStep() {
            resume();
            return anyLun();
        }

        void move() {
            Lun l = lunForOwnershipStep();
            if (l == null) {
                return;
            }
            LunOwnership o = owners.get(l.id);
            if (failed != null && rnd.nextInt(4) == 0) {
                log("move " + l.name + " (unit " + l.id + ") to " + failed + " (down: refused)");
                StorageException e = assertThrows(StorageException.class, () -> s.pair.move(l.id, failed));
                assertEquals(ErrorCode.INVALID_STATE, e.code());
                return;
            }
            NscId to = online();
            log("move " + l.name + " (unit " + l.id + ", " + o + ") to " + to);
            s.pair.move(l.id, to);
            if (o == null) {
                o = s.pair.ownerships().stream().filter(x -> x.unitId() == l.id).findFirst().orElseThrow();
            }
            owners.put(l.id, o.ownedBy(to));
        }

        void setPreference() {
            Lun l = lunForOwnershipStep();
            if (l == null) {
                return;
            }
            LunOwnership o = owners.get(l.id);
            int p = rnd.nextInt(5);
            NscId preferred = p >= 2 ? null : NscId.values()[p];
            FailoverMode mode = preferred == null ? FailoverMode.NO_PREFERENCE
                    : rnd.nextInt(3) == 0 ? FailoverMode.FAILOVER_ONLY : FailoverMode.FAILOVER_FAILBACK;
            log("prefer " + l.name + " (unit " + l.id + ", " + o + ") " + preferred + " " + mode);
            LunOwnership got = s.pair.setPreference(l.id, preferred, mode);
            NscId owner = o == null ? got.owner() : o.owner();
            if (preferred != null && preferred != failed) {
                owner = preferred;
            }
            LunOwnership want = new LunOwnership(l.id, owner, preferred, mode);
            assertEquals(want, got, "setPreference's answer");
            owners.put(l.id, want);
        }

        void drill(boolean hang) {
            if (failed != null) {
                NscId x = failed.partner();
                log((hang ? "hang " : "kill ") + x + " while " + failed + " is down (refused)");
                StorageException e = assertThrows(StorageException.class,
                        () -> { if (hang) { s.pair.hang(x); } else { s.pair.kill(x); } });
                assertEquals(ErrorCode.INVALID_STATE, e.code());
                return;
            }
            drill(NscId.values()[rnd.nextInt(2)], hang, paused ? ", destage paused" : "");
        }

        /** Kills or hangs {@code x}: the takeover moves every unit it owns to its partner. */
        void drill(NscId x, boolean hang, String note) {
            long owned = owners.values().stream().filter(o -> o.owner() == x).count();
            log((hang ? "hang " : "kill ") + x + " (owns " + owned + " units" + note + ")");
            DrillReport r = hang ? s.pair.hang(x) : s.pair.kill(x);
            log("  " + r);
            assertTrue(r.takeoverMillis() >= 0, "taken over: " + r);
            assertEquals(owned, r.unitsMoved(), "units moved: " + r);
            takenOver(x);
        }

        /**
         * A snapshot (or snapclone) whose marker is still in the owner's cache (destage paused, writes before and
         * after it) when the owner is killed or hangs: the survivor replays the replica, marker included, so the
         * snapshot holds exactly the writes before it.
         */
        void snapshotAcrossDrill(boolean hang) throws Exception {
            if (failed != null || snaps.size() >= MAX_SNAPS) {
                return;
            }
            Lun l = anyLun();
            if (!paused) {
                pause();
            }
            write(l);
            boolean clone = rnd.nextInt(3) == 0;   // a snapclone the tree refuses at replay fails its request only
            String name = (clone ? "clone" : "snap") + (++names);
            byte[] image = l.image.clone();
            log((clone ? "snapclone " : "snapshot ") + l.name + " -> " + name + " (not waited for)");
            SnapshotMarker m = s.ctl.snapshot(l.name, name, clone);
            write(l);
            drill(owners.get(l.id).owner(), hang, ", the marker of " + name + " in its cache");
            resume();
            String outcome;   // the replay ran within the takeover: the future completes soon after, or never
            try {
                m.taken().get(10, TimeUnit.SECONDS);   // generous: a loaded build machine delays the completion
                outcome = "taken";
            } catch (ExecutionException e) {
                outcome = "failed: " + e.getCause();
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the requester of " + name + " was never answered (the survivor's replay "
                        + "must complete its marker)");
            }
            log("  marker future of " + name + ": " + outcome);
            if (s.ctl.listSnapshots().stream().anyMatch(sr -> sr.name().equals(name))) {
                snaps.put(name, new Snap(name, l.name, clone, image));
                verifySnap(snaps.get(name), 0, image.length, "taken by the survivor's replay");
            } else {
                assertTrue(clone, "snapshot " + name + " was requested before the " + (hang ? "hang" : "kill")
                        + " of its owner and is lost (its marker future: " + outcome + ")");
                log("  snapclone " + name + " not taken (refused by the tree at replay)");
            }
        }

        void write(Lun l) {
            int len = BLOCK * (1 + rnd.nextInt(Math.min(MAX_IO, l.image.length) / BLOCK));
            long off = (long) BLOCK * rnd.nextInt((l.image.length - len) / BLOCK + 1);
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            log("write " + l.name + " (unit " + l.id + ") " + hex(off) + "+" + hex(len));
            s.ctl.writeCache().write(1, l.id, off, ByteBuffer.wrap(data), false);
            System.arraycopy(data, 0, l.image, (int) off, len);
            pausedBytes += len;
        }

        void restart() {
            if (failed == null) {
                NscId x = NscId.values()[rnd.nextInt(2)];
                log("restart " + x + " while online (refused)");
                StorageException e = assertThrows(StorageException.class, () -> s.pair.restart(x));
                assertEquals(ErrorCode.INVALID_STATE, e.code());
                return;
            }
            NscId x = failed;
            List<Integer> want = new ArrayList<>();
            for (LunOwnership o : owners.values()) {
                if (o.preferred() == x && o.mode() == FailoverMode.FAILOVER_FAILBACK && o.owner() != x) {
                    want.add(o.unitId());
                }
            }
            log("restart " + x + " (expect failback of " + want + ")");
            List<Integer> back = s.pair.restart(x);
            assertEquals(want, back, "units failed back");
            for (int u : back) {
                owners.put(u, owners.get(u).ownedBy(x));
            }
            failed = null;
            paused = false;   // both caches were reopened
            pausedBytes = 0;
            if (vertx != null) {
                // the partner's heartbeat must see x alive again before x can be seen dead: see
                // shouldDetectAControllerThatFailsRightAfterItsRestart
                sleep(4 * HEARTBEAT_INTERVAL_MS);
            }
        }

        void pause() {
            if (paused) {
                resume();
                return;
            }
            log("pause destage");
            s.ctl.writeCache().pauseDestage();
            paused = true;
        }

        /** The model of {@code ControllerPair.start}: every unit with a preferred controller starts there. */
        void placeAtStart() {
            for (Map.Entry<Integer, LunOwnership> e : owners.entrySet()) {
                LunOwnership o = e.getValue();
                if (o.preferred() != null && o.owner() != o.preferred()) {
                    e.setValue(o.ownedBy(o.preferred()));
                }
            }
        }

        void crash() throws LuException {
            log("crash the appliance" + (failed != null ? " (" + failed + " down)" : "")
                    + (paused ? " (destage paused)" : ""));
            s.crash();
            s = open();
            failed = null;
            paused = false;
            pausedBytes = 0;
            log("reopened");
            placeAtStart();
            followUnplannedTakeover();
            checkOwnership("after the reopen");
            verifyAll("after the crash and reopen");
        }
    }

    private enum Op {
        WRITE(24), WRITE_LU(10), READ(18), UNMAP(2), SNAPSHOT(4), SNAPCLONE(2), READ_SNAPSHOT(6), DELETE_SNAPSHOT(2),
        CREATE_LUN(3), DELETE_LUN(2), RESIZE(3), MOVE(4), PREFER(3), KILL(2), HANG(2), SNAPSHOT_KILL(1),
        SNAPSHOT_HANG(1), RESTART(4), PAUSE(3), CRASH(1), VERIFY(1);

        final int weight;

        Op(int weight) {
            this.weight = weight;
        }

        static Op pick(Random rnd) {
            int total = 0;
            for (Op o : values()) {
                total += o.weight;
            }
            int r = rnd.nextInt(total);
            for (Op o : values()) {
                r -= o.weight;
                if (r < 0) {
                    return o;
                }
            }
            throw new AssertionError();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void run(String variant, long seed, long salt, int ops, Vertx vertx) throws Exception {
        System.out.println("ControllerPairModelTest." + variant + " seed=" + seed + " ops=" + ops
                + " (rerun with -Devasan.seed=" + seed + " -Devasan.pair.ops=" + ops + ")");
        long t0 = System.nanoTime();
        Run run = new Run(seed, salt, vertx);
        run.s = run.open();
        Thread watchdog = run.watchdog(variant);
        try {
            for (int i = 0; i < 3; i++) {
                run.createLun();
            }
            run.followUnplannedTakeover();
            run.checkOwnership("at the start");
            for (run.step = 1; run.step <= ops; run.step++) {
                Op op = Op.pick(run.rnd);
                run.counts[op.ordinal()]++;
                long opStart = System.nanoTime();
                try {
                    switch (op) {
                        case WRITE: run.write(false); break;
                        case WRITE_LU: run.write(true); break;
                        case READ: run.read(); break;
                        case UNMAP: run.unmap(); break;
                        case SNAPSHOT: run.snapshot(false); break;
                        case SNAPCLONE: run.snapshot(true); break;
                        case READ_SNAPSHOT: run.readSnapshot(); break;
                        case DELETE_SNAPSHOT: run.deleteSnapshot(); break;
                        case CREATE_LUN: run.createLun(); break;
                        case DELETE_LUN: run.deleteLun(); break;
                        case RESIZE: run.resize(); break;
                        case MOVE: run.move(); break;
                        case PREFER: run.setPreference(); break;
                        case KILL: run.drill(false); break;
                        case HANG: run.drill(true); break;
                        case SNAPSHOT_KILL: run.snapshotAcrossDrill(false); break;
                        case SNAPSHOT_HANG: run.snapshotAcrossDrill(true); break;
                        case RESTART: run.restart(); break;
                        case PAUSE: run.pause(); break;
                        case CRASH: run.crash(); break;
                        case VERIFY:
                            run.log("verify everything");
                            run.verifyAll("verify");
                            break;
                        default: throw new AssertionError(op);
                    }
                    run.followUnplannedTakeover();
                    run.checkOwnership("after " + op);
                    long took = System.nanoTime() - opStart;
                    run.nanos[op.ordinal()] += took;
                    if (took > TimeUnit.SECONDS.toNanos(2)) {
                        System.out.println("ControllerPairModelTest." + variant + " seed=" + seed + ": step "
                                + run.step + " (" + op + ") took " + TimeUnit.NANOSECONDS.toMillis(took)
                                + " ms; history, oldest first:\n" + run.historyTail());
                    }
                } catch (Throwable t) {
                    if (run.unplannedTakeover() && op != Op.WRITE && op != Op.WRITE_LU && op != Op.UNMAP) {
                        // a heartbeat takeover under a management step: its expectations no longer hold
                        run.log("  " + op + " failed under an unplanned takeover: " + t);
                        try {
                            run.followUnplannedTakeover();
                            run.adoptOwnership();
                            run.checkOwnership("after an unplanned takeover");
                            continue;
                        } catch (Throwable t2) {
                            t.addSuppressed(t2);
                        }
                    }
                    throw run.failure(t, op);
                }
            }
            Op last = Op.VERIFY;
            try {
                run.step = ops + 1;
                run.log("final verify, then crash and reopen");
                run.verifyAll("at the end");
                run.crash();
                run.step = ops + 2;
                run.log("clean close and reopen");
                last = Op.CRASH;
                run.s.close();
                run.s = run.open();
                run.placeAtStart();
                run.followUnplannedTakeover();
                run.checkOwnership("after a clean close and reopen");
                run.verifyAll("after a clean close and reopen");
            } catch (Throwable t) {
                throw run.failure(t, last);
            }
        } catch (Throwable t) {
            try {
                run.s.close();
            } catch (Throwable c) {
                t.addSuppressed(c);
            }
            throw t;
        } finally {
            watchdog.interrupt();
        }
        run.s.close();
        StringBuilder sb = new StringBuilder();
        for (Op op : Op.values()) {
            sb.append(' ').append(op.name().toLowerCase()).append('=').append(run.counts[op.ordinal()]).append('/')
                    .append(TimeUnit.NANOSECONDS.toMillis(run.nanos[op.ordinal()])).append("ms");
        }
        System.out.println("ControllerPairModelTest." + variant + " seed=" + seed + ": " + ops + " steps in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms;" + sb + "; " + run.luns.size()
                + " LUNs, " + run.snaps.size() + " snapshots at the end");
    }

    private static long seed() {
        return Long.getLong("evasan.seed", System.nanoTime());
    }

    private static int ops() {
        return Integer.getInteger("evasan.pair.ops", 500);
    }

    @Test
    void shouldMatchTheOracleThroughRandomOperationsWithImmediateTakeover() throws Exception {
        run("immediate", seed(), 0, ops(), null);
    }

    @Test
    void shouldMatchTheOracleThroughRandomOperationsWithAHeartbeat() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            run("heartbeat", seed(), 0x5DEECE66DL, Math.max(20, ops() / 4), vertx);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static byte[] block(int fill) {
        byte[] b = new byte[BLOCK];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    /** LUN "src" of 1 MiB whose block 0 holds {@code data} (acknowledged, so the unit has an owner). */
    private static LunRecord lunWithBlock0(PairedStack s, byte[] data) {
        LunRecord r = s.ctl.createLun("src", 1 << 20);
        s.ctl.writeCache().write(1, r.id(), 0, ByteBuffer.wrap(data), false);
        return r;
    }

    /**
     * After a takeover the survivor's heartbeat monitor keeps running with its partner DEAD; {@link
     * ControllerPair#restart} starts the returning controller's monitor but keeps the survivor's. If the returned
     * controller fails again before the survivor saw one answered ping, the survivor's state goes DEAD -> DEAD (no
     * change, no event) and nobody takes the failed controller over: its units wait and fail BUSY.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldDetectAControllerThatFailsRightAfterItsRestart() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (PairedStack s = new PairedStack(dir, vertx, HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS)) {
            LunRecord r = lunWithBlock0(s, block(1));
            NscId x = s.pair.ownership(r.id()).owner();
            assertTrue(s.pair.kill(x).takeoverMillis() >= 0);
            s.pair.restart(x);
            DrillReport d = s.pair.hang(x);   // within one heartbeat interval of the restart
            assertTrue(d.takeoverMillis() >= 0, "taken over: " + d);
            byte[] got = new byte[BLOCK];
            s.ctl.read("src", 0, got);
            assertTrue(Arrays.equals(block(1), got));
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A snapshot requested through the owner's cache ({@code ctl.snapshot}) whose marker is still there when the
     * owner is killed: the survivor's replay of the replica takes the snapshot, but the requester's
     * {@code marker.taken()} belongs to the dead cache and is never completed, so a caller waiting on it (the
     * management API, a host's C0h command) waits forever although the snapshot exists.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldAnswerTheRequesterOfASnapshotTheSurvivorTookAtTakeover() throws Exception {
        try (PairedStack s = new PairedStack(dir, null)) {
            byte[] before = block(1);
            LunRecord r = lunWithBlock0(s, before);
            s.ctl.writeCache().pauseDestage();
            SnapshotMarker m = s.ctl.snapshot("src", "snap1", false);
            s.ctl.writeCache().write(1, r.id(), 0, ByteBuffer.wrap(new byte[BLOCK]), false);
            DrillReport d = s.pair.kill(s.pair.ownership(r.id()).owner());
            assertTrue(d.takeoverMillis() >= 0, "taken over: " + d);
            s.ctl.writeCache().resumeDestage();
            byte[] got = new byte[BLOCK];
            s.ctl.readSnapshot("snap1", 0, got);
            assertTrue(Arrays.equals(before, got), "the snapshot holds the write before its request");
            m.taken().get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The survivor replays the dead controller's replica with {@code MirrorReplica.takeOver}, which calls the snapshot
     * action for each marker: a snapclone marker the tree refuses (INVALID_STATE: the LUN has a snapclone still
     * copying) throws out of the replay, so the takeover stops half-way (the items after the marker are not
     * replayed, no unit changes owner) and the exception ends the failover task: the dead controller's units stay
     * owned by it, and their host calls wait {@code transitionMillis} and fail BUSY.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldTakeOverPastASnapcloneMarkerInTheReplicaWhetherTheTreeTakesOrRefusesIt() throws Exception {
        try (PairedStack s = new PairedStack(dir, null)) {
            LunRecord r = lunWithBlock0(s, block(1));
            s.ctl.snapshot("src", "clone1", true).taken().get(30, TimeUnit.SECONDS);   // copies in the background
            s.ctl.writeCache().pauseDestage();
            SnapshotMarker refused = s.ctl.snapshot("src", "clone2", true);   // the tree will refuse it
            byte[] after = block(2);
            s.ctl.writeCache().write(1, r.id(), BLOCK, ByteBuffer.wrap(after), false);
            NscId owner = s.pair.ownership(r.id()).owner();
            DrillReport d = s.pair.kill(owner);
            assertTrue(d.takeoverMillis() >= 0, "taken over: " + d);
            assertEquals(owner.partner(), s.pair.ownership(r.id()).owner());
            s.ctl.writeCache().resumeDestage();
            byte[] got = new byte[BLOCK];
            s.ctl.read("src", BLOCK, got);
            assertTrue(Arrays.equals(after, got), "the write acknowledged after the marker");
            assertTrue(refused.taken().isDone(), "the requester is answered");
            // the tree may take the second snapclone (several may copy at once) or refuse it: either way the takeover
            // went on past it; if taken, it holds exactly the writes before its request
            if (!refused.taken().isCompletedExceptionally()) {
                assertTrue(s.ctl.listSnapshots().stream().anyMatch(x -> x.name().equals("clone2")));
                s.ctl.readSnapshot("clone2", BLOCK, got);
                assertTrue(Arrays.equals(new byte[BLOCK], got), "clone2 does not hold the write after its request");
            } else {
                assertTrue(s.ctl.listSnapshots().stream().noneMatch(x -> x.name().equals("clone2")));
            }
        }
    }

    /**
     * A deleted LUN keeps its ownership record (nothing removes it), so {@link ControllerPair#restart} tries to fail
     * its unit back: {@link ControllerPair#move} drains it from the old owner's cache with
     * {@code WriteBackCache.synchronize}, whose {@code lunSizeBytes} throws NOT_FOUND for a unit without a LUN; the
     * restart throws half-way (the controller is ONLINE but the units after it in unit order do not fail back).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailBackTheOtherUnitsWhenAUnitThatPrefersTheRestartedControllerWasDeleted() {
        try (PairedStack s = new PairedStack(dir, null)) {
            LunRecord gone = s.ctl.createLun("gone", 1 << 20);
            LunRecord kept = s.ctl.createLun("kept", 1 << 20);
            assertTrue(gone.id() < kept.id());
            s.pair.setPreference(gone.id(), NscId.A, FailoverMode.FAILOVER_FAILBACK);
            s.pair.setPreference(kept.id(), NscId.A, FailoverMode.FAILOVER_FAILBACK);
            s.pair.kill(NscId.A);
            s.ctl.deleteLun("gone");
            List<Integer> back = s.pair.restart(NscId.A);
            assertTrue(back.contains(kept.id()), "failed back: " + back);
            assertEquals(NscId.A, s.pair.ownership(kept.id()).owner());
            byte[] data = block(7);
            s.ctl.writeCache().write(1, kept.id(), 0, ByteBuffer.wrap(data), false);
            byte[] got = new byte[BLOCK];
            s.ctl.read("kept", 0, got);
            assertTrue(Arrays.equals(data, got));
        }
    }

    /**
     * {@link ControllerPair#ownership} gives a unit that was never routed an owner by count only: while B is down
     * and owns nothing, a new LUN's first ownership query (management, or a move / preference) assigns it to B, and
     * every host call on it waits for a takeover that never comes, then fails BUSY.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNotAssignANewUnitToAFailedController() {
        try (PairedStack s = new PairedStack(dir, null)) {
            LunRecord first = s.ctl.createLun("first", 1 << 20);
            s.ctl.writeCache().write(1, first.id(), 0, ByteBuffer.wrap(new byte[BLOCK]), false);
            assertEquals(NscId.A, s.pair.ownership(first.id()).owner());
            s.pair.kill(NscId.B);
            LunRecord fresh = s.ctl.createLun("fresh", 1 << 20);
            assertEquals(NscId.A, s.pair.ownership(fresh.id()).owner(), "only A is online");
            s.ctl.writeCache().write(1, fresh.id(), 0, ByteBuffer.wrap(new byte[BLOCK]), false);
        }
    }
}
