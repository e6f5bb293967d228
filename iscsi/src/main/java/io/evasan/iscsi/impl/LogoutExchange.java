package io.evasan.iscsi.impl;

import io.evasan.iscsi.pdu.Pdu;
import io.vertx.core.buffer.Buffer;

import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * Logout Requests of one {@link IscsiConnection} (RFC 7143 11.14-11.15). Confined to the
 * connection's event loop.
 *
 * <p>Invariants: closing the session, or this connection by its CID, is answered "closed
 * successfully" (0), another CID "CID not found" (1), connection recovery "not supported" (2), any
 * other reason is rejected; after a successful logout the session's I_T nexus is closed before the
 * response is queued (a RESERVE(6) it held is released before the initiator can act on the
 * response), commands still with the ScsiTarget get no response, nothing more is read and the
 * connection closes once the response is written. Time2Wait and Time2Retain are 0.
 */
final class LogoutExchange {
    private final IscsiConnection conn;
    private final LoginPhase login;
    private final PduOutput output;
    private final CmdSnWindow window;

    LogoutExchange(IscsiConnection conn, LoginPhase login, PduOutput output, CmdSnWindow window) {
        this.conn = conn;
        this.login = login;
        this.output = output;
        this.window = window;
    }

    /** A Logout Request (after CmdSN ordering). */
    void onLogout(Pdu p) {
        int reason = p.flags() & LOGOUT_REASON_MASK;
        int response = switch (reason) {
            case 0 -> 0;
            case 1 -> p.u16(LOGOUT_CID_OFFSET) == login.cid() ? 0 : 1;
            case 2 -> 2; // connection recovery not supported at ERL 0
            default -> -1;
        };
        if (response < 0) {
            conn.reject(REJECT_INVALID_PDU_FIELD, p);
            return;
        }
        Buffer h = header(OP_LOGOUT_RSP, FINAL_BIT);
        h.setByte(LOGOUT_RESPONSE_OFFSET, (byte) response);
        h.setInt(ITT_OFFSET, p.itt());
        h.setInt(STATSN_OFFSET, conn.nextStatSN());
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, conn.publishMaxCmdSN());
        h.setShort(LOGOUT_TIME2WAIT_OFFSET, (short) 0);
        h.setShort(LOGOUT_TIME2RETAIN_OFFSET, (short) 0);
        if (response == 0) {
            // the session ends with this logout: its nexus goes before the response does
            conn.endSession();
        }
        output.send(h, null, 0, 0);
        if (response == 0) {
            conn.closeAfterFlush();
        }
    }
}
