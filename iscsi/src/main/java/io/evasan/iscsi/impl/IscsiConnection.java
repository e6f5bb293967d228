package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.login.LoginStatus;
import io.evasan.iscsi.login.Negotiator;
import io.evasan.iscsi.pdu.Pdu;
import io.evasan.iscsi.pdu.PduParser;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.ScsiTask;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;


import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * One iSCSI connection (and, since MaxConnections=1, its session): the coordinator. It owns the
 * socket, the parser, the phase (login, full feature, logging out, closed), StatSN, the session
 * (SCSI target, I_T nexus) and the connection's {@link Command}s (SCSI Command intake, submission
 * to the ScsiTarget, completions marshalled back onto the event loop and turned into Data-In /
 * SCSI Response PDUs), NOP-Out/In, Logout, Reject and teardown; the other jobs are delegated:
 * {@link LoginPhase} (login PDUs, negotiation, CHAP, connection caps, login/PDU deadlines),
 * {@link CmdSnWindow} (ExpCmdSN/MaxCmdSN, CmdSN order), {@link WriteTransfers} (R2T, Data-Out),
 * {@link IscsiTaskManagement} over {@code tmf.TaskManagement} (task management),
 * {@link TextExchange} (Text Requests, SendTargets) and {@link PduOutput} (output batching). All
 * state is confined to the connection's Vert.x context (no locks); ScsiTarget completions are
 * marshalled back onto it.
 *
 * <p>Invariants: StatSN increases by one for every status-bearing PDU, in send order; a
 * non-immediate command is executed only when its CmdSN equals ExpCmdSN (commands outside
 * [ExpCmdSN, MaxCmdSN] are dropped silently, RFC 7143 4.2.2.1); every protocol violation is
 * answered with a Reject PDU or a login failure and, where the RFC requires (digest/framing
 * errors, Data-Out sequence errors at ErrorRecoveryLevel 0), the connection is closed; nothing a
 * peer sends can throw out of this class (handler failures close only this connection).
 */
public final class IscsiConnection implements PduParser.Handler {
    private enum Phase { LOGIN, FULL_FEATURE, LOGGING_OUT, CLOSED }

    private static final System.Logger LOG = System.getLogger(IscsiConnection.class.getName());

    private final TargetCore core;
    private final IscsiTargetConfig cfg;
    private final NetSocket socket;
    private final Context ctx;
    private final PduParser parser = new PduParser(this);
    private final BufferPool pool = new BufferPool();
    private final Negotiator neg;
    private Phase phase = Phase.LOGIN;

    // ---- the connection's other jobs, each confined to this event loop
    /** Login phase, negotiation, CHAP, connection caps and the login/PDU deadlines. */
    private final LoginPhase login;
    /** ExpCmdSN / MaxCmdSN and the CmdSN order of commands. */
    private final CmdSnWindow window;
    /** R2Ts and Data-Out PDUs of write commands. */
    private final WriteTransfers writes;
    /** Task management: TMF Requests, over the transport-neutral {@code tmf.TaskManagement}. */
    private final IscsiTaskManagement tmf;
    /** Text Request / Response exchanges (SendTargets) of the full feature phase. */
    private final TextExchange text;
    /** Output batching: PDUs produced in one event-loop turn leave in one write. */
    private final PduOutput output;

    // ---- session
    private String targetName;
    private boolean discovery;
    private ScsiTarget scsi;
    private ItNexus nexus;
    private String sessionKey;

    // ---- sequence numbers (CmdSN: window)
    private int statSN;

    // ---- commands
    private final Map<Integer, Command> byItt = new HashMap<>();
    private final ArrayDeque<Command> freeCommands = new ArrayDeque<>();
    private int nextTtt = 1;
    /** Bytes of pooled data buffers held by this connection's commands (bounded by configuration). */
    private long bufferedBytes;
    private final Consumer<ScsiTask> completion;
    /** Tasks completed by the ScsiTarget (any thread), drained on the connection's context. */
    private final ConcurrentLinkedQueue<Command> completed = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Handler<Void> drainTask = v -> drainCompletions();

    // ---- liveness
    private long timerId = -1;
    private long lastReceive;
    private int pingTtt = RESERVED_TAG;
    private long pingSentAt;

    private final String remoteHost;

