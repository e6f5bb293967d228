package io.evasan.iscsi.impl;

import io.evasan.iscsi.login.Negotiator;
import io.evasan.iscsi.pdu.Pdu;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.vertx.core.buffer.Buffer;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * The write data of one {@link IscsiConnection}'s commands (RFC 7143 11.7-11.8): R2Ts, unsolicited
 * and solicited Data-Out PDUs, and their sequence checks at ErrorRecoveryLevel 0. Confined to the
 * connection's event loop; R2T records are pooled (no allocation per PDU).
 *
 * <p>Invariants: a command has at most MaxOutstandingR2T R2Ts outstanding, each soliciting at most
 * MaxBurstLength bytes, in offset order, each under a target transfer tag unique on the connection;
 * Data-Out data is accepted only in sequence (DataSN, buffer offset and burst length as solicited,
 * unsolicited data within FirstBurstLength), so a command's {@code received} counts the bytes of
 * its buffer filled in order and it is submitted once all have arrived; a sequence error terminates
 * the command (CHECK CONDITION, ABORTED COMMAND) and its further Data-Out is discarded silently, as
 * is late Data-Out for a command terminated or aborted recently (the last 16 tags); Data-Out for an
 * unknown tag is rejected.
 */
final class WriteTransfers {
    private final IscsiConnection conn;
    private final TargetCore core;
    private final Negotiator neg;
    private final PduOutput output;
    private final CmdSnWindow window;
    /** The connection's commands by ITT (its map, shared). */
    private final Map<Integer, Command> byItt;
    private final Map<Integer, Command.R2t> byTtt = new HashMap<>();
    private final ArrayDeque<Command.R2t> freeR2t = new ArrayDeque<>();
    private final int[] deadItts = new int[16];
    private final int[] deadTtts = new int[16];
    private int deadCursor;

    WriteTransfers(IscsiConnection conn, TargetCore core, Negotiator neg, PduOutput output, CmdSnWindow window,
                   Map<Integer, Command> byItt) {
        this.conn = conn;
        this.core = core;
        this.neg = neg;
        this.output = output;
        this.window = window;
        this.byItt = byItt;
        java.util.Arrays.fill(deadItts, RESERVED_TAG);
        java.util.Arrays.fill(deadTtts, RESERVED_TAG);
    }

    /** An outstanding R2T uses this target transfer tag. */
    boolean tttInUse(int ttt) {
        return byTtt.containsKey(ttt);
    }

    /** The command with this ITT ended before its data: unsolicited Data-Out that may follow is discarded silently. */
    void terminated(int itt) {
        remember(deadItts, itt);
    }

    /**
     * {@code c} is aborted: its outstanding R2Ts are dropped and late Data-Out for it is discarded
     * silently.
     */
    void abort(Command c) {
        // drop outstanding R2Ts; late Data-Out for them is discarded silently
        remember(deadItts, c.itt);
        if (c.outstandingR2T > 0) {
            byTtt.values().removeIf(r -> {
                if (r.cmd == c) {
                    remember(deadTtts, r.ttt);
                    return true;
                }
                return false;
            });
            c.outstandingR2T = 0;
        }
        c.unsolicitedPhase = false;
    }

    /** The connection closed: outstanding R2Ts are forgotten. */
    void clear() {
        byTtt.clear();
    }

    /**
     * Where a Data-Out PDU's data goes as it arrives: the region of its command's buffer, when the
     * PDU is in sequence for a command in this state (the checks are repeated when it is delivered);
     * null to let the parser assemble it.
     */
    ByteBuffer dataTarget(Pdu p) {
        int offset = p.u32(DATA_BUFFER_OFFSET_OFFSET);
        int len = p.dataLength();
        Command c = dataOutInSequence(p, offset, len);
        if (c == null || c.dataOut == null || c.dataOutBorrowed || c.submitted) {
            return null;
        }
        ByteBuffer t = c.dataOut.duplicate();
        t.limit(offset + len).position(offset);
        return t;
    }

    /** Sends R2Ts for {@code c} up to MaxOutstandingR2T, each for at most MaxBurstLength bytes. */
    void issueR2ts(Command c) {
        while (c.outstandingR2T < neg.maxOutstandingR2T() && c.nextR2tOffset < c.expectedLength) {
            int len = Math.min(neg.maxBurstLength(), c.expectedLength - c.nextR2tOffset);
            Command.R2t r = freeR2t.pollFirst();
            if (r == null) {
                r = new Command.R2t();
            }
            r.cmd = c;
            r.ttt = conn.newTtt();
            r.offset = c.nextR2tOffset;
            r.length = len;
            r.received = 0;
            r.nextDataSN = 0;
            byTtt.put(r.ttt, r);
            c.nextR2tOffset += len;
            c.outstandingR2T++;
            Buffer h = header(OP_R2T, FINAL_BIT);
            h.setLong(LUN_OFFSET, c.lunField);
            h.setInt(ITT_OFFSET, c.itt);
            h.setInt(TTT_OFFSET, r.ttt);
            h.setInt(STATSN_OFFSET, conn.statSN());
            h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
            h.setInt(MAXCMDSN_OFFSET, conn.publishMaxCmdSN());
            h.setInt(R2T_R2TSN_OFFSET, c.r2tSN++);
            h.setInt(R2T_BUFFER_OFFSET_OFFSET, r.offset);
            h.setInt(R2T_DESIRED_LENGTH_OFFSET, len);
            output.send(h, null, 0, 0);
        }
    }

