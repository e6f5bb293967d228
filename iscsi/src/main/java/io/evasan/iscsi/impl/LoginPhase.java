package io.evasan.iscsi.impl;

import io.evasan.iscsi.IscsiTargetConfig;
import io.evasan.iscsi.login.Chap;
import io.evasan.iscsi.login.LoginStatus;
import io.evasan.iscsi.login.Negotiator;
import io.evasan.iscsi.login.TextKeys;
import io.evasan.iscsi.pdu.Pdu;
import io.evasan.scsi.ScsiTarget;
import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static io.evasan.iscsi.impl.PduOutput.header;
import static io.evasan.iscsi.pdu.BhsDescriptor.*;

/**
 * The login phase of one {@link IscsiConnection} (RFC 7143 6, 11.12-11.13): Login Request PDUs and
 * their continuation in both directions, security negotiation (AuthMethod, CHAP with MD5, one-way
 * or mutual), operational negotiation (through the {@link Negotiator}), and the guards against
 * slow or greedy peers: the connection caps (total / per address, decided at accept; per
 * initiator name, here) and the login and PDU deadlines. Confined to the connection's event loop.
 *
 * <p>Invariants: the connection reaches full feature phase ({@link IscsiConnection#enterFullFeature})
 * only through a final Login Response with T=1 and NSG=3, and only after authentication is done
 * (CHAP verified when the initiator has a secret or CHAP is required); every Login Request of the
 * login carries the first one's ISID and ITT and follows the stage sequence, otherwise the login
 * fails; a failed login is answered with one Login Response carrying the status and the connection
 * closes once it is sent; a connection over a cap is answered 03/02 at its first Login Request and
 * closed; an initiator name counted against its cap is released exactly once ({@link #releaseCaps});
 * a connection whose login has not completed {@code loginTimeoutMillis} after accept, or whose
 * PDU has been incomplete for {@code pduTimeoutMillis} (in any phase), is reported by
 * {@link #deadlinePassed} (idle time between PDUs never counts).
 */
final class LoginPhase {
    private enum Auth { START, CHAP_WAIT_A, CHAP_WAIT_R, DONE }

    private static final System.Logger LOG = System.getLogger(LoginPhase.class.getName());
    /** Largest login (or text) request text accepted, continuation PDUs included. */
    static final int MAX_LOGIN_TEXT = 65536;
    /** MaxRecvDataSegmentLength during login (RFC 7143 13.12). */
    static final int LOGIN_MRDSL = 8192;

    private final IscsiConnection conn;
    private final TargetCore core;
    private final IscsiTargetConfig cfg;
    private final Negotiator neg;
    private final PduOutput output;
    private final CmdSnWindow window;

    // ---- login state
    private byte[] isid;
    private int loginItt;
    private int cid;
    private int currentStage = -1;
    private boolean firstLoginResponseSent;
    private Auth auth = Auth.START;
    private boolean chapChosen;
    private boolean mutualChap;
    private int chapId;
    private byte[] chapChallenge;
    private final ByteArrayOutputStream loginText = new ByteArrayOutputStream();
    private byte[] pendingLoginOut;
    private int pendingLoginOutPos;
    private int pendingLoginFlags;
    private final Set<String> negotiatedKeys = new HashSet<>();
    private boolean ourMrdslDeclared;

    // ---- what the login decided
    private String initiatorName;
    private String targetName;
    private boolean discovery;
    private IscsiTargetConfig.TargetNode node;
    private ScsiTarget scsi;
    private int tsih;

    // ---- deadlines and caps
    private final String remoteHost;
    /** Why this connection is over a connection cap (answered 03/02 at its first Login Request), or null. */
    private final String overCap;
    private long acceptedAt;
    private boolean loginCompleted;
    /** When the first byte of the PDU still incomplete arrived (nanoTime), 0 at a PDU boundary. */
    private long pduStartedAt;
    /** PDUs (and PDU errors) the parser has delivered: tells a new partial PDU from a continuing one. */
    private long pdusDelivered;
    /** The initiator name counted against maxConnectionsPerInitiator, released at teardown. */
    private String countedInitiator;