    IscsiConnection(TargetCore core, NetSocket socket, Context ctx, String remoteHost, String overCap) {
        this.remoteHost = remoteHost;
        this.core = core;
        this.cfg = core.config();
        this.socket = socket;
        this.ctx = ctx;
        this.neg = new Negotiator(cfg);
        this.completion = task -> {
            completed.add((Command) task.transportContext());
            if (drainScheduled.compareAndSet(false, true)) {
                ctx.runOnContext(drainTask);
            }
        };
        this.output = new PduOutput((NetSocketInternal) socket, ctx, this::recycle);
        this.window = new CmdSnWindow(cfg.commandWindow(), this::dispatch, () -> phase == Phase.FULL_FEATURE);
        this.writes = new WriteTransfers(this, core, neg, output, window, byItt);
        this.tmf = new IscsiTaskManagement(this, ctx, output, window, writes, byItt);
        this.text = new TextExchange(this, core, neg, output, window, socket);
        this.login = new LoginPhase(this, core, neg, output, window, remoteHost, overCap);
        parser.maxDataSegmentLength(LoginPhase.LOGIN_MRDSL);
    }

    int tsih() { return login.tsih(); }

    String remoteHost() { return remoteHost; }

    /** StatSN of the first status-bearing PDU (the first Login Response). */
    void initialStatSN(int first) { statSN = first; }

    /** The StatSN the next status-bearing PDU gets (for PDUs that carry it without taking one). */
    int statSN() { return statSN; }

    /** The next StatSN, for a status-bearing PDU about to be sent. */
    int nextStatSN() { return statSN++; }

    boolean closed() { return phase == Phase.CLOSED; }

    /** The SCSI target of the session (null before full feature phase and in a discovery session). */
    ScsiTarget scsiTarget() { return scsi; }

    /** The session's I_T nexus (null before full feature phase, in a discovery session, after logout). */
    ItNexus nexus() { return nexus; }

    void start() {
        lastReceive = System.nanoTime();
        login.accepted(lastReceive);
        // raw Netty read buffers (Vert.x's socket.handler would copy each one to the heap first): the
        // parser only borrows a chunk and copies what it keeps, so the chunk is released right after
        ((NetSocketInternal) socket).messageHandler(msg -> {
            long now = System.nanoTime();
            lastReceive = now;
            if (msg instanceof ByteBuf b) {
                long before = login.pdusDelivered();
                try {
                    parser.feed(BufferInternal.buffer(b));
                } finally {
                    b.release();
                }
                login.chunkParsed(now, before, parser.midPdu());
            } else {
                ReferenceCountUtil.release(msg);
            }
        });
        socket.closeHandler(v -> teardown());
        socket.exceptionHandler(t -> close());
        long period = cfg.nopInIntervalMillis() > 0 ? Math.max(100, cfg.nopInIntervalMillis() / 2) : 1000;
        period = Math.max(25, Math.min(period, Math.min(cfg.pduTimeoutMillis(), cfg.loginTimeoutMillis()) / 4));
        timerId = core.vertx().setPeriodic(period, id -> onTimer());
    }

    // ------------------------------------------------------------------ parser callbacks

    @Override
    public void onPdu(Pdu p) {
        login.pduDelivered();
        if (phase == Phase.CLOSED) {
            return;
        }
        int op = p.opcode();
        if (phase == Phase.LOGIN) {
            login.onPdu(p);
            return;
        }
        if (phase == Phase.LOGGING_OUT) {
            return;
        }
        switch (op) {
            case OP_NOP_OUT, OP_SCSI_CMD, OP_TMF_REQ, OP_TEXT_REQ, OP_LOGOUT_REQ -> window.gate(p);
            case OP_DATA_OUT -> writes.onDataOut(p);
            case OP_LOGIN_REQ -> reject(REJECT_PROTOCOL_ERROR, p);
            case OP_SNACK_REQ -> reject(REJECT_SNACK_REJECT, p);
            default -> reject(REJECT_COMMAND_NOT_SUPPORTED, p);
        }
    }

    @Override
    public void onOversizedData(Pdu headerOnly, int announcedLength) {
        login.pduDelivered();
        // the command (if any) is lost: reject it and close, ERL 0 cannot recover the task
        rejectDataError(headerOnly, REJECT_PROTOCOL_ERROR);
    }

    @Override
    public void onDataDigestError(Pdu pdu) {
        login.pduDelivered();
        // ERL 0: the task cannot be recovered without SNACK/R2T recovery
        rejectDataError(pdu, REJECT_DATA_DIGEST_ERROR);
    }

