package io.evasan.nsc.cell.drill;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.Controller;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.DrillRequest;
import io.evasan.nsc.api.DriveStatus;
import io.evasan.nsc.api.DriveView;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.cell.pair.ControllerPair;
import io.evasan.nsc.lun.LunRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the cell's drills — a controller's kill, hang or the partition (through the {@link ControllerFaults} of the
 * cell: the pair in one JVM, or the controller processes) and the pull of a drive (through {@link Drives}) — optionally with a {@link DrillVerifier} on a scratch LUN
 * ({@code drill-scratch-<id>}, 64 MiB, preferring the drill's target so the fault moves it) written from before the
 * fault until {@link #ACKS_AFTER} more writes were acknowledged after it, read back, then deleted; and keeps every
 * finished report in the {@link DrillHistory}.
 *
 * <p>Invariants: one drill at a time; a request refused (bad field, wrong state, a pull that would lose data without
 * force) changes nothing — it is checked before the scratch LUN exists; the scratch LUN is deleted whatever the
 * drill's outcome; a finished report is stored before it is returned; a drill that acts only after its answer (on
 * the controller process answering it) is stored as started before it is returned, and acts only through
 * {@link #act} once it is.
 */
public final class DrillRunner {
    /** The scratch LUN's size. */
    public static final long SCRATCH_BYTES = 64L << 20;
    /** Writes acknowledged before the fault is injected, and after it before the read-back. */
    static final int ACKS_BEFORE = 64;
    static final int ACKS_AFTER = 64;
    /** How long the verifier may take to get those writes acknowledged (a takeover makes host calls wait). */
    private static final long ACK_WAIT_MILLIS = 30_000;
    private static final System.Logger LOG = System.getLogger(DrillRunner.class.getName());

    private final Controller controller;
    private final ControllerPair pair;
    private final ControllerFaults faults;
    private final Drives drives;
    private final DrillHistory history;
    private long localIds;

    /**
     * {@code pair} null: a single-controller cell (drive pulls only); {@code faults}: how a controller drill acts (null
     * with the pair: on the pair itself, {@link PairFaults}).
     */
    public DrillRunner(Controller controller, ControllerPair pair, ControllerFaults faults, Drives drives,
                       DrillHistory history) {
        this.controller = controller;
        this.pair = pair;
        this.faults = faults != null ? faults : pair != null ? new PairFaults(pair) : null;
        this.drives = drives;
        this.history = history;
        this.localIds = history.lastId();
        if (this.faults != null) {
            this.faults.continueDrillIds(history.lastId());
            this.faults.historyOpened(history);
        }
    }

    /** The controller drills' seam (null: a single-controller cell). */
    public ControllerFaults faults() {
        return faults;
    }

    /** Runs {@code r}; see {@link io.evasan.nsc.api.Controllers#drill(DrillRequest)}. */
    public synchronized DrillReport run(DrillRequest r) {
        if (r == null || r.kind() == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "kind: kill, hang, partition or pull-drive");
        }
        if (DrillRequest.PULL_DRIVE.equals(r.kind())) {
            return pullDrive(r);
        }
        if (!List.of("kill", "hang", "partition").contains(r.kind())) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "kind: kill, hang, partition or pull-drive, not '"
                    + r.kind() + "'");
        }
        if (faults == null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "this cell has a single controller: no partner to "
                    + "take over (a pull-drive drill runs here)");
        }
        boolean partition = "partition".equals(r.kind());
        if (!partition && r.target() == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "target: A or B");
        }
        faults.checkReady(r.kind(), r.target(), r.verify());
        Scratch s = r.verify() ? scratch(-1, partition ? null : r.target()) : null;
        DrillReport report;
        try {
            report = partition ? faults.partition() : "kill".equals(r.kind()) ? faults.kill(r.target())
                    : faults.hang(r.target());
            if (report.started()) {
                history.save(report);   // durably, before the drill acts (act, once the answer has left)
                return report;
            }
            if (s != null) {
                DrillVerifier.Result v = s.afterFault();
                faults.verified(report.id(), v.acknowledged(), v.verified(), v.lost(), s.note(v));
            }
        } finally {
            if (s != null) {
                s.delete();
            }
        }
        DrillReport done = find(report.id(), report);
        history.save(done);
        return done;
    }

    /**
     * Acts on drill {@code id}, stored as started by {@link #run}; does nothing unless the history holds it so (a drill
     * that acts before it is kept would leave no trace if it kills the process that keeps it).
     */
    public void act(long id) {
        for (DrillReport d : history.all()) {
            if (d.id() == id && d.started()) {
                faults.act(id);
                return;
            }
        }
    }

    /** Brings a failed controller back (through the same seam as the drills). */
    public List<Integer> restart(NscId target) {
        if (faults == null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "this cell has a single controller: no partner to "
                    + "own, move or take over units");
        }
        if (target == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "target: A or B");
        }
        return faults.restart(target);
    }

    private DrillReport find(long id, DrillReport fallback) {
        for (DrillReport d : faults.drills()) {
            if (d.id() == id) {
                return d;
            }
        }
        return fallback;
    }

    private DrillReport pullDrive(DrillRequest r) {
        if (r.group() < 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "group: a disk group id (>= 0), got " + r.group());
        }
        if (r.index() < 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "index: a drive index (>= 0), got " + r.index());
        }
        drives.checkPull(r.group(), r.index(), r.force());
        long id = faults != null ? faults.nextDrillId() : ++localIds;
        long startedAt = System.currentTimeMillis();
        Scratch s = r.verify() ? scratch(r.group(), null) : null;
        long t0 = System.nanoTime();
        long firstIo = -1;
        String outcome;
        DrillVerifier.Result v = null;
        try {
            long before = s == null ? 0 : s.verifier.acknowledged();
            t0 = System.nanoTime();
            drives.pullDrive(r.group(), r.index(), r.force());
            if (s != null) {
                if (s.verifier.awaitAcknowledged(before + 1, ACK_WAIT_MILLIS)) {
                    firstIo = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                }
                v = s.afterFault();
            }
            outcome = groupState(r) + "; " + (v == null ? "data not checked (run with verify)"
                    : (v.lost() == 0 ? "data readable" : "DATA LOST") + ": " + s.note(v));
        } finally {
            if (s != null) {
                s.delete();
            }
        }
        DrillReport done = new DrillReport(id, r.kind(), null, startedAt, -1, -1, firstIo, 0,
                v == null ? 0 : v.acknowledged(), v == null ? 0 : v.verified(), v == null ? 0 : v.lost(), outcome);
        history.save(done);
        return done;
    }

    /** What the group did: the pulled drive's state, how many drives are away, whether a rebuild runs. */
    private String groupState(DrillRequest r) {
        DiskGroupView g = drives.diskGroup(r.group()).orElseThrow();
        int away = 0;
        DriveStatus pulled = null;
        for (DriveView d : g.drives()) {
            if (d.state() != DriveStatus.AVAILABLE && d.state() != DriveStatus.REMOVED) {
                away++;
            }
            if (d.index() == r.index()) {
                pulled = d.state();
            }
        }
        return "drive " + r.index() + " of disk group " + g.name() + " pulled (" + pulled + "); group "
                + (away > 0 ? "degraded (" + away + " of " + g.drives().size() + " drives away)" : "healthy")
                + (g.rebuildInProgress() ? ", rebuild running" : ", no rebuild running (restore the drive to rebuild)")
                + (r.force() ? ", forced" : "");
    }

    /**
     * Every drill: the stored history, with the pair's drills stored as they finish (and refreshed). Not under the
     * run lock, so a reader never waits for a drill under way (storing the same report twice is harmless).
     */
    public List<DrillReport> drills() {
        List<DrillReport> out = new ArrayList<>();
        if (faults != null) {
            for (DrillReport d : faults.drills()) {
                if ("running".equals(d.outcome())) {
                    out.add(d);
                } else if (!history.holds(d)) {
                    history.save(d);
                }
            }
        }
        out.addAll(history.all());
        out.sort(Comparator.comparingLong(DrillReport::id));
        return out;
    }

    /** The next drill's id as the scratch LUN's name shows it. */
    private long predictedId() {
        return Math.max(localIds, history.lastId()) + 1;
    }

    /** Creates the scratch LUN (on {@code group}, -1: the default), points it at {@code owner}, starts the writer. */
    private Scratch scratch(int group, NscId owner) {
        String name = "drill-scratch-" + predictedId();
        LunRecord lun = group >= 0 ? controller.createLun(name, SCRATCH_BYTES, null, group)
                : controller.createLun(name, SCRATCH_BYTES);
        Scratch s = new Scratch(lun, new DrillVerifier(controller.writeCache(), lun.id(), SCRATCH_BYTES, System.nanoTime()));
        try {
            if (owner != null && pair != null) {
                pair.setPreference(lun.id(), owner, FailoverMode.FAILOVER_ONLY);
            }
            s.verifier.start();
            if (!s.verifier.awaitAcknowledged(ACKS_BEFORE, ACK_WAIT_MILLIS)) {
                throw new StorageException(ErrorCode.BUSY, "the drill verifier got " + s.verifier.acknowledged()
                        + " of " + ACKS_BEFORE + " writes acknowledged on " + name + " before the fault: "
                        + s.verifier.lastFailure());
            }
        } catch (RuntimeException e) {
            s.verifier.finish();
            s.delete();
            throw e;
        }
        return s;
    }

    /** The scratch LUN and its verifier. */
    private final class Scratch {
        final LunRecord lun;
        final DrillVerifier verifier;

        Scratch(LunRecord lun, DrillVerifier verifier) {
            this.lun = lun;
            this.verifier = verifier;
        }

        /** Waits for {@link #ACKS_AFTER} more acknowledged writes, then stops and reads back. */
        DrillVerifier.Result afterFault() {
            verifier.awaitAcknowledged(verifier.acknowledged() + ACKS_AFTER, ACK_WAIT_MILLIS);
            return verifier.finish();
        }

        String note(DrillVerifier.Result v) {
            return "verifier on " + lun.name() + ": " + v.acknowledged() + " writes acknowledged, " + v.verified()
                    + " verified, " + v.lost() + " lost" + (v.failed() > 0 ? ", " + v.failed() + " failed (not acknowledged)"
                    : "") + (v.firstLoss() != null ? "; first loss: " + v.firstLoss() : "");
        }

        void delete() {
            try {
                controller.deleteLun(lun.name());
            } catch (StorageException e) {
                LOG.log(System.Logger.Level.WARNING, "drill scratch LUN " + lun.name() + " not deleted: " + e);
            }
        }
    }
}