    LoginPhase(IscsiConnection conn, TargetCore core, Negotiator neg, PduOutput output, CmdSnWindow window,
               String remoteHost, String overCap) {
        this.conn = conn;
        this.core = core;
        this.cfg = core.config();
        this.neg = neg;
        this.output = output;
        this.window = window;
        this.remoteHost = remoteHost;
        this.overCap = overCap;
    }

    int tsih() { return tsih; }

    /** True once the initiator authenticated with CHAP. */
    boolean chap() { return chapChosen && auth == Auth.DONE; }

    /** True once the target authenticated itself to the initiator too. */
    boolean mutualChap() { return mutualChap; }

    int cid() { return cid; }

    byte[] isid() { return isid; }

    String initiatorName() { return initiatorName; }

    /** The target node's IQN (null in a discovery session). */
    String targetName() { return targetName; }

    boolean discovery() { return discovery; }

    /** The SCSI target behind the target node (null in a discovery session). */
    ScsiTarget scsiTarget() { return scsi; }

    private String who() {
        return remoteHost + (initiatorName == null ? "" : " (" + initiatorName + ")");
    }

    // ------------------------------------------------------------------ deadlines and caps

    /** The TCP connection was accepted at {@code now} (nanoTime): the login deadline starts. */
    void accepted(long now) {
        acceptedAt = now;
    }

    /** The parser delivered a PDU (or a PDU error). */
    void pduDelivered() {
        pdusDelivered++;
    }

    long pdusDelivered() {
        return pdusDelivered;
    }

    /**
     * A chunk read at {@code now} has been parsed; {@code deliveredBefore} is {@link #pdusDelivered()}
     * before it, {@code midPdu} whether a PDU is now incomplete: restarts the PDU deadline when a new
     * PDU began in this chunk, clears it at a PDU boundary.
     */
    void chunkParsed(long now, long deliveredBefore, boolean midPdu) {
        if (!midPdu) {
            pduStartedAt = 0;
        } else if (pduStartedAt == 0 || pdusDelivered != deliveredBefore) {
            pduStartedAt = now; // a new PDU began in this chunk
        }
    }

    /**
     * True (counted and logged) if at {@code now} a PDU has been incomplete longer than
     * {@code pduTimeoutMillis} or the login has not completed {@code loginTimeoutMillis} after
     * accept: the connection must close.
     */
    boolean deadlinePassed(long now) {
        if (pduStartedAt != 0 && now - pduStartedAt > cfg.pduTimeoutMillis() * 1_000_000L) {
            core.connectionTimedOut();
            core.protocolError();
            LOG.log(System.Logger.Level.WARNING, "iSCSI connection from " + who() + " closed: a PDU begun "
                    + (now - pduStartedAt) / 1_000_000 + " ms ago is still incomplete (pduTimeoutMillis "
                    + cfg.pduTimeoutMillis() + ")");
            return true;
        }
        if (!loginCompleted && now - acceptedAt > cfg.loginTimeoutMillis() * 1_000_000L) {
            core.connectionTimedOut();
            LOG.log(System.Logger.Level.WARNING, "iSCSI connection from " + who() + " closed: login not completed "
                    + (now - acceptedAt) / 1_000_000 + " ms after connect (loginTimeoutMillis "
                    + cfg.loginTimeoutMillis() + ")");
            return true;
        }
        return false;
    }

    /** Teardown: the initiator name counted against maxConnectionsPerInitiator is released (once). */
    void releaseCaps() {
        if (countedInitiator != null) {
            core.releaseInitiator(countedInitiator);
            countedInitiator = null;
        }
    }

    // ------------------------------------------------------------------ login PDUs

    /** A PDU during the login phase: only Login Requests are valid. */
    void onPdu(Pdu p) {
        if (p.opcode() != OP_LOGIN_REQ) {
            core.protocolError();
            fail(LoginStatus.INVALID_DURING_LOGIN, p.itt());
            return;
        }
        onLogin(p);
    }

