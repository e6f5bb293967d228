package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.login.Negotiator;
import io.evasan.iscsi.pdu.Pdu;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * The SCSI command path of one {@link IscsiConnection}: SCSI Command PDUs (in CmdSN order) become
 * {@link Command}s around a pooled {@link ScsiTask} (CDB with an extended-CDB AHS, task attribute,
 * data buffers, immediate data), are handed to {@link WriteTransfers} while write data is missing,
 * then submitted to the session's ScsiTarget; completions (on any thread) are marshalled back onto
 * the connection's event loop and answered by {@link CommandResponses}. Also the connection's pool
 * of commands and data buffers. Confined to the connection's event loop, except {@link #completion}
 * (called by the ScsiTarget on its threads, lock-free hand-off).
 *
 * <p>Invariants: {@code bufferedBytes} is the sum of the pool bytes charged to the commands in use
 * and never grows past {@code maxConnectionBufferBytes} by a new command (over it: TASK SET FULL); a
 * command over {@code maxCommandBytes} is answered CHECK CONDITION, INVALID FIELD IN CDB without
 * buffers; a command is submitted once and recycled once (its buffers back to the pool, a borrowed
 * Data-Out view never); a malformed SCSI Command PDU is rejected and creates no command.
 */
final class ScsiCommands {
    private final IscsiConnection conn;
    private final IscsiTargetConfig cfg;
    private final Negotiator neg;
    private final PduOutput output;
    private final WriteTransfers writes;
    private final CommandResponses responses;
    private final BufferPool pool = new BufferPool();
    /** The connection's commands by ITT (its map, shared). */
    private final Map<Integer, Command> byItt;
    private final ArrayDeque<Command> freeCommands = new ArrayDeque<>();
    /** Bytes of pooled data buffers held by this connection's commands (bounded by configuration). */
    private long bufferedBytes;
    private final Consumer<ScsiTask> completion;
    /** Tasks completed by the ScsiTarget (any thread), drained on the connection's context. */
    private final ConcurrentLinkedQueue<Command> completed = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Handler<Void> drainTask = v -> drainCompletions();

    ScsiCommands(IscsiConnection conn, IscsiTargetConfig cfg, Negotiator neg, Context ctx, PduOutput output,
                 WriteTransfers writes, CommandResponses responses, Map<Integer, Command> byItt) {
        this.conn = conn;
        this.cfg = cfg;
        this.neg = neg;
        this.output = output;
        this.writes = writes;
        this.responses = responses;
        this.byItt = byItt;
        this.completion = task -> {
            completed.add((Command) task.transportContext());
            if (drainScheduled.compareAndSet(false, true)) {
                try {
                    ctx.runOnContext(drainTask);
                } catch (RejectedExecutionException e) {
                    // the server was stopped or killed with its Vert.x: the connection is gone, no response
                    completed.clear();
                }
            }
        };
    }

