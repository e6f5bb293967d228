package io.evasan.scsi.target.impl;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.TmfResponse;
import io.evasan.scsi.alua.TargetPortGroups;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LunMasking;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import io.evasan.scsi.target.ScsiStats;
import io.evasan.scsi.target.VendorCommandHandler;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SCSI direct-access block device target (SPC-4 / SBC-3) over {@link LogicalUnit}s, with
 * LUN masking from a {@link LunMasking}. {@link #submit} never blocks: tasks are queued on the
 * LU's task set and run on a bounded worker pool owned by the target (a full pool queue answers
 * TASK SET FULL); callbacks are invoked on the worker thread, or, for a command whose LU answers
 * asynchronously ({@link LogicalUnit#flushAsync}, {@link LogicalUnit#writeFuaAsync}: SYNCHRONIZE
 * CACHE and FUA writes), on the thread completing the LU's future, so no worker waits for a
 * stuck LU while other LUs need it. The one exception: a lone small READ
 * whose transport allows it ({@link ScsiTask#inlineAllowed()}) on an idle LU with
 * {@link LogicalUnit#fastReads()} runs on the submitting thread (callback included). The command set is listed in
 * /work/status/scsi.md and in {@link CommandTable}; execution lives in {@link CommandExecutor}
 * (the dispatcher) and its command families {@link BlockCommands}, {@link VpdPages}, {@link ModePages},
 * {@link CopyManager}.
 *
 * <p>Asymmetric logical unit access (ALUA, SPC-4 5.15) is on when a {@link TargetPortGroups} is
 * given: implicit ALUA (TPGS = 01b), REPORT TARGET PORT GROUPS, the target port group designator in
 * VPD page 83h, and each command checked against the access state of its nexus' target port group
 * ({@link io.evasan.scsi.alua.AccessState#allows}); {@link #accessStatesChanged} re-reads the states
 * and raises ASYMMETRIC ACCESS STATE CHANGED. Without one, none of that exists (TPGS = 00b).
 *
 * <p>Invariants: a command for an unpresented LUN never reaches a {@link LogicalUnit}; every
 * task completes exactly once (aborted tasks with status TASK ABORTED, which the transport does
 * not forward per RFC 7143); a failing command changes nothing it has not reported.
 */
public final class DiskTarget implements ScsiTarget, AutoCloseable {
    public static final int DEFAULT_WORKERS = Math.max(2, Runtime.getRuntime().availableProcessors() * 2);
    public static final int DEFAULT_QUEUE = 4096;

    final LunMasking masking;
    final ScsiStats stats;
    /** The ALUA provider, or null (no ALUA). */
    final TargetPortGroups portGroups;
    private final ThreadPoolExecutor pool;
    private final Map<LogicalUnit, LuContext> contexts = new ConcurrentHashMap<>();
    final Set<Nexus> nexuses = ConcurrentHashMap.newKeySet();
    /** Initiator name -> handle (1, 2, ...; 0 is "unknown"), interned when a nexus opens; never shrinks. */
    private final Map<String, Integer> initiatorHandles = new ConcurrentHashMap<>();
    private final AtomicInteger nextInitiatorHandle = new AtomicInteger();
    final VendorCommandHandler[] vendor = new VendorCommandHandler[256];
    private final ConcurrentLinkedQueue<TaskEntry> entryPool = new ConcurrentLinkedQueue<>();
    private final CommandExecutor executor = new CommandExecutor(this);
    private final ExecutorService tmfThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "scsi-tmf");
        t.setDaemon(true);
        return t;
    });

    public DiskTarget(LunMasking masking) {
        this(masking, new ScsiStats(), DEFAULT_WORKERS, DEFAULT_QUEUE);
    }

    public DiskTarget(LunMasking masking, ScsiStats stats, int workers, int queueCapacity) {
        this(masking, stats, workers, queueCapacity, null);
    }

    /**
     * A target with asymmetric logical unit access when {@code portGroups} is not null (see the class
     * comment); null is exactly the four-argument constructor.
     */
    public DiskTarget(LunMasking masking, ScsiStats stats, int workers, int queueCapacity,
                      TargetPortGroups portGroups) {
        this.portGroups = portGroups;
        if (workers < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("workers " + workers + " queue " + queueCapacity);
        }
        this.masking = masking;
        this.stats = stats;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), r -> {
                    Thread t = new Thread(r, "scsi-worker-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        for (LogicalUnit lu : masking.allUnits()) {
            context(lu);
        }
        masking.addListener(this::presentationChanged);
    }

    /** The statistics of this target (per-LU meters exist from registration on). */
    public ScsiStats stats() {
        return stats;
    }

    /**
     * Registers the handler of a vendor-specific opcode (20h DCMD, C0h..FFh, or any opcode this
     * target does not implement itself). IllegalArgumentException for a standard opcode.
     */
    public void registerVendorHandler(int opcode, VendorCommandHandler handler) {
        if (opcode < 0 || opcode > 0xFF || CommandTable.implemented(opcode)) {
            throw new IllegalArgumentException("opcode " + Integer.toHexString(opcode) + " is not available");
        }
        vendor[opcode] = handler;
    }

    /** Establishes CAPACITY DATA HAS CHANGED for every nexus (call after an LU was resized). */
    public void capacityChanged(LogicalUnit lu) {
        LuContext lc = context(lu);
        for (Nexus nx : nexuses) {
            nx.addUa(lc, SenseCodes.CAPACITY_DATA_HAS_CHANGED);
        }
    }

    /** Establishes a unit attention (e.g. THIN PROVISIONING SOFT THRESHOLD REACHED) for every nexus. */
    public void unitAttention(LogicalUnit lu, int senseCode) {
        LuContext lc = context(lu);
        for (Nexus nx : nexuses) {
            nx.addUa(lc, senseCode);
        }
    }

    /**
     * Re-reads the asymmetric access states and PREF bits of {@code lu} from the
     * {@link TargetPortGroups} (a group whose state changed reports STATUS CODE 02h from now on) and
     * establishes ASYMMETRIC ACCESS STATE CHANGED (06/2A/06) for the LU on every I_T nexus. Call after
     * every change of the provider's answers for the LU. IllegalStateException without a provider.
     */
    public void accessStatesChanged(LogicalUnit lu) {
        accessStatesChanged(context(lu));
    }

    /** {@link #accessStatesChanged(LogicalUnit)} for every LU this target knows (e.g. a controller failed over). */
    public void accessStatesChanged() {
        for (LogicalUnit lu : masking.allUnits()) {
            context(lu);
        }
        for (LuContext lc : contexts.values()) {
            accessStatesChanged(lc);
        }
    }

    private void accessStatesChanged(LuContext lc) {
        if (portGroups == null) {
            throw new IllegalStateException("no TargetPortGroups: this target has no ALUA");
        }
        synchronized (lc.aluaLock) {   // the unit attentions too: a SET TARGET PORT GROUPS' re-read orders with them
            AluaSnapshot before = lc.alua;
            lc.alua = AluaSnapshot.read(portGroups, lc.lu, before, false);
            if (!lc.alua.sameStates(before)) {   // an LU whose states and PREF bits stayed as they were raises nothing
                for (Nexus nx : nexuses) {
                    nx.addUa(lc, SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
                }
            }
        }
    }

    /** Whether hosts may set the states (SET TARGET PORT GROUPS; INQUIRY TPGS = 11b). */
    boolean explicitAlua() {
        return portGroups != null && portGroups.explicit();
    }

    /**
     * After SET TARGET PORT GROUPS on {@code sender}: re-reads the LU's states, marks the groups changed since
     * {@code asked} (the snapshot before the command set the states) 01h (altered by SET TARGET PORT GROUPS) and raises ASYMMETRIC ACCESS STATE CHANGED on every other I_T nexus (SPC-4: not on
     * the one that asked).
     */
    void accessStatesSet(LuContext lc, Nexus sender, AluaSnapshot asked) {
        synchronized (lc.aluaLock) {
            AluaSnapshot before = lc.alua;
            lc.alua = AluaSnapshot.read(portGroups, lc.lu, before, true).alteredBySetSince(asked);
            if (!lc.alua.sameStates(before)) {
                for (Nexus nx : nexuses) {
                    if (nx != sender) {
                        nx.addUa(lc, SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
                    }
                }
            }
            // the provider may have told the target already (its own notification raced ahead of this re-read):
            // the nexus that asked for the change is not told of it
            sender.dropUa(lc, SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
        }
    }

    LuContext context(LogicalUnit lu) {
        LuContext lc = contexts.computeIfAbsent(lu, k -> new LuContext(k, stats.register(k)));
        if (portGroups != null && lc.alua == null) {
            synchronized (lc.aluaLock) {
                if (lc.alua == null) {
                    lc.alua = AluaSnapshot.read(portGroups, lu, null, false);
                }
            }
        }
        return lc;
    }

    private void presentationChanged(String initiatorName) {
        for (LogicalUnit lu : masking.allUnits()) {
            context(lu);
        }
        for (Nexus nx : nexuses) {
            if (initiatorName == null || initiatorName.equals(nx.initiatorName())) {
                nx.lunsChanged();
            }
        }
    }

    @Override
    public ItNexus openNexus(String initiatorName, String initiatorPortId, String targetPortName, int relativeTargetPortId) {
        if (initiatorName == null || initiatorPortId == null || targetPortName == null || relativeTargetPortId < 1
                || relativeTargetPortId > 0xFFFF) {
            throw new IllegalArgumentException("bad nexus identity");
        }
        Nexus nx = new Nexus(initiatorName, initiatorPortId, targetPortName, relativeTargetPortId,
                initiatorHandle(initiatorName), portGroups == null ? -1 : portGroups.groupOf(relativeTargetPortId));
        nexuses.add(nx);
        return nx;
    }

    /**
     * The handle of an initiator (see {@link ItNexus#initiatorHandle()}), interned on first use: the
     * same for every nexus of the initiator for the life of this target (e.g. to set its cache weight).
     */
    public int initiatorHandle(String initiatorName) {
        return initiatorHandles.computeIfAbsent(initiatorName, k -> nextInitiatorHandle.incrementAndGet());
    }

    @Override
    public void closeNexus(ItNexus nexus) {
        Nexus nx = (Nexus) nexus;
        nx.closed = true;
        nexuses.remove(nx);
        for (LuContext lc : contexts.values()) {
            abortWhere(lc, t -> t.nexus == nx, false); // never blocks the transport's thread
            synchronized (lc.pr) {
                if (lc.spc2Holder == nx) {
                    lc.spc2Holder = null; // I_T nexus loss releases RESERVE(6)
                }
            }
        }
    }

    @Override
    public void submit(ScsiTask task) {
        Nexus nx = (Nexus) task.nexus();
        TaskEntry e = entryPool.poll();
        if (e == null) {
            e = new TaskEntry();
        }
        if (nx == null || nx.closed) {
            e.init(this, task, nx, null);
            e.aborted = true;
            completeAndRecycle(e);
            return;
        }
        LogicalUnit lu = masking.lookup(nx.initiatorName(), task.lun());
        if (lu == null) {
            // Unpresented LUN: answered here without touching any LU (cheap, never blocks).
            e.init(this, task, nx, null);
            try {
                executor.execute(e);
            } catch (RuntimeException ex) {
                executor.fail(e, SenseCodes.INTERNAL_TARGET_FAILURE);
            }
            completeAndRecycle(e);
            return;
        }
        LuContext lc = context(lu);
        e.init(this, task, nx, lc);
        if (lc.admit(e)) {
            if (task.inlineAllowed() && inlineRead(lu, lc, task)) {
                runTask(e);        // a lone small read: no hand-off to a worker and back
            } else {
                dispatch(e);
            }
        }
    }

    /** Largest READ run on the submitting thread (see {@link ScsiTask#inlineAllowed()}). */
    static final long INLINE_READ_MAX = 64 * 1024;

    /**
     * Whether an admitted task may run on the submitting thread: a READ(6/10/12/16) of at most
     * {@link #INLINE_READ_MAX} bytes on an LU with {@link LogicalUnit#fastReads()} that runs nothing else.
     */
    private static boolean inlineRead(LogicalUnit lu, LuContext lc, ScsiTask task) {
        if (!lu.fastReads() || task.expectedDataTransferLength() > INLINE_READ_MAX) {
            return false;
        }
        int op = task.cdb()[0] & 0xFF;
        if (op != OpCodes.READ_10 && op != OpCodes.READ_16 && op != OpCodes.READ_6 && op != OpCodes.READ_12) {
            return false;
        }
        return lc.runningCount() == 1;
    }

    private void dispatch(TaskEntry e) {
        try {
            pool.execute(e);
        } catch (RejectedExecutionException ex) {
            e.task.status(ScsiStatus.TASK_SET_FULL);
            e.task.senseLength(0);
            finishAndComplete(e);
        }
    }

    /** Worker entry point. */
    void runTask(TaskEntry e) {
        if (!e.aborted) {
            try {
                executor.execute(e);
            } catch (RuntimeException | Error ex) {
                e.pending = null;
                executor.fail(e, SenseCodes.INTERNAL_TARGET_FAILURE);
            }
        }
        CompletableFuture<Void> pending = e.pending;
        if (pending != null) {
            // the LU answers later (an asynchronous flush): the task stays running in its task set
            // (ordering and aborts unchanged) while this worker serves other commands
            e.pending = null;
            long used = e.pendingUsed;
            long start = e.pendingStart;
            pending.whenComplete((v, x) -> {
                try {
                    executor.completePending(e, x, used, start);
                } catch (RuntimeException ex) {
                    executor.fail(e, SenseCodes.INTERNAL_TARGET_FAILURE);
                }
                finishAndComplete(e);
            });
            return;
        }
        finishAndComplete(e);
    }

    private void finishAndComplete(TaskEntry e) {
        List<TaskEntry> next = e.lu == null ? null : e.lu.finish(e);
        completeAndRecycle(e);
        if (next != null) {
            for (TaskEntry n : next) {
                dispatch(n);
            }
        }
    }

    private void completeAndRecycle(TaskEntry e) {
        ScsiTask t = e.task;
        if (e.aborted) {
            t.status(ScsiStatus.TASK_ABORTED);
            t.senseLength(0);
        }
        CountDownLatch latch = e.done;
        try {
            t.complete();
        } finally {
            if (latch != null) {
                latch.countDown();
            }
            e.task = null;
            e.nexus = null;
            e.lu = null;
            e.done = null;
            entryPool.offer(e);
        }
    }

    // ------------------------------------------------------------------ task management

    /**
     * Aborts matching tasks of the LU: queued ones complete at once with TASK ABORTED, running
     * ones are flagged and awaited (they complete with TASK ABORTED). Returns how many matched.
     */
    int abortWhere(LuContext lc, java.util.function.Predicate<TaskEntry> match, boolean wait) {
        List<TaskEntry> queued = lc.removeQueued(match);
        List<CountDownLatch> latches = new ArrayList<>();
        List<TaskEntry> running;
        synchronized (lc) {
            running = lc.runningMatching(match);
            for (TaskEntry t : running) {
                t.aborted = true;
                if (t.done == null) {
                    t.done = new CountDownLatch(1);
                }
                latches.add(t.done);
            }
        }
        for (TaskEntry t : queued) {
            t.aborted = true;
            completeAndRecycle(t);
        }
        if (wait) {
            for (CountDownLatch l : latches) {
                try {
                    l.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return queued.size() + running.size();
    }

    /**
     * {@link #taskManagement} without blocking the caller: the function runs on the target's
     * task-management thread (use this from an event loop).
     */
    public CompletableFuture<TmfResponse> taskManagementAsync(ItNexus nexus, TmfFunction function, int lun,
                                                             long referencedTaskTag) {
        return CompletableFuture.supplyAsync(() -> taskManagement(nexus, function, lun, referencedTaskTag), tmfThread);
    }

    @Override
    public TmfResponse taskManagement(ItNexus nexus, TmfFunction function, int lun, long referencedTaskTag) {
        Nexus nx = (Nexus) nexus;
        if (function == TmfFunction.TARGET_WARM_RESET || function == TmfFunction.TARGET_COLD_RESET) {
            for (LuContext lc : contexts.values()) {
                resetLu(lc, nx);
            }
            return TmfResponse.FUNCTION_COMPLETE;
        }
        LogicalUnit lu = masking.lookup(nx.initiatorName(), lun);
        if (lu == null) {
            return TmfResponse.LUN_DOES_NOT_EXIST;
        }
        LuContext lc = context(lu);
        switch (function) {
            case ABORT_TASK: {
                int n = abortWhere(lc, t -> t.nexus == nx && t.task.taskTag() == referencedTaskTag, true);
                return n > 0 ? TmfResponse.FUNCTION_COMPLETE : TmfResponse.TASK_DOES_NOT_EXIST;
            }
            case ABORT_TASK_SET:
                abortWhere(lc, t -> t.nexus == nx, true);
                return TmfResponse.FUNCTION_COMPLETE;
            case CLEAR_TASK_SET: {
                abortWhere(lc, t -> true, true);
                for (Nexus other : nexuses) {
                    if (other != nx) {
                        other.addUa(lc, SenseCodes.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
                    }
                }
                return TmfResponse.FUNCTION_COMPLETE;
            }
            case LOGICAL_UNIT_RESET:
                resetLu(lc, nx);
                return TmfResponse.FUNCTION_COMPLETE;
            case QUERY_TASK: {
                boolean found = lc.hasTask(t -> t.nexus == nx && t.task.taskTag() == referencedTaskTag);
                return found ? TmfResponse.FUNCTION_SUCCEEDED : TmfResponse.FUNCTION_COMPLETE;
            }
            default:
                return TmfResponse.FUNCTION_NOT_SUPPORTED;
        }
    }

    /** LU reset (SAM-5): abort all tasks, release RESERVE(6), reset mode pages, UA to all nexuses. PR survive. */
    private void resetLu(LuContext lc, Nexus requester) {
        abortWhere(lc, t -> true, true);
        synchronized (lc.pr) {
            lc.spc2Holder = null;
        }
        lc.wce = true;
        lc.dsense = false;
        lc.swp = false;
        for (Nexus nx : nexuses) {
            nx.addUa(lc, SenseCodes.BUS_DEVICE_RESET_OCCURRED);
        }
    }

    /** Identity set of nexuses whose port matches a PR registration. */
    List<Nexus> nexusesOf(PersistentReservations.Registration r) {
        List<Nexus> out = new ArrayList<>();
        Map<Nexus, Boolean> seen = new IdentityHashMap<>();
        for (Nexus nx : nexuses) {
            if (r.matches(nx) && seen.put(nx, Boolean.TRUE) == null) {
                out.add(nx);
            }
        }
        return out;
    }

    @Override
    public void close() {
        tmfThread.shutdown();
        pool.shutdown();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** Builds sense for a task into its sense buffer in the LU's current format. */
    static void setCheck(ScsiTask t, LuContext lc, int code, boolean infoValid, long info, int field, boolean inCdb, int bit) {
        boolean desc = lc != null && lc.dsense;
        int n = SenseDataDescriptor.build(t.sense(), desc, code, infoValid, info, field, inCdb, bit);
        t.status(ScsiStatus.CHECK_CONDITION);
        t.senseLength(n);
        if (lc != null) {
            lc.stats.recordCheckCondition();
        }
    }

    static boolean isVendorOpcode(int op) {
        return op == OpCodes.DCMD || OpCodes.isVendorRange(op);
    }
}