    private void onLogin(Pdu p) {
        int flags = p.flags();
        boolean transit = (flags & LOGIN_TRANSIT_BIT) != 0;
        boolean cont = (flags & LOGIN_CONTINUE_BIT) != 0;
        int csg = (flags >>> LOGIN_CSG_SHIFT) & LOGIN_STAGE_MASK;
        int nsg = flags & LOGIN_STAGE_MASK;
        int itt = p.itt();
        if (isid == null) {
            isid = p.buffer().getBytes(p.bhs() + LOGIN_ISID_OFFSET, p.bhs() + LOGIN_ISID_OFFSET + LOGIN_ISID_LENGTH);
            loginItt = itt;
            cid = p.u16(LOGIN_CID_OFFSET);
            window.start(p.u32(CMDSN_OFFSET));
            conn.initialStatSN(ThreadLocalRandom.current().nextInt());
            if (overCap != null) {
                core.connectionRejected();
                LOG.log(System.Logger.Level.WARNING, "iSCSI login from " + remoteHost
                        + " refused with 03/02 (Out of resources): " + overCap);
                fail(LoginStatus.OUT_OF_RESOURCES, itt);
                return;
            }
            int vmax = p.u8(LOGIN_VERSION_MAX_OFFSET);
            int vmin = p.u8(LOGIN_VERSION_MIN_OFFSET);
            if (vmin > 0 || vmax < vmin) {
                fail(LoginStatus.UNSUPPORTED_VERSION, itt);
                return;
            }
            int requestedTsih = p.u16(LOGIN_TSIH_OFFSET);
            if (requestedTsih != 0) {
                fail(core.tsihExists(requestedTsih) ? LoginStatus.TOO_MANY_CONNECTIONS
                        : LoginStatus.SESSION_DOES_NOT_EXIST, itt);
                return;
            }
        } else {
            byte[] again = p.buffer().getBytes(p.bhs() + LOGIN_ISID_OFFSET, p.bhs() + LOGIN_ISID_OFFSET + LOGIN_ISID_LENGTH);
            if (!java.util.Arrays.equals(again, isid) || itt != loginItt) {
                fail(LoginStatus.INITIATOR_ERROR, itt);
                return;
            }
        }
        if (csg == 2 || (transit && (nsg == 2 || nsg <= csg)) || (cont && transit)) {
            fail(LoginStatus.INITIATOR_ERROR, itt);
            return;
        }
        if (currentStage >= 0 && csg != currentStage) {
            fail(LoginStatus.INITIATOR_ERROR, itt);
            return;
        }
        currentStage = csg;
        // we are still sending a long response: the initiator sends empty requests to fetch the rest
        if (pendingLoginOut != null) {
            if (p.dataLength() != 0) {
                fail(LoginStatus.INITIATOR_ERROR, itt);
                return;
            }
            sendLoginChunk(csg);
            return;
        }
        if (loginText.size() + p.dataLength() > MAX_LOGIN_TEXT) {
            fail(LoginStatus.OUT_OF_RESOURCES, itt);
            return;
        }
        byte[] data = p.copyData();
        loginText.write(data, 0, data.length);
        if (cont) {
            // acknowledge the partial text with an empty response (RFC 7143 6.3)
            Buffer h = header(OP_LOGIN_RSP, (csg << LOGIN_CSG_SHIFT));
            fillLoginResponse(h, 0);
            output.send(h, null, 0, 0);
            return;
        }
        byte[] text = loginText.toByteArray();
        loginText.reset();
        List<TextKeys.Pair> keys = TextKeys.parse(text);
        List<TextKeys.Pair> out = new ArrayList<>();
        int status = processLoginKeys(keys, csg, nsg, transit, out);
        if (status != LoginStatus.SUCCESS) {
            fail(status, itt);
            return;
        }
        boolean canTransit = transit;
        if (csg == STAGE_SECURITY && auth != Auth.DONE) {
            canTransit = false;
        }
        if (!firstLoginResponseSent && !discovery) {
            out.add(new TextKeys.Pair("TargetPortalGroupTag", Integer.toString(cfg.portalGroupTag())));
            if (node != null && node.alias() != null) {
                out.add(new TextKeys.Pair("TargetAlias", node.alias()));
            }
        }
        if ((csg == STAGE_OPERATIONAL || (canTransit && nsg == STAGE_FULL_FEATURE)) && !ourMrdslDeclared) {
            out.add(new TextKeys.Pair("MaxRecvDataSegmentLength", Integer.toString(cfg.maxRecvDataSegmentLength())));
            ourMrdslDeclared = true;
        }
        int rflags = (csg << LOGIN_CSG_SHIFT);
        if (canTransit) {
            rflags |= LOGIN_TRANSIT_BIT | nsg;
        }
        pendingLoginOut = TextKeys.encode(out);
        pendingLoginOutPos = 0;
        pendingLoginFlags = rflags;
        sendLoginChunk(csg);
    }

