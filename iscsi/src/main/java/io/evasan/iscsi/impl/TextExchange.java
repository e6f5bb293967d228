package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.login.Negotiator;
import io.evasan.iscsi.login.TextKeys;
import io.evasan.iscsi.pdu.Pdu;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * Text Request / Text Response exchanges of one {@link IscsiConnection} in full feature phase
 * (RFC 7143 11.10-11.11): SendTargets (all targets in a discovery session, the session's own
 * target otherwise; each with the cell's present advertised portals, or this server's own portal),
 * every other key answered Reject (operational keys, AuthMethod) or
 * NotUnderstood; long requests and long answers continued over several PDUs. Confined to the
 * connection's event loop.
 *
 * <p>Invariants: at most one exchange is in progress, identified by the target transfer tag it
 * holds ({@link #pendingTtt()}, reserved against reuse by {@link IscsiConnection#newTtt}); a
 * continuation with another tag is rejected; the request text is bounded by
 * {@link LoginPhase#MAX_LOGIN_TEXT}; an answer is sent in pieces no longer than the initiator's
 * MaxRecvDataSegmentLength, F=1 only on the last.
 */
final class TextExchange {
    private final IscsiConnection conn;
    private final TargetCore core;
    private final IscsiTargetConfig cfg;
    private final Negotiator neg;
    private final PduOutput output;
    private final CmdSnWindow window;
    private final NetSocket socket;

    private byte[] pendingText;
    private int pendingTextPos;
    private int pendingTextTtt = RESERVED_TAG;
    private final ByteArrayOutputStream textIn = new ByteArrayOutputStream();

    TextExchange(IscsiConnection conn, TargetCore core, Negotiator neg, PduOutput output, CmdSnWindow window,
                 NetSocket socket) {
        this.conn = conn;
        this.core = core;
        this.cfg = core.config();
        this.neg = neg;
        this.output = output;
        this.window = window;
        this.socket = socket;
    }

    /** The target transfer tag of the exchange in progress, or the reserved tag. */
    int pendingTtt() {
        return pendingTextTtt;
    }

    /**
     * A Text Request (after CmdSN ordering); {@code discovery} and {@code targetName} (null in a
     * discovery session) are the session's.
     */
    void onText(Pdu p, boolean discovery, String targetName) {
        int itt = p.itt();
        int ttt = p.u32(TTT_OFFSET);
        boolean cont = (p.flags() & TEXT_CONTINUE_BIT) != 0;
        if (ttt != RESERVED_TAG) {
            if (ttt != pendingTextTtt) {
                conn.reject(REJECT_INVALID_PDU_FIELD, p);
                return;
            }
            if (pendingText != null) {
                // the initiator fetches the next part of our long answer
                sendTextChunk(itt, p.lunField());
                return;
            }
            // otherwise: the next part of the initiator's long request
        } else {
            textIn.reset();
        }
        pendingText = null;
        pendingTextTtt = RESERVED_TAG;
        if (textIn.size() + p.dataLength() > LoginPhase.MAX_LOGIN_TEXT) {
            textIn.reset();
            conn.reject(REJECT_PROTOCOL_ERROR, p);
            return;
        }
        byte[] d = p.copyData();
        textIn.write(d, 0, d.length);
        if (cont) {
            // acknowledge the partial request with an empty response carrying a transfer tag
            Buffer h = header(OP_TEXT_RSP, 0);
            h.setLong(LUN_OFFSET, p.lunField());
            h.setInt(ITT_OFFSET, itt);
            pendingTextTtt = conn.newTtt();
            h.setInt(TTT_OFFSET, pendingTextTtt);
            h.setInt(STATSN_OFFSET, conn.nextStatSN());
            h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
            h.setInt(MAXCMDSN_OFFSET, conn.publishMaxCmdSN());
            output.send(h, null, 0, 0);
            return;
        }
        byte[] all = textIn.toByteArray();
        textIn.reset();
        List<TextKeys.Pair> out = new ArrayList<>();
        for (TextKeys.Pair kv : TextKeys.parse(all)) {
            if (kv.key().equals("SendTargets")) {
                sendTargets(kv.value(), out, discovery, targetName);
            } else if (Negotiator.isOperational(kv.key()) || kv.key().equals("AuthMethod")) {
                out.add(new TextKeys.Pair(kv.key(), Negotiator.REJECT));
            } else {
                out.add(new TextKeys.Pair(kv.key(), Negotiator.NOT_UNDERSTOOD));
            }
        }
        pendingText = TextKeys.encode(out);
        pendingTextPos = 0;
        sendTextChunk(itt, p.lunField());
    }

    private void sendTargets(String value, List<TextKeys.Pair> out, boolean discovery, String targetName) {
        List<String> addrs = targetAddresses();
        if (discovery && "All".equals(value)) {
            for (IscsiTargetConfig.TargetNode n : cfg.targets().values()) {
                addTarget(out, n, addrs);
            }
            return;
        }
        String want = value == null || value.isEmpty() || "All".equals(value) ? targetName : value.toLowerCase();
        IscsiTargetConfig.TargetNode n = cfg.target(want);
        if (n != null && (discovery || n.iqn().equals(targetName))) {
            addTarget(out, n, addrs);
        }
    }

    private static void addTarget(List<TextKeys.Pair> out, IscsiTargetConfig.TargetNode n, List<String> addrs) {
        out.add(new TextKeys.Pair("TargetName", n.iqn()));
        for (String a : addrs) {
            out.add(new TextKeys.Pair("TargetAddress", a));
        }
    }

    /**
     * The TargetAddress values: every present advertised portal of the cell, in the configured order;
     * the server's own portal when none is configured (or none is present: this one answers, so it is served).
     */
    private List<String> targetAddresses() {
        List<String> addrs = new ArrayList<>();
        for (IscsiTargetConfig.Portal p : cfg.advertisedPortals()) {
            if (p.present()) {
                addrs.add(p.targetAddress());
            }
        }
        if (addrs.isEmpty()) {
            String host = cfg.host();
            if (host.equals("0.0.0.0") || host.equals("::")) {
                host = socket.localAddress().host();
            }
            addrs.add(new IscsiTargetConfig.Portal(host, core.boundPort(), cfg.portalGroupTag()).targetAddress());
        }
        return addrs;
    }

    private void sendTextChunk(int itt, long lunField) {
        int max = neg.initiatorMaxRecvDataSegmentLength();
        int len = Math.min(max, pendingText.length - pendingTextPos);
        boolean last = pendingTextPos + len >= pendingText.length;
        Buffer h = header(OP_TEXT_RSP, last ? FINAL_BIT : TEXT_CONTINUE_BIT);
        h.setLong(LUN_OFFSET, lunField);
        h.setInt(ITT_OFFSET, itt);
        if (last) {
            pendingTextTtt = RESERVED_TAG;
        } else if (pendingTextTtt == RESERVED_TAG) {
            pendingTextTtt = conn.newTtt();
        }
        h.setInt(TTT_OFFSET, pendingTextTtt);
        h.setInt(STATSN_OFFSET, conn.nextStatSN());
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, conn.publishMaxCmdSN());
        byte[] d = pendingText;
        int off = pendingTextPos;
        pendingTextPos += len;
        if (last) {
            pendingText = null;
        }
        output.send(h, d, off, len);
    }
}
