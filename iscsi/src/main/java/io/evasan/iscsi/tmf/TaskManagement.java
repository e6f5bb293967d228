package io.evasan.iscsi.tmf;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.TmfResponse;
import io.vertx.core.Context;

import java.util.function.Consumer;

/**
 * Task management for one transport connection, transport-neutral: which of the connection's tasks
 * a function affects, the abort state of those tasks, and the call into the SCSI target. Confined to
 * the connection's event loop ({@code ctx}); the SCSI target's {@code taskManagement} runs on a
 * worker ({@code executeBlocking}), its answer comes back to the event loop.
 *
 * <p>Invariants: an aborted task's completion is never reported, except when an ABORT TASK reaches
 * the target after the task finished (the target answers other than FUNCTION COMPLETE): then the
 * task's status goes out, before the TMF response; while an ABORT TASK is with the target, the
 * task's completion is held (neither reported nor recycled) until the target's answer decides it;
 * a task not yet submitted to the target is released at once when aborted (nothing to ask the
 * target); every request is answered exactly once, unless the connection closed meanwhile.
 */
public final class TaskManagement<T extends ManagedTask> {
    private static final System.Logger LOG = System.getLogger(TaskManagement.class.getName());

    private final TmfTransport<T> transport;
    private final Context ctx;

    public TaskManagement(TmfTransport<T> transport, Context ctx) {
        this.transport = transport;
        this.ctx = ctx;
    }

    /**
     * Performs {@code f} for the task set of {@code lun} (the task with {@code tag} for ABORT TASK;
     * every task for the target resets); {@code answer} gets the response on the event loop
     * (FUNCTION_REJECTED if the target failed).
     */
    public void perform(TmfFunction f, int lun, long tag, Consumer<TmfResponse> answer) {
        boolean callTarget = true;
        T abortee = null;
        if (f == TmfFunction.ABORT_TASK) {
            T c = transport.task(tag);
            if (c == null || c.lun() != lun) {
                answer.accept(TmfResponse.TASK_DOES_NOT_EXIST);
                return;
            }
            abort(c);
            callTarget = c.submitted();
            if (callTarget) {
                c.abortPending(true);
                abortee = c;
            }
        } else if (f == TmfFunction.ABORT_TASK_SET || f == TmfFunction.CLEAR_TASK_SET || f == TmfFunction.LOGICAL_UNIT_RESET) {
            for (T c : transport.tasksSnapshot()) {
                if (c.lun() == lun) {
                    abort(c);
                }
            }
        } else if (f == TmfFunction.TARGET_WARM_RESET || f == TmfFunction.TARGET_COLD_RESET) {
            for (T c : transport.tasksSnapshot()) {
                abort(c);
            }
        }
        if (!callTarget) {
            answer.accept(TmfResponse.FUNCTION_COMPLETE);
            return;
        }
        final ItNexus nx = transport.nexus();
        final T target = abortee;
        ctx.executeBlocking(() -> transport.scsiTarget().taskManagement(nx, f, lun, tag), false)
                .onComplete(ar -> {
                    if (transport.closed()) {
                        return;
                    }
                    TmfResponse resp;
                    if (ar.failed()) {
                        LOG.log(System.Logger.Level.WARNING, "task management " + f + " failed in the SCSI target", ar.cause());
                        resp = TmfResponse.FUNCTION_REJECTED;
                    } else {
                        resp = ar.result();
                    }
                    boolean done = resp == TmfResponse.FUNCTION_COMPLETE || resp == TmfResponse.FUNCTION_SUCCEEDED;
                    if (target != null && target.live() && target.tag() == tag) {
                        target.abortPending(false);
                        if (!done) {
                            // the task finished before the abort reached it: its status goes out first
                            target.aborted(false);
                            if (target.heldCompletion()) {
                                target.heldCompletion(false);
                                transport.complete(target);
                            }
                        } else if (target.heldCompletion()) {
                            target.heldCompletion(false);
                            transport.release(target);
                        }
                    }
                    answer.accept(resp);
                });
    }

    /**
     * The target completed {@code c}, which is {@link ManagedTask#aborted()}: its completion is not
     * reported; it is held for the pending ABORT TASK's answer, or released.
     */
    public void abortedTaskCompleted(T c) {
        if (c.abortPending()) {
            c.heldCompletion(true); // decided when the ABORT TASK answer comes back
            return;
        }
        transport.release(c);
    }

    private void abort(T c) {
        c.aborted(true);
        transport.abortTransfers(c);
        if (!c.submitted()) {
            transport.release(c);
        }
    }
}
