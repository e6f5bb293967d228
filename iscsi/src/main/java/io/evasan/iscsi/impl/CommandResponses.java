package io.evasan.iscsi.impl;

import io.evasan.iscsi.login.Negotiator;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

import java.nio.ByteBuffer;
import java.util.Map;

import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * The answer to one completed {@link Command} of an {@link IscsiConnection} (RFC 7143 11.4, 11.7):
 * its Data-In PDUs (bounded by the initiator's MaxRecvDataSegmentLength, one sequence per
 * MaxBurstLength) and the status, collapsed into the last Data-In when there is no sense data,
 * otherwise in a SCSI Response. Confined to the connection's event loop.
 *
 * <p>Invariants: a command gets at most one response, never after the connection closed nor for
 * an orphaned or recycled command; an aborted command's completion goes to task management
 * instead; DataSN counts from 0 per command; residuals are reported (underflow for a short read);
 * the command leaves the ITT table with its response and is recycled only once the batch
 * referencing its Data-In buffer is written.
 */
final class CommandResponses {
    private final IscsiConnection conn;
    private final Negotiator neg;
    private final PduOutput output;
    private final CmdSnWindow window;
    private final IscsiTaskManagement tmf;
    /** The connection's commands by ITT (its map, shared). */
    private final Map<Integer, Command> byItt;

    CommandResponses(IscsiConnection conn, Negotiator neg, PduOutput output, CmdSnWindow window,
                     IscsiTaskManagement tmf, Map<Integer, Command> byItt) {
        this.conn = conn;
        this.neg = neg;
        this.output = output;
        this.window = window;
        this.tmf = tmf;
        this.byItt = byItt;
    }

    /** {@code c} completed (or was terminated by the connection): its Data-In and status are queued. */
    /** Records a completed command in the portal's meters (reads by the bytes produced, writes by the bytes sent). */
    private void meter(Command c, int status, int produced) {
        io.evasan.scsi.target.ScsiStats.LuStats m = conn.portMeters();
        if (m == null || !(c.read || c.write)) {
            return;
        }
        if (status != ScsiStatus.GOOD) {
            m.recordCheckCondition();
        } else if (c.read) {
            m.recordRead(Math.min(produced, c.expectedLength), System.nanoTime() - c.startNanos);
        } else {
            m.recordWrite(c.expectedLength, System.nanoTime() - c.startNanos);
        }
    }

    void complete(Command c) {
        if (conn.closed() || c.orphaned || !c.inUse) {
            return;
        }
        ScsiTask t = c.task;
        if (c.aborted) {
            tmf.abortedTaskCompleted(c); // held for a pending ABORT TASK, or released
            return;
        }
        int status = t.status();
        meter(c, status, t.dataIn() == c.dataIn && c.dataIn != null ? c.dataIn.limit() : 0);
        int produced = 0;
        ByteBuffer in = c.dataIn;
        if (c.read && in != null) {
            // target writes from 0 and sets the limit to the bytes produced
            produced = t.dataIn() == in ? in.limit() : 0;
        }
        long edtl = c.expectedLength;
        boolean overflow = t.residualOverflow();
        long residual = t.residual();
        int send = (int) Math.min(produced, edtl);
        if (residual == 0 && c.read && !c.write && produced < edtl && status != ScsiStatus.CHECK_CONDITION) {
            residual = edtl - produced;
            overflow = false;
        }
        boolean sense = t.senseLength() > 0 && status != ScsiStatus.GOOD;
        boolean collapse = !sense && status != ScsiStatus.CHECK_CONDITION;
        int mrdsl = neg.initiatorMaxRecvDataSegmentLength();
        int burst = neg.maxBurstLength();
        int dataSN = 0;
        int off = 0;
        int maxSN = conn.publishMaxCmdSN();
        int resFlags = residual == 0 ? 0 : (overflow ? DATAIN_OVERFLOW : DATAIN_UNDERFLOW);
        while (off < send) {
            int burstEnd = ((off / burst) + 1) * burst;
            int len = Math.min(mrdsl, Math.min(send - off, burstEnd - off));
            boolean last = off + len >= send;
            boolean seqEnd = last || off + len >= burstEnd;
            int flags = seqEnd ? FINAL_BIT : 0;
            boolean withStatus = last && collapse;
            Buffer h = header(OP_DATA_IN, flags | (withStatus ? DATAIN_STATUS_BIT | resFlags : 0));
            h.setLong(LUN_OFFSET, c.lunField);
            h.setInt(ITT_OFFSET, c.itt);
            h.setInt(TTT_OFFSET, RESERVED_TAG);
            if (withStatus) {
                h.setByte(DATAIN_STATUS_OFFSET, (byte) status);
                h.setInt(STATSN_OFFSET, conn.nextStatSN());
                h.setInt(DATAIN_RESIDUAL_OFFSET, (int) residual);
            }
            h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
            h.setInt(MAXCMDSN_OFFSET, maxSN);
            h.setInt(DATA_DATASN_OFFSET, dataSN++);
            h.setInt(DATA_BUFFER_OFFSET_OFFSET, off);
            output.append(h, Unpooled.wrappedBuffer(in.slice(off, len)), len);
            off += len;
        }
        if (send == 0 || !collapse) {
            int rf = residual == 0 ? 0 : (overflow ? RSP_OVERFLOW : RSP_UNDERFLOW);
            Buffer h = header(OP_SCSI_RSP, FINAL_BIT | rf);
            h.setByte(RSP_RESPONSE_OFFSET, (byte) 0);
            h.setByte(RSP_STATUS_OFFSET, (byte) status);
            h.setInt(ITT_OFFSET, c.itt);
            h.setInt(STATSN_OFFSET, conn.nextStatSN());
            h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
            h.setInt(MAXCMDSN_OFFSET, maxSN);
            h.setInt(RSP_EXPDATASN_OFFSET, c.read ? dataSN : c.r2tSN);
            h.setInt(RSP_RESIDUAL_OFFSET, (int) residual);
            if (sense) {
                int sl = Math.min(t.senseLength(), ScsiTask.MAX_SENSE);
                byte[] d = new byte[2 + sl];
                d[0] = (byte) (sl >>> 8);
                d[1] = (byte) sl;
                System.arraycopy(t.sense(), 0, d, 2, sl);
                output.append(h, d, 0, d.length);
            } else {
                output.append(h, null, 0, 0);
            }
        }
        byItt.remove(c.itt);
        output.recycleAfterWrite(c); // its Data-In buffer is referenced by the pending output
        output.scheduleFlush();
    }
}