    /**
     * A PDU whose data cannot be used: during login the login fails; afterwards a Reject carrying
     * its header, and for a SCSI Command or Data-Out the connection closes once that is flushed.
     */
    private void rejectDataError(Pdu pdu, int reason) {
        core.protocolError();
        if (phase == Phase.LOGIN) {
            login.fail(LoginStatus.INITIATOR_ERROR, pdu.itt());
            return;
        }
        sendReject(reason, pdu.copyBhs());
        int op = pdu.opcode();
        if (op == OP_SCSI_CMD || op == OP_DATA_OUT) {
            closeAfterFlush();
        }
    }

    @Override
    public void onFatal(String reason) {
        core.protocolError();
        close();
    }

    @Override
    public void onHandlerFailure(Throwable t) {
        core.protocolError();
        close();
    }

    // ------------------------------------------------------------------ end of login

    /** The last Login Response (transit to full feature phase) has been queued: the session starts. */
    void enterFullFeature() {
        neg.finish();
        phase = Phase.FULL_FEATURE;
        parser.headerDigest(neg.headerDigest());
        parser.dataDigest(neg.dataDigest());
        parser.maxDataSegmentLength(cfg.maxRecvDataSegmentLength());
        output.digests(neg.headerDigest(), neg.dataDigest());
        discovery = login.discovery();
        targetName = login.targetName();
        scsi = login.scsiTarget();
        String initiatorName = login.initiatorName();
        if (!discovery) {
            String isidHex = HexFormat.of().formatHex(login.isid());
            sessionKey = initiatorName.toLowerCase() + "|" + isidHex + "|" + targetName;
            IscsiConnection old = core.register(sessionKey, this);
            if (old != null && old != this) {
                old.closeFromOutside();
            }
            nexus = scsi.openNexus(initiatorName, initiatorName + ",i,0x" + isidHex, targetName + ",t,0x"
                    + String.format("%04x", cfg.portalGroupTag()), cfg.portalGroupTag());
        }
    }

    // ------------------------------------------------------------------ commands in CmdSN order

    private void dispatch(Pdu p, int cmdSN) {
        switch (p.opcode()) {
            case OP_NOP_OUT -> onNopOut(p);
            case OP_SCSI_CMD -> onScsiCommand(p, cmdSN);
            case OP_TMF_REQ -> tmf.onTmf(p, cmdSN, discovery);
            case OP_TEXT_REQ -> text.onText(p, discovery, targetName);
            case OP_LOGOUT_REQ -> onLogout(p);
            default -> reject(REJECT_COMMAND_NOT_SUPPORTED, p);
        }
    }

    int publishMaxCmdSN() {
        return window.publishMaxCmdSN(byItt.size());
    }

    // ------------------------------------------------------------------ NOP

