package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.login.LoginStatus;
import io.evasan.iscsi.login.Negotiator;
import io.evasan.iscsi.pdu.Pdu;
import io.evasan.iscsi.pdu.PduParser;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiTarget;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;


import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * One iSCSI connection (and, since MaxConnections=1, its session): the PDU dispatch loop. It owns the
 * socket, the parser, the phase (login, full feature, logging out, closed), StatSN, the session
 * (SCSI target, I_T nexus), the ITT table and target transfer tags, and routes every PDU the parser
 * delivers to the job that handles it; it answers Reject and tears the connection down. The jobs:
 * {@link LoginPhase} (login PDUs, negotiation, CHAP, connection caps, login/PDU deadlines),
 * {@link CmdSnWindow} (ExpCmdSN/MaxCmdSN, CmdSN order), {@link ScsiCommands} (SCSI Command intake,
 * buffers, submission, completions back onto the event loop), {@link CommandResponses} (Data-In,
 * SCSI Response), {@link WriteTransfers} (R2T, Data-Out), {@link IscsiTaskManagement} over
 * {@code tmf.TaskManagement} (task management), {@link TextExchange} (Text Requests, SendTargets),
 * {@link Liveness} (timer, deadlines, NOP-Out/In), {@link LogoutExchange} (Logout) and
 * {@link PduOutput} (output batching). All state is confined to the connection's Vert.x context
 * (no locks); ScsiTarget completions are marshalled back onto it.
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
    /** The SCSI command path: intake, buffers, submission, completions back onto this event loop. */
    private final ScsiCommands commands;
    /** Data-In PDUs and SCSI Responses of completed commands. */
    private final CommandResponses responses;
    /** The timer: login/PDU deadlines, NOP-In pings; NOP-Out answers. */
    private final Liveness liveness;
    /** Logout Requests. */
    private final LogoutExchange logout;

    // ---- session
    private String targetName;
    private boolean discovery;
    private ScsiTarget scsi;
    private ItNexus nexus;
    private String sessionKey;

    // ---- sequence numbers (CmdSN: window)
    private int statSN;

    // ---- commands (by ITT, shared with the jobs above) and target transfer tags
    private final Map<Integer, Command> byItt = new HashMap<>();
    private int nextTtt = 1;

    private final String remoteHost;
    /** Set once on the event loop when the session starts, read by the sessions view on any thread. */
    private volatile io.evasan.iscsi.IscsiSession session;

    /** The portal's meters (null: none). */
    io.evasan.scsi.target.ScsiStats.LuStats portMeters() {
        return core.portMeters();
    }

    IscsiConnection(TargetCore core, NetSocket socket, Context ctx, String remoteHost, String overCap) {
        this.remoteHost = remoteHost;
        this.core = core;
        this.cfg = core.config();
        this.socket = socket;
        this.ctx = ctx;
        this.neg = new Negotiator(cfg);
        this.output = new PduOutput((NetSocketInternal) socket, ctx, this::recycle);
        this.window = new CmdSnWindow(cfg.commandWindow(), this::dispatch, () -> phase == Phase.FULL_FEATURE);
        this.writes = new WriteTransfers(this, core, neg, output, window, byItt);
        this.tmf = new IscsiTaskManagement(this, ctx, output, window, writes, byItt);
        this.text = new TextExchange(this, core, neg, output, window, socket);
        this.login = new LoginPhase(this, core, neg, output, window, remoteHost, overCap);
        this.responses = new CommandResponses(this, neg, output, window, tmf, byItt);
        this.commands = new ScsiCommands(this, cfg, neg, ctx, output, writes, responses, byItt);
        this.liveness = new Liveness(this, core, neg, login, output, window);
        this.logout = new LogoutExchange(this, login, output, window);
        parser.maxDataSegmentLength(LoginPhase.LOGIN_MRDSL);
    }

    int tsih() { return login.tsih(); }

    /** This normal session as the sessions view shows it, null before full feature phase or for discovery. */
    io.evasan.iscsi.IscsiSession session() {
        io.evasan.iscsi.IscsiSession s = session;
        return s == null ? null : s.withUnansweredPingMillis(liveness.unansweredPingMillis(System.nanoTime()));
    }

    String remoteHost() { return remoteHost; }

    /** StatSN of the first status-bearing PDU (the first Login Response). */
    void initialStatSN(int first) { statSN = first; }

    /** The StatSN the next status-bearing PDU gets (for PDUs that carry it without taking one). */
    int statSN() { return statSN; }

    /** The next StatSN, for a status-bearing PDU about to be sent. */
    int nextStatSN() { return statSN++; }

    boolean closed() { return phase == Phase.CLOSED; }

    boolean fullFeature() { return phase == Phase.FULL_FEATURE; }

    /** The SCSI target of the session (null before full feature phase and in a discovery session). */
    ScsiTarget scsiTarget() { return scsi; }

    /** The session's I_T nexus (null before full feature phase, in a discovery session, after logout). */
    ItNexus nexus() { return nexus; }

    void start() {
        long accepted = System.nanoTime();
        login.accepted(accepted);
        // raw Netty read buffers (Vert.x's socket.handler would copy each one to the heap first): the
        // parser only borrows a chunk and copies what it keeps, so the chunk is released right after
        ((NetSocketInternal) socket).messageHandler(msg -> {
            long now = System.nanoTime();
            liveness.received(now);
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
        liveness.start(accepted);
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
            java.net.InetSocketAddress local = socket.localAddress() == null ? null
                    : new java.net.InetSocketAddress(socket.localAddress().host(), socket.localAddress().port());
            session = new io.evasan.iscsi.IscsiSession(initiatorName, isidHex, login.tsih(), targetName,
                    local == null ? "?" : local.getHostString() + ":" + local.getPort(),
                    socket.remoteAddress() == null ? remoteHost : socket.remoteAddress().host() + ":" + socket.remoteAddress().port(),
                    System.currentTimeMillis(), login.chap(), login.mutualChap(), neg.headerDigest(), neg.dataDigest(), 0);
            IscsiConnection old = core.register(sessionKey, this);
            if (old != null && old != this) {
                old.closeFromOutside();
            }
            nexus = scsi.openNexus(initiatorName, initiatorName + ",i,0x" + isidHex, targetName + ",t,0x"
                    + String.format("%04x", cfg.portalGroupTag()), cfg.relativeTargetPortId());
        }
    }

    // ------------------------------------------------------------------ commands in CmdSN order

    private void dispatch(Pdu p, int cmdSN) {
        switch (p.opcode()) {
            case OP_NOP_OUT -> liveness.onNopOut(p);
            case OP_SCSI_CMD -> commands.onScsiCommand(p, cmdSN, discovery);
            case OP_TMF_REQ -> tmf.onTmf(p, cmdSN, discovery);
            case OP_TEXT_REQ -> text.onText(p, discovery, targetName);
            case OP_LOGOUT_REQ -> logout.onLogout(p);
            default -> reject(REJECT_COMMAND_NOT_SUPPORTED, p);
        }
    }

    int publishMaxCmdSN() {
        return window.publishMaxCmdSN(byItt.size());
    }

    /** A target transfer tag in use by nothing else on this connection. */
    int newTtt() {
        int t;
        do {
            t = nextTtt++;
        } while (t == RESERVED_TAG || writes.tttInUse(t) || t == liveness.pingTtt() || t == text.pendingTtt());
        return t;
    }

    /**
     * Data-Out data, and the immediate data of a write command, goes straight into the command's
     * buffer as it arrives (no assembly copy), when the PDU is in sequence for a command in this
     * state; the checks are repeated when it is delivered.
     */
    @Override
    public ByteBuffer dataTarget(Pdu p) {
        if (phase != Phase.FULL_FEATURE) {
            return null;
        }
        if (p.opcode() == OP_SCSI_CMD) {
            return commands.immediateDataTarget(p);
        }
        if (p.opcode() != OP_DATA_OUT) {
            return null;
        }
        return writes.dataTarget(p);
    }
    // ------------------------------------------------------------------ the command path, for the other jobs

    /** {@code c} has all its write data ({@link WriteTransfers}): to the ScsiTarget. */
    void submit(Command c) {
        commands.submit(c);
    }

    /** {@code c} is done (completed, terminated or released by task management): its response. */
    void onTaskComplete(Command c) {
        responses.complete(c);
    }

    /** {@code c} ends without a response (task management). */
    void releaseCommand(Command c) {
        commands.releaseCommand(c);
    }

    /** The output wrote the batch referencing {@code c}'s Data-In buffer. */
    private void recycle(Command c) {
        commands.recycle(c);
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
        h.setInt(STATSN_OFFSET, nextStatSN());
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

    /**
     * Crash (server kill), from any thread: the socket is reset at once (SO_LINGER 0, so nothing still
     * queued leaves, no logout, no response); the teardown follows through the close handler.
     *
     * @return completes when the channel is closed: nothing more is written after that
     */
    ChannelFuture abort() {
        return TargetCore.reset(socket);
    }

    /** Closes this connection from another thread (reinstatement, server stop). */
    void closeFromOutside() {
        ctx.runOnContext(v -> close());
    }

    void close() {
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
        liveness.stop();
        commands.orphanSubmitted();
        byItt.clear();
        writes.clear();
        window.clear();
        core.unregister(sessionKey, this);
        core.removed(this);
        login.releaseCaps();
        closeNexusNow();
    }

    /**
     * The session ends (successful logout): commands still with the ScsiTarget get no response and
     * the I_T nexus is closed now.
     */
    void endSession() {
        commands.orphanSubmitted();
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