    /** The command a Data-Out PDU continues in sequence (tags, DataSN, offset, length); null otherwise. */
    private Command dataOutInSequence(Pdu p, int offset, int len) {
        int itt = p.itt();
        int ttt = p.u32(TTT_OFFSET);
        int dataSN = p.u32(DATA_DATASN_OFFSET);
        if (ttt == RESERVED_TAG) {
            Command c = byItt.get(itt);
            return c != null && c.unsolicitedPhase && unsolicitedInSequence(c, dataSN, offset, len) ? c : null;
        }
        Command.R2t r = byTtt.get(ttt);
        return r != null && r.cmd.itt == itt && solicitedInSequence(r, dataSN, offset, len) ? r.cmd : null;
    }

    private boolean unsolicitedInSequence(Command c, int dataSN, int offset, int len) {
        return dataSN == c.unsolicitedDataSN && offset == c.received
                && (long) offset + len <= Math.min(c.expectedLength, neg.firstBurstLength());
    }

    private static boolean solicitedInSequence(Command.R2t r, int dataSN, int offset, int len) {
        return dataSN == r.nextDataSN && offset == r.offset + r.received && r.received + len <= r.length;
    }

    /** A Data-Out PDU (its data copied into the command's buffer unless it was placed there). */
    void onDataOut(Pdu p) {
        int itt = p.itt();
        int ttt = p.u32(TTT_OFFSET);
        int dataSN = p.u32(DATA_DATASN_OFFSET);
        int offset = p.u32(DATA_BUFFER_OFFSET_OFFSET);
        int len = p.dataLength();
        boolean f = (p.flags() & FINAL_BIT) != 0;
        Command c;
        Command.R2t r = null;
        if (ttt == RESERVED_TAG) {
            c = byItt.get(itt);
            if (c == null || !c.unsolicitedPhase) {
                if (!recentlyTerminated(deadItts, itt)) {
                    conn.reject(REJECT_PROTOCOL_ERROR, p);
                }
                return;
            }
            if (!unsolicitedInSequence(c, dataSN, offset, len)) {
                sequenceError(c, dataSN != c.unsolicitedDataSN);
                return;
            }
            c.unsolicitedDataSN++;
        } else {
            r = byTtt.get(ttt);
            if (r == null || r.cmd.itt != itt) {
                if (!recentlyTerminated(deadTtts, ttt)) {
                    conn.reject(REJECT_INVALID_PDU_FIELD, p);
                }
                return;
            }
            c = r.cmd;
            if (!solicitedInSequence(r, dataSN, offset, len)) {
                sequenceError(c, dataSN != r.nextDataSN);
                return;
            }
            r.nextDataSN++;
            r.received += len;
        }
        if (len > 0) {
            if (!p.isPlaced()) { // a placed PDU's data is already there (dataTarget)
                p.buffer().getBytes(p.dataOffset(), p.dataOffset() + len, c.dataOut.array(), c.dataOut.arrayOffset() + offset);
            }
            c.received += len;
        }
        if (r == null) {
            if (f) {
                c.unsolicitedPhase = false;
                c.nextR2tOffset = c.received;
                if (c.received < c.expectedLength) {
                    issueR2ts(c);
                    return;
                }
            }
        } else if (f) {
            if (r.received != r.length) {
                sequenceError(c, false);
                return;
            }
            byTtt.remove(r.ttt);
            r.cmd = null;
            freeR2t.addFirst(r);
            c.outstandingR2T--;
            if (c.received < c.expectedLength) {
                issueR2ts(c);
                return;
            }
        }
        if (c.received >= c.expectedLength && !c.unsolicitedPhase && c.outstandingR2T == 0 && !c.submitted) {
            conn.submit(c);
        }
    }

    private static boolean recentlyTerminated(int[] ring, int tag) {
        for (int t : ring) {
            if (t == tag && t != RESERVED_TAG) {
                return true;
            }
        }
        return false;
    }

    private void remember(int[] ring, int tag) {
        ring[deadCursor++ & (ring.length - 1)] = tag;
    }

    /**
     * Data-Out sequence error (wrong DataSN, offset or burst length). At ErrorRecoveryLevel 0 the
     * data cannot be recovered: the command is terminated with CHECK CONDITION, ABORTED COMMAND /
     * DATA PHASE ERROR (or DATA OFFSET ERROR); the remaining Data-Out PDUs of the command are
     * discarded silently and the session continues.
     */
    private void sequenceError(Command c, boolean dataSnError) {
        core.protocolError();
        remember(deadItts, c.itt);
        if (c.outstandingR2T > 0) {
            byTtt.values().removeIf(r -> {
                if (r.cmd == c) {
                    remember(deadTtts, r.ttt);
                    return true;
                }
                return false;
            });
            c.outstandingR2T = 0;
        }
        c.unsolicitedPhase = false;
        c.submitted = true;
        ScsiTask t = c.task;
        t.status(ScsiStatus.CHECK_CONDITION);
        ScsiCommands.writeSense(t, 0x0b, 0x4b, dataSnError ? 0x00 : 0x05);
        t.residual(0, false);
        conn.onTaskComplete(c);
    }
}