    private void sendLoginChunk(int csg) {
        int max = neg.initiatorMaxRecvDataSegmentLength();
        int len = Math.min(max, pendingLoginOut.length - pendingLoginOutPos);
        boolean last = pendingLoginOutPos + len >= pendingLoginOut.length;
        int flags = last ? pendingLoginFlags : ((csg << LOGIN_CSG_SHIFT) | LOGIN_CONTINUE_BIT);
        boolean toFfp = last && (flags & LOGIN_TRANSIT_BIT) != 0 && (flags & LOGIN_STAGE_MASK) == STAGE_FULL_FEATURE;
        if (toFfp) {
            tsih = core.newTsih();
        }
        Buffer h = header(OP_LOGIN_RSP, flags);
        fillLoginResponse(h, 0);
        byte[] data = pendingLoginOut;
        int off = pendingLoginOutPos;
        pendingLoginOutPos += len;
        if (last) {
            pendingLoginOut = null;
        }
        firstLoginResponseSent = true;
        if ((flags & LOGIN_TRANSIT_BIT) != 0) {
            currentStage = flags & LOGIN_STAGE_MASK;
        }
        output.send(h, data, off, len);
        if (toFfp) {
            loginCompleted = true;
            conn.enterFullFeature();
        }
    }

    private void fillLoginResponse(Buffer h, int status) {
        h.setByte(LOGIN_VERSION_MAX_OFFSET, (byte) 0);
        h.setByte(LOGIN_VERSION_MIN_OFFSET, (byte) 0);
        if (isid != null) {
            h.setBytes(LOGIN_ISID_OFFSET, isid);
        }
        h.setShort(LOGIN_TSIH_OFFSET, (short) (status == 0 ? tsih : 0));
        h.setInt(ITT_OFFSET, loginItt);
        h.setInt(STATSN_OFFSET, conn.nextStatSN());
        h.setInt(EXPCMDSN_OFFSET, window.expCmdSN());
        h.setInt(MAXCMDSN_OFFSET, window.maxCmdSN());
        h.setByte(LOGIN_STATUS_CLASS_OFFSET, (byte) (status >>> 8));
        h.setByte(LOGIN_STATUS_DETAIL_OFFSET, (byte) status);
    }

    /** Answers with a failed Login Response (status class/detail {@code status}) and closes the connection. */
    void fail(int status, int itt) {
        if (conn.closed()) {
            return;
        }
        if (isid == null) {
            loginItt = itt;
        }
        Buffer h = header(OP_LOGIN_RSP, 0);
        fillLoginResponse(h, status);
        output.send(h, null, 0, 0);
        conn.closeAfterFlush();
        IscsiTargetConfig.LoginFailureListener l = cfg.loginFailureListener();
        if (l != null) {
            try {
                l.loginRefused(initiatorName, remoteHost, status);
            } catch (RuntimeException e) {
                System.err.println("evasan iscsi: login failure listener: " + e);
            }
        }
    }