    private void onNopOut(Pdu p) {
        int itt = p.itt();
        int ttt = p.u32(TTT_OFFSET);
        if (ttt != RESERVED_TAG) {
            if (ttt == pingTtt) {
                pingTtt = RESERVED_TAG;
            }
            return;
        }
        if (itt == RESERVED_TAG) {
            return; // unsolicited ping needing no answer
        }
        Buffer h = header(OP_NOP_IN, FINAL_BIT);
        h.setLong(LUN_OFFSET, p.lunField());
        h.setInt(ITT_OFFSET, itt);
        h.setInt(TTT_OFFSET, RESERVED_TAG);
        h.setInt(STATSN_OFFSET, statSN++);
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, publishMaxCmdSN());
        int len = Math.min(p.dataLength(), neg.initiatorMaxRecvDataSegmentLength());
        byte[] echo = len == 0 ? null : p.buffer().getBytes(p.dataOffset(), p.dataOffset() + len);
        output.send(h, echo, 0, len);
    }

    private void onTimer() {
        if (phase == Phase.CLOSED) {
            return;
        }
        long now = System.nanoTime();
        if (login.deadlinePassed(now)) {
            close();
            return;
        }
        if (phase == Phase.LOGIN) {
            return;
        }
        if (phase != Phase.FULL_FEATURE || cfg.nopInIntervalMillis() == 0) {
            return;
        }
        if (pingTtt != RESERVED_TAG) {
            if (now - pingSentAt > cfg.nopInTimeoutMillis() * 1_000_000L) {
                close();
            }
            return;
        }
        if (now - lastReceive >= cfg.nopInIntervalMillis() * 1_000_000L) {
            pingTtt = newTtt();
            pingSentAt = now;
            Buffer h = header(OP_NOP_IN, FINAL_BIT);
            h.setInt(ITT_OFFSET, RESERVED_TAG);
            h.setInt(TTT_OFFSET, pingTtt);
            h.setInt(STATSN_OFFSET, statSN);
            h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
            h.setInt(MAXCMDSN_OFFSET, publishMaxCmdSN());
            output.send(h, null, 0, 0);
        }
    }

    /** A target transfer tag in use by nothing else on this connection. */
    int newTtt() {
        int t;
        do {
            t = nextTtt++;
        } while (t == RESERVED_TAG || writes.tttInUse(t) || t == pingTtt || t == text.pendingTtt());
        return t;
    }

    // ------------------------------------------------------------------ SCSI commands

    private void onScsiCommand(Pdu p, int cmdSN) {
        if (discovery) {
            reject(REJECT_PROTOCOL_ERROR, p);
            return;
        }
        int itt = p.itt();
        if (itt == RESERVED_TAG) {
            reject(REJECT_INVALID_PDU_FIELD, p);
            return;
        }
        if (byItt.containsKey(itt)) {
            reject(REJECT_TASK_IN_PROGRESS, p);
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
                reject(REJECT_INVALID_PDU_FIELD, p);
                return;
            }
            if (type == 1 && len > 1) {
                extOff = a + 4;
                extLen = len - 1;
            }
            a += 3 + len + padding(3 + len);
        }
        if (16 + extLen > ScsiTask.MAX_CDB) {
            reject(REJECT_INVALID_PDU_FIELD, p);
            return;
        }
        if ((!w && (immLen > 0 || !f)) || (w && immLen > 0 && !neg.immediateData())
                || (w && immLen > Math.min(edtl, neg.firstBurstLength()))
                || (w && !f && neg.initialR2T())
                || (!f && immLen >= Math.min(edtl, neg.firstBurstLength()) && w)) {
            reject(REJECT_PROTOCOL_ERROR, p);
            return;
        }
        Command c = acquireCommand();
        c.itt = itt;
        c.lunField = p.lunField();
        c.lun = decodeLun(c.lunField);
        c.cmdSN = cmdSN;
        c.read = r;
        c.write = w;
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
            c.task.reset(nexus, c.lun, itt & 0xffffffffL, attr, cdbLen, edtl, r, w);
            c.task.status(ScsiStatus.CHECK_CONDITION);
            writeSense(c.task, 0x05, 0x24, 0x00); // ILLEGAL REQUEST, INVALID FIELD IN CDB
            c.submitted = true;
            c.expectedLength = 0;
            writes.terminated(itt); // unsolicited Data-Out that may follow is discarded silently
            onTaskComplete(c);
            return;
        }
        long need = (r ? edtl : 0) + (w ? edtl - (f && immLen == edtl ? immLen : 0) : 0);
        if (bufferedBytes + need > cfg.maxConnectionBufferBytes()) {
            // too much command data buffered on this connection: TASK SET FULL, the initiator retries
            c.task.reset(nexus, c.lun, itt & 0xffffffffL, attr, cdbLen, edtl, r, w);
            c.task.status(ScsiStatus.TASK_SET_FULL);
            c.submitted = true;
            c.expectedLength = 0;
            writes.terminated(itt);
            onTaskComplete(c);
            return;
        }
        c.expectedLength = (int) edtl;
        c.task.reset(nexus, c.lun, itt & 0xffffffffL, attr, cdbLen, edtl, r, w);
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
    @Override
    public ByteBuffer dataTarget(Pdu p) {
        if (phase != Phase.FULL_FEATURE) {
            return null;
        }
        if (p.opcode() == OP_SCSI_CMD) {
            // immediate data of a write goes into a pool buffer that becomes the command's dataOut
            // (onScsiCommand); a PDU rejected or dropped on the way just leaves it to the GC
            long edtl = p.u32(CMD_EDTL_OFFSET) & 0xffffffffL;
            if ((p.flags() & CMD_WRITE_BIT) == 0 || edtl < p.dataLength() || edtl > cfg.maxCommandBytes()) {
                return null;
            }
            ByteBuffer b = pool.acquire(Math.max(1, (int) edtl));
            b.limit(p.dataLength());
            return b;
        }
        if (p.opcode() != OP_DATA_OUT) {
            return null;
        }
        return writes.dataTarget(p);
    }

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
            scsi.submit(t);
        } catch (RuntimeException e) {
            t.status(ScsiStatus.CHECK_CONDITION);
            writeSense(t, 0x04, 0x44, 0x00); // HARDWARE ERROR, INTERNAL TARGET FAILURE
            onTaskComplete(c);
        }
    }

    void onTaskComplete(Command c) {
        if (phase == Phase.CLOSED || c.orphaned || !c.inUse) {
            return;
        }
        ScsiTask t = c.task;
        if (c.aborted) {
            tmf.abortedTaskCompleted(c); // held for a pending ABORT TASK, or released
            return;
        }
        int status = t.status();
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
        int maxSN = publishMaxCmdSN();
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
                h.setInt(STATSN_OFFSET, statSN++);
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
            h.setInt(STATSN_OFFSET, statSN++);
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

    private void drainCompletions() {
        drainScheduled.set(false);
        Command c;
        while ((c = completed.poll()) != null) {
            onTaskComplete(c);
        }
        output.flush();
    }

    void releaseCommand(Command c) {
        byItt.remove(c.itt, c);
        recycle(c);
    }

    private void recycle(Command c) {
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

    // ------------------------------------------------------------------ logout

    private void onLogout(Pdu p) {
        int reason = p.flags() & LOGOUT_REASON_MASK;
        int response = switch (reason) {
            case 0 -> 0;
            case 1 -> p.u16(LOGOUT_CID_OFFSET) == login.cid() ? 0 : 1;
            case 2 -> 2; // connection recovery not supported at ERL 0
            default -> -1;
        };
        if (response < 0) {
            reject(REJECT_INVALID_PDU_FIELD, p);
            return;
        }
        Buffer h = header(OP_LOGOUT_RSP, FINAL_BIT);
        h.setByte(LOGOUT_RESPONSE_OFFSET, (byte) response);
        h.setInt(ITT_OFFSET, p.itt());
        h.setInt(STATSN_OFFSET, statSN++);
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, publishMaxCmdSN());
        h.setShort(LOGOUT_TIME2WAIT_OFFSET, (short) 0);
        h.setShort(LOGOUT_TIME2RETAIN_OFFSET, (short) 0);
        if (response == 0) {
            // the session ends with this logout: its nexus goes before the response does
            for (Command c : byItt.values()) {
                if (c.submitted) {
                    c.orphaned = true;
                }
            }
            closeNexusNow();
        }
        output.send(h, null, 0, 0);
        if (response == 0) {
            phase = Phase.LOGGING_OUT;
            closeAfterFlush();
        }
    }

    // ------------------------------------------------------------------ reject

    void reject(int reason, Pdu p) {
        core.protocolError();
        sendReject(reason, p.copyBhs());
    }

    private void sendReject(int reason, byte[] badHeader) {
        if (phase == Phase.CLOSED) {
            return;
        }
        Buffer h = header(OP_REJECT, FINAL_BIT);
        h.setByte(REJECT_REASON_OFFSET, (byte) reason);
        h.setInt(ITT_OFFSET, RESERVED_TAG);
        h.setInt(STATSN_OFFSET, statSN++);
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, publishMaxCmdSN());
        output.send(h, badHeader, 0, badHeader.length);
    }

    // ------------------------------------------------------------------ close

    void closeAfterFlush() {
        if (phase == Phase.CLOSED) {
            return;
        }
        parser.kill();
        if (phase != Phase.LOGGING_OUT) {
            phase = Phase.LOGGING_OUT;
        }
        output.flush();
        socket.write(Buffer.buffer()).onComplete(ar -> close());
    }

    /** Closes this connection from another thread (reinstatement, server stop). */
    void closeFromOutside() {
        ctx.runOnContext(v -> close());
    }

    private void close() {
        if (phase == Phase.CLOSED) {
            return;
        }
        socket.close();
        teardown();
    }

    private void teardown() {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        parser.kill();
        output.discard();
        if (timerId >= 0) {
            core.vertx().cancelTimer(timerId);
            timerId = -1;
        }
        for (Command c : byItt.values()) {
            if (c.submitted) {
                c.orphaned = true; // the target still owns the buffers; let them go with the task
            }
        }
        byItt.clear();
        writes.clear();
        window.clear();
        core.unregister(sessionKey, this);
        core.removed(this);
        login.releaseCaps();
        closeNexusNow();
    }

    /**
     * I_T nexus loss: tells the ScsiTarget at once (on the event loop; closeNexus must not block),
     * so that a RESERVE(6) held by this nexus is released before the initiator can act on the
     * logout response or on another path.
     */
    private void closeNexusNow() {
        if (nexus != null) {
            final ItNexus nx = nexus;
            nexus = null;
            try {
                scsi.closeNexus(nx);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closeNexus failed in the SCSI target", e);
            }
        }
    }
}