    /** A SCSI Command PDU (after CmdSN ordering), {@code cmdSN} its CmdSN. */
    void onScsiCommand(Pdu p, int cmdSN, boolean discovery) {
        if (discovery) {
            conn.reject(REJECT_PROTOCOL_ERROR, p);
            return;
        }
        int itt = p.itt();
        if (itt == RESERVED_TAG) {
            conn.reject(REJECT_INVALID_PDU_FIELD, p);
            return;
        }
        if (byItt.containsKey(itt)) {
            conn.reject(REJECT_TASK_IN_PROGRESS, p);
            return;
        }
        int flags = p.flags();
        boolean r = (flags & CMD_READ_BIT) != 0;
        boolean w = (flags & CMD_WRITE_BIT) != 0;
        boolean f = (flags & FINAL_BIT) != 0;
        long edtl = p.u32(CMD_EDTL_OFFSET) & 0xffffffffL;
        int immLen = p.dataLength();
        // CDB, with an extended-CDB AHS when present
        int extLen = 0;
        int extOff = -1;
        int a = p.ahsOffset();
        int aEnd = a + p.ahsLength();
        while (a + 4 <= aEnd) {
            int len = p.buffer().getUnsignedShort(a);
            int type = p.buffer().getByte(a + 2) & 0xff;
            if (a + 3 + len > aEnd) {
                conn.reject(REJECT_INVALID_PDU_FIELD, p);
                return;
            }
            if (type == 1 && len > 1) {
                extOff = a + 4;
                extLen = len - 1;
            }
            a += 3 + len + padding(3 + len);
        }
        if (16 + extLen > ScsiTask.MAX_CDB) {
            conn.reject(REJECT_INVALID_PDU_FIELD, p);
            return;
        }
        if ((!w && (immLen > 0 || !f)) || (w && immLen > 0 && !neg.immediateData())
                || (w && immLen > Math.min(edtl, neg.firstBurstLength()))
                || (w && !f && neg.initialR2T())
                || (!f && immLen >= Math.min(edtl, neg.firstBurstLength()) && w)) {
            conn.reject(REJECT_PROTOCOL_ERROR, p);
            return;
        }
        Command c = acquireCommand();
        c.itt = itt;
        c.lunField = p.lunField();
        c.lun = decodeLun(c.lunField);
        c.cmdSN = cmdSN;
        c.read = r;
        c.write = w;
        c.startNanos = System.nanoTime();
        ScsiTask.Attribute attr = switch (flags & CMD_ATTR_MASK) {
            case 2 -> ScsiTask.Attribute.ORDERED;
            case 3 -> ScsiTask.Attribute.HEAD_OF_QUEUE;
            case 4 -> ScsiTask.Attribute.ACA;
            default -> ScsiTask.Attribute.SIMPLE;
        };
        byte[] cdb = c.task.cdb();
        p.buffer().getBytes(p.bhs() + CMD_CDB_OFFSET, p.bhs() + CMD_CDB_OFFSET + CMD_CDB_LENGTH, cdb, 0);
        if (extLen > 0) {
            p.buffer().getBytes(extOff, extOff + extLen, cdb, 16);
        }
        int cdbLen = cdbLength(cdb[0] & 0xff, extLen);
        byItt.put(itt, c);
        if (edtl > cfg.maxCommandBytes()) {
            c.task.reset(conn.nexus(), c.lun, itt & 0xffffffffL, attr, cdbLen, edtl, r, w);
            c.task.status(ScsiStatus.CHECK_CONDITION);
            writeSense(c.task, 0x05, 0x24, 0x00); // ILLEGAL REQUEST, INVALID FIELD IN CDB
            c.submitted = true;
            c.expectedLength = 0;
            writes.terminated(itt); // unsolicited Data-Out that may follow is discarded silently
            responses.complete(c);
            return;
        }
        long need = (r ? edtl : 0) + (w ? edtl - (f && immLen == edtl ? immLen : 0) : 0);
        if (bufferedBytes + need > cfg.maxConnectionBufferBytes()) {
            // too much command data buffered on this connection: TASK SET FULL, the initiator retries
            c.task.reset(conn.nexus(), c.lun, itt & 0xffffffffL, attr, cdbLen, edtl, r, w);
            c.task.status(ScsiStatus.TASK_SET_FULL);
            c.submitted = true;
            c.expectedLength = 0;
            writes.terminated(itt);
            responses.complete(c);
            return;
        }
        c.expectedLength = (int) edtl;
        c.task.reset(conn.nexus(), c.lun, itt & 0xffffffffL, attr, cdbLen, edtl, r, w);
        if (r) {
            c.dataIn = pool.acquireDirect(Math.max(1, c.expectedLength)); // socket writes need no extra copy
            c.accounted += c.dataIn.capacity();
            bufferedBytes += c.dataIn.capacity();
        }
        if (w) {
            ByteBuffer placed = p.placedData();
            if (placed != null && placed.capacity() >= c.expectedLength) {
                // the immediate data was placed into this pool buffer as it arrived (dataTarget)
                c.dataOut = placed.clear();
                c.accounted += c.dataOut.capacity();
                bufferedBytes += c.dataOut.capacity();
                c.received = immLen;
            } else if (f && immLen > 0 && immLen == c.expectedLength && !p.isCopy() && !p.isPlaced() && p.isStable()) {
                // all data arrived as immediate data in a buffer the parser assembled: hand the received
                // bytes over without copying (the parser never rewrites bytes it has delivered). Bytes
                // in the socket's read buffer (not stable: recycled after the read) are copied once below
                c.dataOut = ((BufferInternal) p.buffer()).getByteBuf().nioBuffer(p.dataOffset(), immLen).slice();
                c.dataOutBorrowed = true;
                c.received = immLen;
            } else {
                c.dataOut = pool.acquire(Math.max(1, c.expectedLength));
                c.accounted += c.dataOut.capacity();
                bufferedBytes += c.dataOut.capacity();
                if (immLen > 0) {
                    p.copyDataTo(c.dataOut.array(), c.dataOut.arrayOffset());
                    c.received = immLen;
                }
            }
            if (!f) {
                c.unsolicitedPhase = true;
                c.unsolicitedDataSN = 0;
            }
            c.nextR2tOffset = c.received;
            if (c.received >= c.expectedLength) {
                submit(c);
            } else if (!c.unsolicitedPhase) {
                writes.issueR2ts(c);
            }
        } else {
            submit(c);
        }
    }