    private int processLoginKeys(List<TextKeys.Pair> keys, int csg, int nsg, boolean transit, List<TextKeys.Pair> out) {
        Map<String, String> seen = new HashMap<>();
        for (TextKeys.Pair kv : keys) {
            if (seen.put(kv.key(), kv.value()) != null) {
                return LoginStatus.INITIATOR_ERROR;
            }
        }
        if (initiatorName == null) {
            String in = seen.get("InitiatorName");
            if (in == null || in.isEmpty()) {
                return LoginStatus.MISSING_PARAMETER;
            }
            if (!core.admitInitiator(in)) {
                core.connectionRejected();
                LOG.log(System.Logger.Level.WARNING, "iSCSI login of " + in + " from " + remoteHost
                        + " refused with 03/02 (Out of resources): the initiator already holds "
                        + cfg.maxConnectionsPerInitiator() + " connections (maxConnectionsPerInitiator)");
                return LoginStatus.OUT_OF_RESOURCES;
            }
            countedInitiator = in;
            initiatorName = in;
            String st = seen.getOrDefault("SessionType", "Normal");
            if (st.equals("Discovery")) {
                discovery = true;
            } else if (!st.equals("Normal")) {
                return LoginStatus.SESSION_TYPE_NOT_SUPPORTED;
            }
            if (!discovery) {
                String tn = seen.get("TargetName");
                if (tn == null || tn.isEmpty()) {
                    return LoginStatus.MISSING_PARAMETER;
                }
                node = cfg.target(tn);
                if (node == null) {
                    return LoginStatus.NOT_FOUND;
                }
                targetName = node.iqn();
                scsi = node.scsiTarget();
            }
            IscsiTargetConfig.ChapSecret secret = cfg.chapFor(initiatorName);
            boolean needChap = secret != null || cfg.chapRequired();
            if (csg != STAGE_SECURITY && needChap) {
                return LoginStatus.AUTHENTICATION_FAILURE;
            }
            if (csg != STAGE_SECURITY) {
                auth = Auth.DONE;
            }
        }
        for (TextKeys.Pair kv : keys) {
            String k = kv.key();
            String v = kv.value();
            switch (k) {
                case "InitiatorName", "SessionType", "TargetName", "InitiatorAlias" -> {
                    // declarative, first PDU
                    if (v == null) {
                        out.add(new TextKeys.Pair(k, Negotiator.REJECT));
                    }
                }
                case "AuthMethod" -> {
                    if (csg != STAGE_SECURITY) {
                        out.add(new TextKeys.Pair(k, Negotiator.IRRELEVANT));
                        continue;
                    }
                    if (auth != Auth.START) {
                        return LoginStatus.INITIATOR_ERROR;
                    }
                    String chosen = chooseAuth(v);
                    if (chosen == null) {
                        out.add(new TextKeys.Pair(k, Negotiator.REJECT));
                        return LoginStatus.AUTHENTICATION_FAILURE;
                    }
                    out.add(new TextKeys.Pair(k, chosen));
                    if (chosen.equals("CHAP")) {
                        chapChosen = true;
                        auth = Auth.CHAP_WAIT_A;
                    } else {
                        auth = Auth.DONE;
                    }
                }
                case "CHAP_A" -> {
                    if (auth != Auth.CHAP_WAIT_A) {
                        return LoginStatus.INITIATOR_ERROR;
                    }
                    boolean md5 = false;
                    if (v != null) {
                        for (String a : v.split(",")) {
                            if (a.equals("5")) {
                                md5 = true;
                            }
                        }
                    }
                    if (!md5) {
                        out.add(new TextKeys.Pair(k, Negotiator.REJECT));
                        return LoginStatus.AUTHENTICATION_FAILURE;
                    }
                    chapId = Chap.newIdentifier();
                    chapChallenge = Chap.newChallenge();
                    out.add(new TextKeys.Pair("CHAP_A", "5"));
                    out.add(new TextKeys.Pair("CHAP_I", Integer.toString(chapId)));
                    out.add(new TextKeys.Pair("CHAP_C", Chap.encodeHex(chapChallenge)));
                    auth = Auth.CHAP_WAIT_R;
                }
                case "CHAP_N", "CHAP_R", "CHAP_I", "CHAP_C" -> {
                    if (auth != Auth.CHAP_WAIT_R) {
                        return LoginStatus.INITIATOR_ERROR;
                    }
                }
                default -> {
                    if (Negotiator.isOperational(k)) {
                        if (!negotiatedKeys.add(k)) {
                            return LoginStatus.INITIATOR_ERROR;
                        }
                        String a = neg.answer(k, v, discovery);
                        if (a != null) {
                            out.add(new TextKeys.Pair(k, a));
                        }
                    } else if (k.startsWith("X-") || k.startsWith("X#") || k.startsWith("Z-")) {
                        out.add(new TextKeys.Pair(k, Negotiator.NOT_UNDERSTOOD));
                    } else if (k.equals("TargetAlias") || k.equals("TargetAddress") || k.equals("TargetPortalGroupTag")
                            || k.equals("SendTargets")) {
                        out.add(new TextKeys.Pair(k, Negotiator.IRRELEVANT));
                    } else {
                        out.add(new TextKeys.Pair(k, Negotiator.NOT_UNDERSTOOD));
                    }
                }
            }
        }
        neg.reconcile(out);
        if (cfg.headerDigestRequired() && transit && nsg == STAGE_FULL_FEATURE && !neg.headerDigest()) {
            return LoginStatus.INITIATOR_ERROR; // header digests are mandatory on this portal
        }
        if (auth == Auth.CHAP_WAIT_R && seen.containsKey("CHAP_R")) {
            int st = verifyChap(seen, out);
            if (st != LoginStatus.SUCCESS) {
                return st;
            }
        } else if (csg == STAGE_SECURITY && transit && auth != Auth.DONE && auth != Auth.START) {
            // initiator wants to leave security before CHAP finished: keep it in the stage
            return LoginStatus.SUCCESS;
        } else if (csg == STAGE_SECURITY && transit && auth == Auth.START) {
            // no AuthMethod offered: only acceptable when no CHAP is required
            if (cfg.chapFor(initiatorName) != null || cfg.chapRequired()) {
                return LoginStatus.AUTHENTICATION_FAILURE;
            }
            auth = Auth.DONE;
        }
        return LoginStatus.SUCCESS;
    }

