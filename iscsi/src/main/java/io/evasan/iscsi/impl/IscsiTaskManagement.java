package io.evasan.iscsi.impl;

import io.evasan.iscsi.pdu.Pdu;
import io.evasan.iscsi.tmf.TaskManagement;
import io.evasan.iscsi.tmf.TmfTransport;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.TmfFunction;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;

import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * The iSCSI side of task management for one {@link IscsiConnection} (RFC 7143 11.5-11.6): decodes
 * Task Management Function Requests, applies the CmdSN rules for a referenced task the target does
 * not hold, maps the SAM responses to iSCSI response codes, and is the connection's
 * {@link TmfTransport} for the transport-neutral {@link TaskManagement} (its tasks are the
 * connection's {@link Command}s). Confined to the connection's event loop.
 *
 * <p>Invariants: every TMF Request gets exactly one TMF Response (unless the connection closes
 * first), after the status of a task the abort came too late for; ABORT TASK for a command held for
 * CmdSN order removes it (it never runs), for a command not yet received with a CmdSN below the
 * request's answers "function complete" (RFC 7143 11.5.1); TARGET COLD RESET that succeeded closes
 * the connection after its response; TASK REASSIGN (ERL 2) is answered "not supported" (4).
 */
final class IscsiTaskManagement implements TmfTransport<Command> {
    private final IscsiConnection conn;
    private final PduOutput output;
    private final CmdSnWindow window;
    private final WriteTransfers writes;
    /** The connection's commands by ITT (its map, shared). */
    private final Map<Integer, Command> byItt;
    private final TaskManagement<Command> tmf;

    IscsiTaskManagement(IscsiConnection conn, Context ctx, PduOutput output, CmdSnWindow window,
                        WriteTransfers writes, Map<Integer, Command> byItt) {
        this.conn = conn;
        this.output = output;
        this.window = window;
        this.writes = writes;
        this.byItt = byItt;
        this.tmf = new TaskManagement<>(this, ctx);
    }

    /** The target completed {@code c}, which is aborted: held for a pending ABORT TASK, or released. */
    void abortedTaskCompleted(Command c) {
        tmf.abortedTaskCompleted(c);
    }

    /** A Task Management Function Request (after CmdSN ordering), {@code cmdSN} its CmdSN. */
    void onTmf(Pdu p, int cmdSN, boolean discovery) {
        int itt = p.itt();
        int fn = p.flags() & TMF_FUNCTION_MASK;
        long lunField = p.lunField();
        int lun = decodeLun(lunField);
        int rtt = p.u32(TMF_RTT_OFFSET);
        int refCmdSN = p.u32(TMF_REFCMDSN_OFFSET);
        if (discovery) {
            conn.reject(REJECT_PROTOCOL_ERROR, p);
            return;
        }
        TmfFunction f;
        switch (fn) {
            case 1 -> f = TmfFunction.ABORT_TASK;
            case 2 -> f = TmfFunction.ABORT_TASK_SET;
            case 3 -> f = TmfFunction.CLEAR_ACA;
            case 4 -> f = TmfFunction.CLEAR_TASK_SET;
            case 5 -> f = TmfFunction.LOGICAL_UNIT_RESET;
            case 6 -> f = TmfFunction.TARGET_WARM_RESET;
            case 7 -> f = TmfFunction.TARGET_COLD_RESET;
            case 8 -> {
                sendTmfResponse(itt, 4);
                return;
            }
            default -> {
                sendTmfResponse(itt, 5);
                return;
            }
        }
        if (f == TmfFunction.ABORT_TASK) {
            Command c = byItt.get(rtt);
            if (c == null || c.lun != lun) {
                int code = 1; // task does not exist (never received, or already completed and answered)
                if (c == null && window.removeHeld(refCmdSN, rtt)) {
                    // received out of order and not yet executed: it is aborted by never running
                    code = 0;
                } else if (c == null && window.consideredReceived(refCmdSN, cmdSN)) {
                    // RFC 7143 11.5.1: a command not yet received whose CmdSN is below this TMF's is
                    // considered received, and thus complete
                    code = 0;
                }
                sendTmfResponse(itt, code);
                return;
            }
        }
        final TmfFunction func = f;
        tmf.perform(f, lun, rtt & 0xffffffffL, resp -> {
            int code = switch (resp) {
                case FUNCTION_COMPLETE, FUNCTION_SUCCEEDED -> 0;
                case TASK_DOES_NOT_EXIST -> 1;
                case LUN_DOES_NOT_EXIST -> 2;
                case FUNCTION_NOT_SUPPORTED -> 5;
                case FUNCTION_REJECTED -> 255;
            };
            sendTmfResponse(itt, code);
            if (func == TmfFunction.TARGET_COLD_RESET && code == 0) {
                conn.closeAfterFlush();
            }
        });
    }

    private void sendTmfResponse(int itt, int response) {
        Buffer h = header(OP_TMF_RSP, FINAL_BIT);
        h.setByte(TMF_RESPONSE_OFFSET, (byte) response);
        h.setInt(ITT_OFFSET, itt);
        h.setInt(STATSN_OFFSET, conn.nextStatSN());
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, conn.publishMaxCmdSN());
        output.send(h, null, 0, 0);
    }

    // ------------------------------------------------------------------ TmfTransport

    @Override
    public ScsiTarget scsiTarget() {
        return conn.scsiTarget();
    }

    @Override
    public ItNexus nexus() {
        return conn.nexus();
    }

    @Override
    public Command task(long tag) {
        return byItt.get((int) tag);
    }

    @Override
    public Collection<Command> tasksSnapshot() {
        return new ArrayList<>(byItt.values());
    }

    @Override
    public void abortTransfers(Command c) {
        writes.abort(c);
    }

    @Override
    public void release(Command c) {
        conn.releaseCommand(c);
    }

    @Override
    public void complete(Command c) {
        conn.onTaskComplete(c);
    }

    @Override
    public boolean closed() {
        return conn.closed();
    }
}
