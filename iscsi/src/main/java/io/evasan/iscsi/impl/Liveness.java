package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.login.Negotiator;
import io.evasan.iscsi.pdu.Pdu;
import io.vertx.core.buffer.Buffer;

import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * Liveness of one {@link IscsiConnection}: its periodic timer, which closes it when a login or PDU
 * deadline of {@link LoginPhase} has passed, the NOP-In pings of the full feature phase
 * ({@code nopInIntervalMillis} of silence from the peer, answered within {@code nopInTimeoutMillis}
 * or the connection closes) and the answers to NOP-Out pings (RFC 7143 11.18-11.19). Confined to the
 * connection's event loop.
 *
 * <p>Invariants: at most one NOP-In ping is outstanding, under a target transfer tag in use by
 * nothing else on the connection; a ping takes no StatSN, an answer to a NOP-Out with an ITT takes
 * one and echoes at most the initiator's MaxRecvDataSegmentLength of its data; the timer runs from
 * {@link #start} until {@link #stop}.
 */
final class Liveness {
    private final IscsiConnection conn;
    private final TargetCore core;
    private final IscsiTargetConfig cfg;
    private final Negotiator neg;
    private final LoginPhase login;
    private final PduOutput output;
    private final CmdSnWindow window;

    private long timerId = -1;
    private long lastReceive;
    private int pingTtt = RESERVED_TAG;
    private long pingSentAt;
    /** When the outstanding ping was sent (nanoTime), 0 when none: read by other threads for the sessions view. */
    private volatile long pingOutstandingSince;

    Liveness(IscsiConnection conn, TargetCore core, Negotiator neg, LoginPhase login, PduOutput output,
             CmdSnWindow window) {
        this.conn = conn;
        this.core = core;
        this.cfg = core.config();
        this.neg = neg;
        this.login = login;
        this.output = output;
        this.window = window;
    }

    /** Starts the timer; {@code now} (nanoTime) counts as the last receive. */
    void start(long now) {
        lastReceive = now;
        long period = cfg.nopInIntervalMillis() > 0 ? Math.max(100, cfg.nopInIntervalMillis() / 2) : 1000;
        period = Math.max(25, Math.min(period, Math.min(cfg.pduTimeoutMillis(), cfg.loginTimeoutMillis()) / 4));
        timerId = core.vertx().setPeriodic(period, id -> onTimer());
    }

    /** Bytes arrived from the peer at {@code now} (nanoTime). */
    void received(long now) {
        lastReceive = now;
    }

    /** Stops the timer (teardown). */
    void stop() {
        if (timerId >= 0) {
            core.vertx().cancelTimer(timerId);
            timerId = -1;
        }
    }

    /** The target transfer tag of the outstanding NOP-In ping, or the reserved tag. */
    /** How long the outstanding NOP-In ping has waited for its answer at {@code now} (nanoTime), in ms; 0 when none. */
    long unansweredPingMillis(long now) {
        long since = pingOutstandingSince;
        return since == 0 ? 0 : Math.max(0, (now - since) / 1_000_000L);
    }

    int pingTtt() {
        return pingTtt;
    }

    /** A NOP-Out (after CmdSN ordering): the answer to our ping, or a ping to answer. */
    void onNopOut(Pdu p) {
        int itt = p.itt();
        int ttt = p.u32(TTT_OFFSET);
        if (ttt != RESERVED_TAG) {
            if (ttt == pingTtt) {
                pingTtt = RESERVED_TAG;
                pingOutstandingSince = 0;
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
        h.setInt(STATSN_OFFSET, conn.nextStatSN());
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, conn.publishMaxCmdSN());
        int len = Math.min(p.dataLength(), neg.initiatorMaxRecvDataSegmentLength());
        byte[] echo = len == 0 ? null : p.buffer().getBytes(p.dataOffset(), p.dataOffset() + len);
        output.send(h, echo, 0, len);
    }

    private void onTimer() {
        if (conn.closed()) {
            return;
        }
        long now = System.nanoTime();
        if (login.deadlinePassed(now)) {
            conn.close();
            return;
        }
        if (!conn.fullFeature() || cfg.nopInIntervalMillis() == 0) {
            return;
        }
        if (pingTtt != RESERVED_TAG) {
            if (now - pingSentAt > cfg.nopInTimeoutMillis() * 1_000_000L) {
                conn.close();
            }
            return;
        }
        if (now - lastReceive >= cfg.nopInIntervalMillis() * 1_000_000L) {
            pingTtt = conn.newTtt();
            pingSentAt = now;
            pingOutstandingSince = now == 0 ? 1 : now;
            Buffer h = header(OP_NOP_IN, FINAL_BIT);
            h.setInt(ITT_OFFSET, RESERVED_TAG);
            h.setInt(TTT_OFFSET, pingTtt);
            h.setInt(STATSN_OFFSET, conn.statSN());
            h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
            h.setInt(MAXCMDSN_OFFSET, conn.publishMaxCmdSN());
            output.send(h, null, 0, 0);
        }
    }
}