    private String chooseAuth(String list) {
        if (list == null) {
            return null;
        }
        boolean needChap = cfg.chapFor(initiatorName) != null || cfg.chapRequired();
        for (String m : list.split(",")) {
            if (m.equals("CHAP") && cfg.chapFor(initiatorName) != null) {
                return "CHAP";
            }
            if (m.equals("None") && !needChap) {
                return "None";
            }
        }
        return null;
    }

    private int verifyChap(Map<String, String> seen, List<TextKeys.Pair> out) {
        IscsiTargetConfig.ChapSecret s = cfg.chapFor(initiatorName);
        String name = seen.get("CHAP_N");
        byte[] resp = Chap.decodeBinary(seen.get("CHAP_R"));
        if (s == null || name == null || resp == null || !name.equals(s.userName())) {
            return LoginStatus.AUTHENTICATION_FAILURE;
        }
        byte[] expected = Chap.response(chapId, s.secret().getBytes(StandardCharsets.UTF_8), chapChallenge);
        if (!Chap.matches(expected, resp)) {
            return LoginStatus.AUTHENTICATION_FAILURE;
        }
        String ci = seen.get("CHAP_I");
        String cc = seen.get("CHAP_C");
        if (ci != null || cc != null) {
            long id = TextKeys.number(ci, 0, 255);
            byte[] ch = Chap.decodeBinary(cc);
            if (id < 0 || ch == null || ch.length == 0 || s.targetSecret() == null
                    || java.util.Arrays.equals(ch, chapChallenge)) {
                return LoginStatus.AUTHENTICATION_FAILURE;
            }
            byte[] r = Chap.response((int) id, s.targetSecret().getBytes(StandardCharsets.UTF_8), ch);
            out.add(new TextKeys.Pair("CHAP_N", s.targetUserName()));
            out.add(new TextKeys.Pair("CHAP_R", Chap.encodeHex(r)));
            mutualChap = true;
        }
        auth = Auth.DONE;
        return LoginStatus.SUCCESS;
    }
}