    static int cdbLength(int opcode, int extLen) {
        int group = opcode >>> 5;
        int len = switch (group) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            default -> 16;
        };
        if (opcode == 0x7f || extLen > 0) {
            len = 16 + extLen;
        }
        return len;
    }

    static void writeSense(ScsiTask t, int key, int asc, int ascq) {
        byte[] s = t.sense();
        java.util.Arrays.fill(s, 0, 18, (byte) 0);
        s[0] = 0x70;
        s[2] = (byte) key;
        s[7] = 10;
        s[12] = (byte) asc;
        s[13] = (byte) ascq;
        t.senseLength(18);
    }

    private Command acquireCommand() {
        Command c = freeCommands.pollFirst();
        if (c == null) {
            c = new Command();
        }
        c.clear();
        c.inUse = true;
        return c;
    }

    /**
     * Data-Out data goes straight into the command's buffer as it arrives (no assembly copy), when the
     * PDU is in sequence for a command in this state; the checks are repeated when it is delivered.
     */
    /**
     * Where the immediate data of a SCSI Command PDU goes as it arrives: a pool buffer for the
     * command's expected length that becomes its dataOut ({@link #onScsiCommand}); a PDU rejected or
     * dropped on the way just leaves it to the GC. Null when the data is not placed.
     */
    ByteBuffer immediateDataTarget(Pdu p) {
        long edtl = p.u32(CMD_EDTL_OFFSET) & 0xffffffffL;
        if ((p.flags() & CMD_WRITE_BIT) == 0 || edtl < p.dataLength() || edtl > cfg.maxCommandBytes()) {
            return null;
        }
        ByteBuffer b = pool.acquire(Math.max(1, (int) edtl));
        b.limit(p.dataLength());
        return b;
    }

    /** Submits {@code c} (all its write data received) to the session's ScsiTarget. */
    void submit(Command c) {
        c.submitted = true;
        ScsiTask t = c.task;
        if (c.dataOut != null) {
            c.dataOut.clear();
            c.dataOut.limit(c.received);
            t.dataOut(c.dataOut);
        } else {
            t.dataOut(null);
        }
        if (c.dataIn != null) {
            // nothing produced until the target writes (from 0, clear() first) and sets the limit
            c.dataIn.clear();
            c.dataIn.limit(0);
            t.dataIn(c.dataIn);
        } else {
            t.dataIn(null);
        }
        t.transportContext(c);
        t.callback(completion);
        // a lone command (nothing else outstanding on the connection) may run on this event loop if
        // the target can serve it without blocking (a small read): no worker hand-off and back
        t.inlineAllowed(byItt.size() == 1);
        try {
            conn.scsiTarget().submit(t);
        } catch (RuntimeException e) {
            t.status(ScsiStatus.CHECK_CONDITION);
            writeSense(t, 0x04, 0x44, 0x00); // HARDWARE ERROR, INTERNAL TARGET FAILURE
            responses.complete(c);
        }
    }

    private void drainCompletions() {
        drainScheduled.set(false);
        Command c;
        while ((c = completed.poll()) != null) {
            responses.complete(c);
        }
        output.flush();
    }

    /** {@code c} ends without a response (an aborted task released): back to the pool. */
    void releaseCommand(Command c) {
        byItt.remove(c.itt, c);
        recycle(c);
    }

    /** Takes back {@code c} and its buffers (once; a second call does nothing). */
    void recycle(Command c) {
        if (!c.inUse) {
            return;
        }
        c.inUse = false;
        bufferedBytes -= c.accounted;
        pool.release(c.dataIn);
        if (!c.dataOutBorrowed) {
            pool.release(c.dataOut);
        }
        c.clear();
        if (freeCommands.size() < 4 * cfg.commandWindow()) {
            freeCommands.addFirst(c);
        }
    }

    /**
     * The connection closes or the session ends: commands the ScsiTarget still owns keep their
     * buffers (they go with the task) and their completions are dropped.
     */
    void orphanSubmitted() {
        for (Command c : byItt.values()) {
            if (c.submitted) {
                c.orphaned = true; // the target still owns the buffers; let them go with the task
            }
        }
    }
}
